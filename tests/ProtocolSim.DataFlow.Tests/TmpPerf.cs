using System.Diagnostics;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;
using Xunit.Abstractions;
namespace ProtocolSim.DataFlow.Tests;
public sealed class TmpPerf(ITestOutputHelper o)
{
    [Fact]
    public void Perf()
    {
        var yaml = new System.Text.StringBuilder("name: bench\nscript:\n  - on: clientEvent\n    emit:\n");
        for (var i = 0; i < 20; i++) yaml.Append("      - event: SR Partial\n        channel: 0\n        data: { PartialText: \"{text}\", Confidence: 0.87 }\n");
        var errors = new List<string>();
        var p = ProjectLoader.Load("b.yaml", yaml.ToString(), errors)!;
        var r = new ScriptRunner(p, new AudioFormat("pcm", 16000, 1));
        var j = new ProtocolSim.Core.SessionJournal("x", "y", redactor: new ProtocolSim.Core.Redactor(["abcdefgh"]));
        for (var w = 0; w < 1000; w++) r.OnClientEvent("is my order on its way");
        var sw = Stopwatch.StartNew(); var a0 = GC.GetAllocatedBytesForCurrentThread();
        var n = 0;
        for (var k = 0; k < 10000; k++) foreach (var x in r.OnClientEvent("is my order on its way")) { n++; }
        o.WriteLine($"script only {sw.Elapsed.TotalMicroseconds / n:0.00} us/event, {(GC.GetAllocatedBytesForCurrentThread() - a0) / n} B/event");
        var utf8 = r.OnClientEvent("x")[0].EventUtf8!.Value;
        sw.Restart(); a0 = GC.GetAllocatedBytesForCurrentThread(); n = 0;
        for (var k = 0; k < 200000; k++) { j.Append(ProtocolSim.Core.Direction.ToClient, ProtocolSim.Core.FrameKind.Text, "Event SR Partial", utf8Text: utf8); n++; }
        o.WriteLine($"journal only {sw.Elapsed.TotalMicroseconds / n:0.00} us/event, {(GC.GetAllocatedBytesForCurrentThread() - a0) / n} B/event");
    }
}
