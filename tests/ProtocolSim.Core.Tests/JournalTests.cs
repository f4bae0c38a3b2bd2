namespace ProtocolSim.Core.Tests;

public sealed class JournalTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(40)]
    public void Redact_MasksEverySecret_WithFewSecretsAndWithMany(int count)
    {
        // Up to four secrets are searched one by one, more with one multi-string search: both must mask the same.
        var secrets = Enumerable.Range(0, count).Select(i => $"secret-{i:D3}-value").ToList();
        var redactor = new Redactor(secrets);
        Assert.Equal("a *** b *** c", redactor.Redact($"a {secrets[0]} b {secrets[^1]} c"));
        Assert.Equal("nothing to hide", redactor.Redact("nothing to hide"));
        Assert.True(redactor.ContainsSecret(System.Text.Encoding.UTF8.GetBytes("x" + secrets[^1])));
    }

    [Fact]
    public void Append_WithSecret_RedactsTextAndSummary()
    {
        var journal = new SessionJournal("s1", "test", redactor: new Redactor(["sk-live-12345"]));
        var entry = journal.Append(Direction.FromClient, FrameKind.Text, "auth sk-live-12345", text: "{\"key\":\"sk-live-12345\"}");
        Assert.Equal("auth ***", entry.Summary);
        Assert.Equal("{\"key\":\"***\"}", entry.Text);
    }

    [Fact]
    public void Append_ManyThreads_KeepsEverySeqOnce()
    {
        var journal = new SessionJournal("s1", "test");
        Parallel.For(0, 1000, i => journal.Append(Direction.ToClient, FrameKind.Binary, $"frame {i}", length: i));
        Assert.Equal(1000, journal.Entries.Count);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), journal.Entries.Select(e => e.Seq).Order());
    }

    [Fact]
    public void FindingsFor_ReturnsOnlyThatRule()
    {
        var journal = new SessionJournal("s1", "test");
        journal.AddFinding("KVS-017", "rate", "16000 Hz", "8000 Hz");
        journal.AddFinding("KVS-018", "base64");
        Assert.Single(journal.FindingsFor("KVS-017"));
        Assert.Equal("8000 Hz", journal.FindingsFor("KVS-017")[0].Actual);
    }

    [Fact]
    public void AudioTrack_WriteWithGap_FillsSilenceAndTruncateDropsFlushedAudio()
    {
        var journal = new SessionJournal("s1", "test");
        var track = journal.GetOrAddAudio("bot", 8000);
        track.Write(TimeSpan.Zero, [1, 1, 1, 1]);
        track.Write(TimeSpan.FromMilliseconds(1), [2, 2]); // sample 8
        var pcm = track.ToArray();
        Assert.Equal(18, pcm.Length);
        Assert.All(pcm[4..16], b => Assert.Equal(0, b));
        track.Truncate(TimeSpan.Zero);
        Assert.Empty(track.ToArray());
        track.Write(TimeSpan.FromMilliseconds(1), [3, 3]);
        Assert.All(track.ToArray()[..16], b => Assert.Equal(0, b)); // the truncated audio does not come back
    }
    [Fact]
    public void Append_Utf8Text_IsReadBackAsTextAndCopiedUnlessImmutable()
    {
        var journal = new SessionJournal("s1", "test");
        var buffer = "{\"Event\":{\"Name\":\"Sentiment\"}}"u8.ToArray();
        var copied = journal.Append(Direction.ToClient, FrameKind.Text, "Event Sentiment", utf8Text: buffer);
        var shared = journal.Append(Direction.ToClient, FrameKind.Text, "Event Sentiment", utf8Text: buffer, utf8TextIsImmutable: true);
        Assert.Equal(buffer.Length, copied.Length);

        // The caller reuses its buffer: the copied entry is unchanged, the shared one was promised no change.
        buffer[2] = (byte)'X';
        Assert.Equal("{\"Event\":{\"Name\":\"Sentiment\"}}", journal.Entries[0].Text);
        Assert.Equal("{\"Xvent\":{\"Name\":\"Sentiment\"}}", shared.Text);
    }

    [Fact]
    public void Append_Utf8TextWithSecret_IsStoredRedacted()
    {
        var journal = new SessionJournal("s1", "test", redactor: new Redactor(["sk-live-12345"]));
        var entry = journal.Append(Direction.ToClient, FrameKind.Text, "echo", utf8Text: "{\"Text\":\"my key is sk-live-12345\"}"u8.ToArray());
        Assert.Equal("{\"Text\":\"my key is ***\"}", entry.Text);
        Assert.Null(entry.Utf8Text);
    }

    [Fact]
    public void Entries_Snapshot_StaysAsTakenWhileTheJournalGrows()
    {
        var journal = new SessionJournal("s1", "test");
        for (var i = 0; i < 20; i++)
        {
            journal.Append(Direction.ToClient, FrameKind.Text, $"m{i}", utf8Text: System.Text.Encoding.UTF8.GetBytes($"text {i}"));
        }

        var snapshot = journal.Entries;
        for (var i = 20; i < 5000; i++)
        {
            journal.Append(Direction.ToClient, FrameKind.Text, $"m{i}", utf8Text: System.Text.Encoding.UTF8.GetBytes($"text {i}"));
        }

        Assert.Equal(20, snapshot.Count);
        Assert.Equal("text 19", snapshot[19].Text);
        Assert.Equal(5000, journal.Entries.Count);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"text {i}"), journal.Entries.Select(e => e.Text));
    }
}
