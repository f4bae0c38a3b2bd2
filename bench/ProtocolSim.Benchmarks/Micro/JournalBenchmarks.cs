using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ProtocolSim.Core;

namespace ProtocolSim.Benchmarks.Micro;

/// <summary>
/// What every client message costs before a fake answers it: a Data Flow Start message parsed, its secret masked and
/// journaled with its text (the path of every WebSocket and gRPC message), and a bare journal append.
/// </summary>
public class JournalBenchmarks
{
    private const string Start = """{"Type":"Start","Tenant":"acme","Project":"bench","Token":"secret-token-0001","Audio":{"Encoding":"pcm","SampleRate":8000,"Channels":1}}""";
    private static readonly string[] Secrets = ["secret-token-0001"];
    private SessionJournal _journal = new("bench", "bench");

    [IterationSetup]
    public void Fresh() => _journal = new SessionJournal("bench", "bench", redactor: new Redactor(Secrets));

    [Benchmark]
    public int ParseRedactAndJournalAClientText()
    {
        var parsed = JsonNode.Parse(Start);
        var entry = _journal.Append(Direction.FromClient, FrameKind.Text, "client text Start", text: Start, length: Start.Length, parsed: parsed);
        return entry.Length;
    }

    [Benchmark]
    public long AppendAnEntry() =>
        _journal.Append(Direction.FromClient, FrameKind.Text, "client text 128 B", length: 128).Seq;
}
