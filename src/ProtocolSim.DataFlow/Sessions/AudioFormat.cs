using System.Globalization;
using ProtocolSim.Audio;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>The input audio format a Start declared.</summary>
internal sealed record AudioFormat(string Encoding, int SampleRate, int ChannelCount, string OutputEncoding = "pcm")
{
    /// <summary>Bytes of one sample frame (all channels): PCM16 2 per channel, G.711 1 (DFW-009).</summary>
    public int FrameBytes => (Encoding == "pcm" ? 2 : 1) * ChannelCount;

    /// <summary>
    /// The journal's audio track of one input channel: <c>input</c> for mono audio, <c>input-ch0</c> and
    /// <c>input-ch1</c> for stereo.
    /// </summary>
    public string InputTrack(int channel) => ChannelCount == 1 ? "input" : $"input-ch{channel.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Whole sample frames of audio in this format, decoded (μ-law, A-law) and de-interleaved (DFW-008: one sample per
    /// channel in turn): 16-bit little-endian PCM per channel, every channel the same length.
    /// </summary>
    public byte[][] ToChannels(ReadOnlySpan<byte> frames)
    {
        var whole = frames[..(frames.Length - (frames.Length % FrameBytes))];
        if (Encoding == "pcm" && ChannelCount == 1)
        {
            return [whole.ToArray()];
        }

        var samples = Encoding switch
        {
            "ulaw" => G711.DecodeMuLaw(whole),
            "alaw" => G711.DecodeALaw(whole),
            _ => Pcm.ToSamples(whole),
        };
        var channels = new byte[ChannelCount][];
        var perChannel = samples.Length / ChannelCount;
        for (var ch = 0; ch < ChannelCount; ch++)
        {
            var mono = new short[perChannel];
            for (var i = 0; i < perChannel; i++)
            {
                mono[i] = samples[(i * ChannelCount) + ch];
            }

            channels[ch] = Pcm.ToBytes(mono);
        }

        return channels;
    }
}
