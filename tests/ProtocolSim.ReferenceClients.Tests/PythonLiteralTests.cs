using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Tests;

public sealed class PythonLiteralTests
{
    [Fact]
    public void Parse_DocumentedMetadataDict_ReturnsObject()
    {
        var node = PythonLiteral.Parse(
            "{'callid': '6ccf0a28-XXXX', 'virtual_number': '+91XXXXXXXXXX', 'customer_number': '+91XXXXXXXXXX', 'call_type': 'inbound'}");

        var obj = Assert.IsType<JsonObject>(node);
        Assert.Equal("6ccf0a28-XXXX", obj["callid"]!.GetValue<string>());
        Assert.Equal("inbound", obj["call_type"]!.GetValue<string>());
        Assert.Equal(4, obj.Count);
    }

    [Fact]
    public void Parse_MultiLineDictWithTrailingComma_ReturnsObject()
    {
        var node = PythonLiteral.Parse("{\n'callid': 'a',\n'call_type': 'inbound',  # comment\n}\n");

        Assert.Equal("a", node!["callid"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(@"'it\'s'", "it's")]
    [InlineData(@"""say \""hi\""""", "say \"hi\"")]
    [InlineData(@"'a\\b'", @"a\b")]
    [InlineData(@"'line\nnext\ttab\r'", "line\nnext\ttab\r")]
    [InlineData(@"'\x41\u00e9\U0001F600'", "Aé😀")]
    [InlineData(@"'\101\0'", "A\0")]
    [InlineData(@"'keep \d unknown'", @"keep \d unknown")]
    [InlineData(@"r'raw \n'", @"raw \n")]
    [InlineData(@"u'unicode'", "unicode")]
    [InlineData(@"'''tri'ple'''", "tri'ple")]
    [InlineData(@"'con' ""cat""", "concat")]
    [InlineData(@"""it's""", "it's")]
    public void Parse_StringEscapes_AreDecoded(string literal, string expected)
    {
        Assert.Equal(expected, PythonLiteral.Parse(literal)!.GetValue<string>());
    }

    [Fact]
    public void Parse_Constants_MapToJson()
    {
        var obj = Assert.IsType<JsonObject>(PythonLiteral.Parse("{'a': True, 'b': False, 'c': None}"));

        Assert.True(obj["a"]!.GetValue<bool>());
        Assert.False(obj["b"]!.GetValue<bool>());
        Assert.True(obj.ContainsKey("c"));
        Assert.Null(obj["c"]);
    }

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("-7", -7L)]
    [InlineData("1_000", 1000L)]
    [InlineData("0x1F", 31L)]
    [InlineData("0o17", 15L)]
    [InlineData("0b101", 5L)]
    public void Parse_Integers_AreLongs(string literal, long expected)
    {
        Assert.Equal(expected, PythonLiteral.Parse(literal)!.GetValue<long>());
    }

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("-.5", -0.5)]
    [InlineData("1e3", 1000.0)]
    [InlineData("2.", 2.0)]
    public void Parse_Floats_AreDoubles(string literal, double expected)
    {
        Assert.Equal(expected, PythonLiteral.Parse(literal)!.GetValue<double>());
    }

    [Fact]
    public void Parse_NestedStructures_KeepShape()
    {
        var node = PythonLiteral.Parse(
            "{'ivr_data': {'lang': 'hi', 'menu': [1, 2, (3, 4)], 'flags': {True}}, 'empty': {}, 'list': [], 1: 'int key', (1, 'x'): 'tuple key'}");

        var obj = Assert.IsType<JsonObject>(node);
        Assert.Equal("hi", obj["ivr_data"]!["lang"]!.GetValue<string>());
        Assert.Equal(4, obj["ivr_data"]!["menu"]![2]![1]!.GetValue<long>());
        Assert.True(obj["ivr_data"]!["flags"]![0]!.GetValue<bool>());
        Assert.Empty(Assert.IsType<JsonObject>(obj["empty"]));
        Assert.Empty(Assert.IsType<JsonArray>(obj["list"]));
        Assert.Equal("int key", obj["1"]!.GetValue<string>());
        Assert.Equal("tuple key", obj["(1, 'x')"]!.GetValue<string>());
    }

    [Fact]
    public void Parse_DuplicateKeys_LastWins()
    {
        Assert.Equal(2, PythonLiteral.Parse("{'a': 1, 'a': 2}")!["a"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("", "expected a value")]
    [InlineData("{'a': 1", "expected ',' or '}'")]
    [InlineData("{'a' 1}", "expected ':'")]
    [InlineData("{'a': 1} trailing", "unexpected text after the literal")]
    [InlineData("'unterminated", "unterminated string")]
    [InlineData("{'a': open('x')}", "'open' is not a literal")]
    [InlineData("{[1]: 2}", "not hashable")]
    [InlineData("'\\x4'", "needs 2 hex digits")]
    [InlineData("1+2j", "unexpected text")]
    [InlineData("007", "leading zeros")]
    [InlineData("{'a': @}", "unexpected character '@'")]
    [InlineData("true", "'true' is not a literal")]
    public void Parse_Garbage_FailsWithClearError(string text, string expected)
    {
        var ex = Assert.Throws<PythonLiteralException>(() => PythonLiteral.Parse(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("offset", ex.Message, StringComparison.Ordinal);
        Assert.False(PythonLiteral.TryParse(text, out _, out var error));
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void Parse_DeepNesting_IsRefused()
    {
        var text = new string('[', 100) + new string(']', 100);

        var ex = Assert.Throws<PythonLiteralException>(() => PythonLiteral.Parse(text));

        Assert.Contains("nesting deeper", ex.Message, StringComparison.Ordinal);
    }
}
