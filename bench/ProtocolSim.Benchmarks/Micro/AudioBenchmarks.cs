using BenchmarkDotNet.Attributes;
using ProtocolSim.Audio;

namespace ProtocolSim.Benchmarks.Micro;

/// <summary>G.711 of one 20 ms frame at 8 kHz (160 samples), as a Data Flow or Knowlarity stream carries it.</summary>
public class AudioBenchmarks
{
    private readonly short[] _pcm = new short[160];
    private readonly byte[] _coded = new byte[160];
    private readonly short[] _decoded = new short[160];

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < _pcm.Length; i++)
        {
            _pcm[i] = (short)(12_000 * Math.Sin(2 * Math.PI * 440 * i / 8000.0));
        }
    }

    [Benchmark]
    public byte EncodeMuLaw()
    {
        for (var i = 0; i < _pcm.Length; i++)
        {
            _coded[i] = G711.LinearToMuLaw(_pcm[i]);
        }

        return _coded[^1];
    }

    [Benchmark]
    public short DecodeMuLaw()
    {
        for (var i = 0; i < _coded.Length; i++)
        {
            _decoded[i] = G711.MuLawToLinear(_coded[i]);
        }

        return _decoded[^1];
    }

    [Benchmark]
    public byte EncodeALaw()
    {
        for (var i = 0; i < _pcm.Length; i++)
        {
            _coded[i] = G711.LinearToALaw(_pcm[i]);
        }

        return _coded[^1];
    }
}
