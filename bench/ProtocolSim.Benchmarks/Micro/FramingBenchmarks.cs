using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using ProtocolSim.Cti.Transport;

namespace ProtocolSim.Benchmarks.Micro;

/// <summary>The CTI socket transport's framing (cti.md §3): a typical command frame read from a buffer, and written.</summary>
public class FramingBenchmarks
{
    private static readonly SocketFramingOptions Options = new();
    private byte[] _content = [];
    private ReadOnlySequence<byte> _frames;
    private ArrayBufferWriter<byte> _writer = new();

    /// <summary>Frames in the buffer read at once (a desktop's burst).</summary>
    [Params(1, 64)]
    public int Frames { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _content = Encoding.UTF8.GetBytes("""{"command":"AddChannelGroup","sessionId":"s-0001","channelGroup":{"name":"voice","channels":[{"type":"VOICE","address":"4001"}]}}""");
        var one = SocketFraming.Encode(1, _content, Options);
        _frames = new ReadOnlySequence<byte>([.. Enumerable.Range(0, Frames).SelectMany(_ => one)]);
        _writer = new ArrayBufferWriter<byte>(one.Length * Frames);
    }

    [Benchmark]
    public int Read()
    {
        var buffer = _frames;
        var read = 0;
        while (SocketFraming.TryReadFrame(ref buffer, Options, out var frame, out _))
        {
            read += frame.Content.Length;
        }

        return read;
    }

    [Benchmark]
    public int Write()
    {
        _writer.ResetWrittenCount();
        for (var i = 0; i < Frames; i++)
        {
            SocketFraming.Write(_writer, 1, _content, Options);
        }

        return _writer.WrittenCount;
    }
}
