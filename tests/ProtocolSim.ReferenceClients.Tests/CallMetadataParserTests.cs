using System.Net.WebSockets;

namespace ProtocolSim.ReferenceClients.Tests;

public sealed class CallMetadataParserTests
{
    [Theory]
    [InlineData(CallerAudio.PythonDictInJsonString, "6ccf0a28-0000-0000-0000-000000000000")]
    [InlineData(CallerAudio.JsonObject, "6ccf0a28-0000-0000-0000-000000000001")]
    [InlineData(CallerAudio.BarePythonDict, "6ccf0a28-0000-0000-0000-000000000002")]
    public void ParseStreamNode_EachWireForm_ReadsCallId(string text, string callId)
    {
        var metadata = CallMetadataParser.ParseStreamNode(text, MetadataMode.Lenient, out var rejection);

        Assert.Null(rejection);
        Assert.Equal(callId, metadata!.CallId);
        Assert.Equal("+911234567890", metadata.VirtualNumber);
        Assert.Equal("inbound", metadata.CallType);
    }

    [Fact]
    public void ParseStreamNode_UnknownKeys_AreIgnored()
    {
        var text = "{'callid': 'c1', 'virtual_number': '+911', 'customer_number': '+912', 'call_type': 'inbound', "
            + "'ivr_data': {'x': None}, 'client_meta_id': 7, 'event_timestamp': 1.5}";

        var metadata = CallMetadataParser.ParseStreamNode(text, MetadataMode.Lenient, out var rejection);

        Assert.Null(rejection);
        Assert.Equal("c1", metadata!.CallId);
        Assert.Equal(7, metadata.Keys.Count);
    }

    [Fact]
    public void ParseStreamNode_StrictKeys_RefusesUnknownKeysWith1008()
    {
        var metadata = CallMetadataParser.ParseStreamNode(
            "{'callid': 'c1', 'client_meta_id': 7}", MetadataMode.StrictKeys, out var rejection);

        Assert.Null(metadata);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, rejection!.CloseStatus);
        Assert.Contains("client_meta_id", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CallerAudio.PythonDictInJsonString)]
    [InlineData(CallerAudio.BarePythonDict)]
    public void ParseStreamNode_JsonObjectOnly_CrashesOnPythonForms(string text)
    {
        var metadata = CallMetadataParser.ParseStreamNode(text, MetadataMode.JsonObjectOnly, out var rejection);

        Assert.Null(metadata);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, rejection!.CloseStatus);
    }

    [Theory]
    [InlineData("{'virtual_number': '+91'}", "no callid")]
    [InlineData("[1, 2]", "array")]
    [InlineData("\"not a dict\"", "Not a Python literal")]
    [InlineData("hello", "Not a Python literal")]
    public void ParseStreamNode_Unusable_RefusedWithReason(string text, string reason)
    {
        var metadata = CallMetadataParser.ParseStreamNode(text, MetadataMode.Lenient, out var rejection);

        Assert.Null(metadata);
        Assert.Contains(reason, rejection!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseVerloop_DocumentedMessage_ReadsUuidAndRate()
    {
        var metadata = CallMetadataParser.ParseVerloop(CallerAudio.VerloopFirstMessage("aosi-adfad-23-ad", 8000), MetadataMode.Verloop, out var rejection);

        Assert.Null(rejection);
        Assert.Equal("aosi-adfad-23-ad", metadata!.CallId);
        Assert.Equal(8000, metadata.SampleRate);
        Assert.Equal("inbound", metadata.CallType);
    }

    [Fact]
    public void ParseVerloop_ExpectsCallId_CrashesWith1011()
    {
        var metadata = CallMetadataParser.ParseVerloop(CallerAudio.VerloopFirstMessage("u1", 16000), MetadataMode.VerloopExpectsCallId, out var rejection);

        Assert.Null(metadata);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, rejection!.CloseStatus);
    }
}
