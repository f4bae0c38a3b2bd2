using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace ProtocolSim.Core.Tests;

public sealed class JournalFileTests
{
    [Fact]
    public void AJournalWritten_ReadsBack_AsItWasRecorded()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 1, 2, 3, TimeSpan.Zero));
        var journal = new SessionJournal("cti-1", "cti", time, new Redactor(["s3cret"]));
        journal.SetLabel("transport", "socket");
        journal.Append(Direction.FromClient, FrameKind.Text, "client text", text: """{"password":"s3cret"}""", parsed: JsonNode.Parse("""{"a":1}"""));
        time.Advance(TimeSpan.FromMilliseconds(12.3456));
        var binary = journal.Append(Direction.ToClient, FrameKind.Binary, "frame", bytes: new byte[] { 0x7E, 0x21, 0x4F, 0x4D }, audioTrack: "caller", audioOffset: TimeSpan.FromMilliseconds(20));
        journal.AddFinding("CTI-005", "boundary not checked", "a frame starting ~!OM", "a frame starting 00", binary.Seq);

        var text = JournalFile.Write(journal);
        var read = JournalFile.Read(text);

        Assert.Equal(("cti-1", "cti", journal.StartedAt), (read.SessionId, read.Protocol, read.StartedAt));
        Assert.Equal("socket", read.Labels["transport"]);
        Assert.Equal(2, read.Entries.Count);
        Assert.Equal("""{"password":"***"}""", read.Entries[0].Text);
        Assert.Equal(1, read.Entries[0].Parsed!["a"]!.GetValue<int>());
        Assert.Equal(TimeSpan.FromMilliseconds(12.346), read.Entries[1].Offset);
        Assert.Equal(journal.Entries[1].Time, read.Entries[1].Time);
        Assert.Equal(new byte[] { 0x7E, 0x21, 0x4F, 0x4D }, read.Entries[1].Bytes!.Value.ToArray());
        Assert.Equal(("caller", TimeSpan.FromMilliseconds(20)), (read.Entries[1].AudioTrack, read.Entries[1].AudioOffset));
        var finding = Assert.Single(read.FindingsFor("CTI-005"));
        Assert.Equal((binary.Seq, "a frame starting 00"), (finding.EntrySeq, finding.Actual));
        Assert.NotNull(read.EndedAt);

        // Written again, it is the same file: nothing is lost or changed by the round trip.
        Assert.Equal(text, JournalFile.Write(read));
    }

    [Theory]
    [InlineData("", "line 1: no journal header")]
    [InlineData("[1]", "line 1: not a JSON object")]
    [InlineData("{\"sessionId\":\"s\",\"protocol\":\"p\",\"startedAt\":\"2026-12-08T00:00:00+00:00\"}\n{\"seq\":1,\"offsetMs\":0,\"time\":\"2026-12-08T00:00:00+00:00\",\"direction\":\"Sideways\",\"kind\":\"Text\",\"summary\":\"x\"}", "line 2: direction")]
    [InlineData("{\"sessionId\":\"s\",\"protocol\":\"p\",\"startedAt\":\"2026-12-08T00:00:00+00:00\"}\n{\"offsetMs\":0}", "line 2: no seq")]
    public void ABrokenFile_IsRefused_NamingTheLine(string jsonl, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => JournalFile.Read(jsonl));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}
