namespace ProtocolSim.Conformance.Tests;

public class TagExpressionTests
{
    [Theory]
    [InlineData("@a", "@a", true)]
    [InlineData("@a", "@b", false)]
    [InlineData("not @a", "@b", true)]
    [InlineData("@a and @b", "@a @b", true)]
    [InlineData("@a and @b", "@a", false)]
    [InlineData("@a or @b", "@b", true)]
    [InlineData("@a or @b and @c", "@a", true)]
    [InlineData("@a or @b and @c", "@b", false)]
    [InlineData("(@a or @b) and @c", "@a", false)]
    [InlineData("(@a or @b) and @c", "@b @c", true)]
    [InlineData("not @a and @b", "@b", true)]
    [InlineData("not @a and @b", "@a @b", false)]
    [InlineData("not (@a and @b)", "@a", true)]
    [InlineData("not not @a", "@a", true)]
    [InlineData("@KVS-008 and not @slow", "@KVS-008", true)]
    [InlineData("@KVS-008 and not @slow", "@KVS-008 @slow", false)]
    [InlineData("KVS-008", "@KVS-008", true)]
    [InlineData("@kvs-008", "@KVS-008", true)]
    [InlineData("@tag\\(1\\)", "@tag(1)", true)]
    [InlineData("", "@anything", true)]
    [InlineData("   ", "", true)]
    public void Evaluate_Expression_FollowsPrecedenceNotAndOr(string expression, string tags, bool expected)
    {
        var parsed = TagExpression.Parse(expression);

        Assert.Equal(expected, parsed.Evaluate(tags.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("@a and", "unexpected end after 'and'")]
    [InlineData("(@a or @b", "unmatched '(' at position 1")]
    [InlineData("@a or @b)", "unmatched ')' at position 9")]
    [InlineData("and @a", "unexpected 'and' at position 1")]
    [InlineData("@a @b", "unexpected '@b' at position 4")]
    [InlineData("not", "unexpected end after 'not'")]
    [InlineData("()", "unexpected ')' at position 2")]
    [InlineData("@a\\", "escapes nothing")]
    public void TryParse_InvalidExpression_ReportsPositionClearly(string expression, string expected)
    {
        Assert.False(TagExpression.TryParse(expression, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains(expression, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidExpression_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => TagExpression.Parse("@a and or @b"));
    }

    [Fact]
    public void ToString_Expression_ShowsGrouping()
    {
        Assert.Equal("( @a or ( @b and not ( @c ) ) )", TagExpression.Parse("@a or @b and not @c").ToString());
    }
}
