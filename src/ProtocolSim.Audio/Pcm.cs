using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ProtocolSim.Audio;

/// <summary>Helpers for 16-bit little-endian signed PCM: conversion, sizes and durations, framing, level.</summary>
public static class Pcm
{
    /// <summary>The level <see cref="RmsDbfs"/> reports for digital silence (the true value is minus infinity).</summary>
    public const double SilenceDbfs = -120;

    /// <summary>Converts little-endian bytes to samples.</summary>
    /// <exception cref="ArgumentException">The byte count is odd.</exception>
    public static short[] ToSamples(ReadOnlySpan<byte> pcm16le)
    {
        if (pcm16le.Length % 2 != 0)
        {
            throw new ArgumentException(
                $"pcm16le holds {pcm16le.Length} bytes, an odd count; 16-bit samples need 2 bytes each", nameof(pcm16le));
        }

        var samples = new short[pcm16le.Length / 2];
        ReadSamples(pcm16le, samples);
        return samples;
    }

    /// <summary>Converts samples to little-endian bytes.</summary>
    public static byte[] ToBytes(ReadOnlySpan<short> samples)
    {
        var bytes = new byte[samples.Length * 2];
        WriteSamples(samples, bytes);
        return bytes;
    }

    /// <summary>
    /// Bytes of 16-bit PCM that play for <paramref name="duration"/>: the nearest whole number of frames
    /// (20 ms at 8 kHz mono is 320 bytes).
    /// </summary>
    public static int BytesPer(TimeSpan duration, int sampleRate, int channels = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        var frames = DivideRounded((Int128)duration.Ticks * sampleRate, TimeSpan.TicksPerSecond);
        var bytes = frames * 2 * channels;
        if (bytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(duration), duration, $"{duration} at {sampleRate} Hz x {channels} channel(s) exceeds {int.MaxValue} bytes");
        }

        return (int)bytes;
    }

    /// <summary>
    /// Playing time of <paramref name="byteCount"/> bytes of 16-bit PCM, counting whole frames only, rounded to the
    /// nearest tick (so <see cref="BytesPer"/> of the result gives the whole-frame byte count back).
    /// </summary>
    public static TimeSpan DurationOf(int byteCount, int sampleRate, int channels = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        var frames = byteCount / (2L * channels);
        return TimeSpan.FromTicks((long)DivideRounded((Int128)frames * TimeSpan.TicksPerSecond, sampleRate));
    }

    /// <summary>Splits PCM into consecutive slices of <paramref name="frameBytes"/> bytes (no copy); the last may be shorter.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Frames(ReadOnlyMemory<byte> pcm16le, int frameBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameBytes);
        return Iterate(pcm16le, frameBytes);

        static IEnumerable<ReadOnlyMemory<byte>> Iterate(ReadOnlyMemory<byte> pcm, int size)
        {
            for (var offset = 0; offset < pcm.Length; offset += size)
            {
                yield return pcm.Slice(offset, Math.Min(size, pcm.Length - offset));
            }
        }
    }

    /// <summary>
    /// RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS, a full-scale sine about -3 dBFS),
    /// floored at <see cref="SilenceDbfs"/>; an empty input or digital silence gives -120. A dangling odd byte is ignored.
    /// </summary>
    public static double RmsDbfs(ReadOnlySpan<byte> pcm16le)
    {
        var count = pcm16le.Length / 2;
        if (count == 0)
        {
            return SilenceDbfs;
        }

        long sumOfSquares = 0;
        for (var i = 0; i < count; i++)
        {
            int s = BinaryPrimitives.ReadInt16LittleEndian(pcm16le.Slice(i * 2, 2));
            sumOfSquares += s * s;
        }

        return MeanSquareToDbfs((double)sumOfSquares / count);
    }

    internal static double MeanSquareToDbfs(double meanSquare)
    {
        // 10*log10(ms / 32768^2) = 20*log10(rms / 32768).
        const double FullScaleSquared = 32768.0 * 32768.0;
        return meanSquare <= 0 ? SilenceDbfs : Math.Max(SilenceDbfs, 10 * Math.Log10(meanSquare / FullScaleSquared));
    }

    internal static void ReadSamples(ReadOnlySpan<byte> pcm16le, Span<short> samples)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, short>(pcm16le[..(samples.Length * 2)]).CopyTo(samples);
            return;
        }

        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(pcm16le[(i * 2)..]);
        }
    }

    internal static void WriteSamples(ReadOnlySpan<short> samples, Span<byte> pcm16le)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(samples).CopyTo(pcm16le);
            return;
        }

        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(pcm16le[(i * 2)..], samples[i]);
        }
    }

    private static Int128 DivideRounded(Int128 numerator, long denominator) => (numerator + (denominator / 2)) / denominator;
}
