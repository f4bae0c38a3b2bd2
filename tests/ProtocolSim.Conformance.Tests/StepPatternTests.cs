namespace ProtocolSim.Conformance.Tests;

public class StepPatternTests
{
    private static StepPattern Compile(string expression, Func<int, string, bool>? custom = null)
    {
        Assert.True(StepPattern.TryCreate(expression, custom, out var pattern, out var error), error);
        return pattern;
    }

    private static string?[] Match(string expression, string text)
    {
        Assert.True(Compile(expression).TryMatch(text, out var args), $"'{expression}' should match '{text}'");
        return args;
    }

    [Theory]
    [InlineData("I have {int} cukes", "I have 42 cukes", "42")]
    [InlineData("I have {int} cukes", "I have -3 cukes", "-3")]
    [InlineData("it takes {long} ms", "it takes 9000000000 ms", "9000000000")]
    [InlineData("ratio {float}", "ratio 1.5", "1.5")]
    [InlineData("ratio {double}", "ratio .25", ".25")]
    [InlineData("ratio {double}", "ratio -2e3", "-2e3")]
    [InlineData("the caller speaks {string}", "the caller speaks \"hello world\"", "hello world")]
    [InlineData("the caller speaks {string}", "the caller speaks 'hi there'", "hi there")]
    [InlineData("the caller speaks {string}", "the caller speaks \"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("the caller speaks {string}", "the caller speaks \"\"", "")]
    [InlineData("dialect {word} is used", "dialect stream-node is used", "stream-node")]
    [InlineData("anything {} goes", "anything at all goes", "at all")]
    public void TryMatch_BuiltInParameter_CapturesValue(string expression, string text, string expected)
    {
        var args = Match(expression, text);

        Assert.Equal(new string?[] { expected }, args);
    }

    [Theory]
    [InlineData("I have {int} cucumber(s)", "I have 1 cucumber")]
    [InlineData("I have {int} cucumber(s)", "I have 2 cucumbers")]
    [InlineData("it is in my belly/stomach", "it is in my belly")]
    [InlineData("it is in my belly/stomach", "it is in my stomach")]
    [InlineData("the {int}st/nd/rd/th frame", "the 3rd frame")]
    [InlineData("a frame/frames arrive(s)", "a frames arrives")]
    [InlineData("the value is \\(not optional\\)", "the value is (not optional)")]
    [InlineData("the path is a\\/b", "the path is a/b")]
    [InlineData("braces \\{int\\} stay", "braces {int} stay")]
    [InlineData("a backslash \\\\ here", "a backslash \\ here")]
    [InlineData("regex chars . * + ? [ ] ^ $ | stay literal", "regex chars . * + ? [ ] ^ $ | stay literal")]
    public void TryMatch_OptionalAlternationAndEscapes_MatchesLiterally(string expression, string text)
    {
        Assert.True(Compile(expression).TryMatch(text, out _));
    }

    [Theory]
    [InlineData("it is in my belly/stomach", "it is in my liver")]
    [InlineData("the value is \\(not optional\\)", "the value is not optional")]
    [InlineData("I have {int} cukes", "I have many cukes")]
    [InlineData("I have {int} cukes", "so I have 4 cukes")]
    [InlineData("I have {int} cukes", "I have 4 cukes today")]
    [InlineData("the path is a\\/b", "the path is a")]
    public void TryMatch_TextThatDoesNotFit_DoesNotMatch(string expression, string text)
    {
        Assert.False(Compile(expression).TryMatch(text, out _));
    }

    [Theory]
    [InlineData("a {unknown} type", "undefined parameter type {unknown}")]
    [InlineData("open (paren", "has no matching ')'")]
    [InlineData("open {brace", "has no matching '}'")]
    [InlineData("stray ) here", "no matching opening")]
    [InlineData("empty () optional", "is empty")]
    [InlineData("empty a//b alternative", "empty alternative")]
    [InlineData("param in (optional {int})", "cannot contain a parameter")]
    [InlineData("bad \\q escape", "can be escaped")]
    public void TryCreate_InvalidCucumberExpression_ExplainsProblem(string expression, string expected)
    {
        Assert.False(StepPattern.TryCreate(expression, null, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_EnumTypeNamedAsParameter_IsAcceptedWhenTheMethodParameterIsThatEnum()
    {
        Assert.True(StepPattern.TryCreate("the dialect is {Dialect}", (i, name) => i == 0 && name == "Dialect", out var pattern, out _));
        Assert.True(pattern.TryMatch("the dialect is verloop", out var args));
        Assert.Equal(new string?[] { "verloop" }, args);
    }

    [Theory]
    [InlineData("^I have (\\d+) items$", "I have 12 items", new[] { "12" })]
    [InlineData("^(\\w+) says \"(.*)\"$", "bot says \"hi\"", new[] { "bot", "hi" })]
    [InlineData("the frame is (.+)$", "the frame is binary", new[] { "binary" })]
    [InlineData("^no groups here", "no groups here", new string[0])]
    public void TryMatch_RegexStep_AnchoredAndGroupsInOrder(string expression, string text, string[] expected)
    {
        var pattern = Compile(expression);

        Assert.True(pattern.IsRegex);
        Assert.True(pattern.TryMatch(text, out var args));
        Assert.Equal(expected.Cast<string?>(), args);
        Assert.False(pattern.TryMatch("prefix " + text, out _));
    }

    [Fact]
    public void TryCreate_InvalidRegex_ReportsRegexError()
    {
        Assert.False(StepPattern.TryCreate("^broken (group$", null, out _, out var error));
        Assert.StartsWith("invalid regular expression", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryMatch_RegexOptionalGroupNotMatched_GivesNull()
    {
        Assert.True(Compile("^a(b)?c$").TryMatch("ac", out var args));
        Assert.Equal(new string?[] { null }, args);
    }
}

public class ArgumentConverterTests
{
    public enum Dialect
    {
        StreamNode,
        Verloop,
    }

    [Theory]
    [InlineData("42", typeof(int), 42)]
    [InlineData("-7", typeof(long), -7L)]
    [InlineData("1.5", typeof(double), 1.5)]
    [InlineData("2.25", typeof(float), 2.25f)]
    [InlineData("true", typeof(bool), true)]
    [InlineData("No", typeof(bool), false)]
    [InlineData("verloop", typeof(Dialect), Dialect.Verloop)]
    [InlineData("stream-node", typeof(Dialect), Dialect.StreamNode)]
    [InlineData("STREAM_NODE", typeof(Dialect), Dialect.StreamNode)]
    [InlineData("text", typeof(string), "text")]
    public void TryConvert_SupportedType_ConvertsWithInvariantCulture(string text, Type type, object expected)
    {
        Assert.True(ArgumentConverter.TryConvert(text, type, out var value, out var error), error);
        Assert.Equal(expected, value);
    }

    [Fact]
    public void TryConvert_Decimal_UsesInvariantCulture()
    {
        Assert.True(ArgumentConverter.TryConvert("1234.5", typeof(decimal), out var value, out _));
        Assert.Equal(1234.5m, value);
    }

    [Theory]
    [InlineData("300 ms", 300)]
    [InlineData("300ms", 300)]
    [InlineData("1.5 s", 1500)]
    [InlineData("2 seconds", 2000)]
    [InlineData("1 min", 60000)]
    [InlineData("00:00:02.5", 2500)]
    public void TryConvert_TimeSpan_AcceptsUnitsAndLiterals(string text, double milliseconds)
    {
        Assert.True(ArgumentConverter.TryConvert(text, typeof(TimeSpan), out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("abc", typeof(int))]
    [InlineData("1,5", typeof(double))]
    [InlineData("maybe", typeof(bool))]
    [InlineData("3", typeof(Dialect))]
    [InlineData("other", typeof(Dialect))]
    public void TryConvert_BadText_ExplainsWhy(string text, Type type)
    {
        Assert.False(ArgumentConverter.TryConvert(text, type, out _, out var error));
        Assert.Contains($"cannot convert '{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryConvert_NullableEmpty_GivesNull()
    {
        Assert.True(ArgumentConverter.TryConvert(null, typeof(int?), out var value, out _));
        Assert.Null(value);
    }
}

public class SnippetGeneratorTests
{
    [Theory]
    [InlineData(StepKeyword.When, "the caller speaks \"hello\"", "[When(\"the caller speaks {string}\")] public void WhenTheCallerSpeaks(string p0) { }")]
    [InlineData(StepKeyword.Given, "the bot waits 300 ms for 2.5 seconds", "[Given(\"the bot waits {int} ms for {double} seconds\")] public void GivenTheBotWaitsMsForSeconds(int p0, double p1) { }")]
    [InlineData(StepKeyword.Then, "rule KVS-008 holds (strictly) for a/b", "[Then(\"rule KVS-008 holds \\\\(strictly\\\\) for a\\\\/b\")] public void ThenRuleKVS008HoldsStrictlyForAB() { }")]
    [InlineData(StepKeyword.Then, "the caller's name is 'Ann' and the count is 9000000000", "[Then(\"the caller's name is {string} and the count is {long}\")] public void ThenTheCallerSNameIsAndTheCountIs(string p0, long p1) { }")]
    public void Create_StepText_TurnsLiteralsIntoParameters(StepKeyword keyword, string text, string expected)
    {
        Assert.Equal(expected, SnippetGenerator.Create(keyword, text, StepArgumentKind.None));
    }

    [Fact]
    public void Create_StepWithTable_AddsDataTableParameter()
    {
        var snippet = SnippetGenerator.Create(StepKeyword.Given, "these frames", StepArgumentKind.DataTable);
        Assert.Equal("[Given(\"these frames\")] public void GivenTheseFrames(DataTable dataTable) { }", snippet);
    }

    [Fact]
    public void Create_SnippetExpression_MatchesTheStepItCameFrom()
    {
        const string Text = "the bot answers \"pong\" within 250 ms (first try) a/b";
        var snippet = SnippetGenerator.Create(StepKeyword.Then, Text, StepArgumentKind.None);
        var start = snippet.IndexOf("(\"", StringComparison.Ordinal) + 2;
        var end = snippet.IndexOf("\")]", StringComparison.Ordinal);
        var expression = snippet[start..end].Replace("\\\\", "\\", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal);

        Assert.True(StepPattern.TryCreate(expression, null, out var pattern, out var error), error);
        Assert.True(pattern.TryMatch(Text, out _));
    }
}
