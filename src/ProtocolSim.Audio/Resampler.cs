using System.Collections.Concurrent;
using System.Numerics;

namespace ProtocolSim.Audio;

/// <summary>
/// Sample-rate conversion of 16-bit mono PCM between any two rates (8, 16, 24, 32, 48 kHz and others with a
/// rational ratio): a polyphase Kaiser-windowed sinc, linear phase (no delay), anti-alias low-pass at 95% of the
/// lower Nyquist frequency (pass band to 90%, stop band from 100% at 100 dB rejection).
/// </summary>
internal static class Resampler
{
    /// <summary>
    /// Converts <paramref name="input"/> from <paramref name="fromRate"/> to <paramref name="toRate"/>. The output has
    /// round(length x toRate / fromRate) samples (half up, as SoX does); equal rates give a copy. Samples before the
    /// start and after the end are taken as silence.
    /// </summary>
    public static short[] Resample(ReadOnlySpan<short> input, int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        if (fromRate == toRate)
        {
            return input.ToArray();
        }

        // Silence before and after the input, so every output sees a full set of taps (as the streaming form does).
        var kernel = ResamplerKernel.For(fromRate, toRate);
        var output = new short[kernel.OutputLength(input.Length)];
        var end = output.Length == 0 ? 0 : kernel.LastTap(output.Length - 1) + 1;
        var padded = new double[kernel.Half + Math.Max(end, input.Length)];
        for (var i = 0; i < input.Length; i++)
        {
            padded[kernel.Half + i] = input[i];
        }

        for (var n = 0; n < output.Length; n++)
        {
            output[n] = kernel.Compute(padded, -kernel.Half, n);
        }

        return output;
    }
}

/// <summary>
/// <see cref="Resampler"/> for a stream that arrives in pieces (e.g. 20 ms frames): the concatenated output of
/// <see cref="Process"/> calls and the final <see cref="Flush"/> equals <see cref="Resampler.Resample"/> of the whole
/// input. Output lags input by <see cref="Latency"/> until the flush. Not thread-safe.
/// </summary>
internal sealed class StreamingResampler
{
    private static readonly short[] None = [];
    private readonly ResamplerKernel? _kernel;
    private double[] _buffer;
    private int _count;
    private long _bufferStart;
    private long _inputCount;
    private long _next;

    /// <summary>Creates a resampler from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    public StreamingResampler(int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        FromRate = fromRate;
        ToRate = toRate;
        _kernel = fromRate == toRate ? null : ResamplerKernel.For(fromRate, toRate);
        _buffer = new double[1024];
        Reset();
    }

    /// <summary>Input rate in Hz.</summary>
    public int FromRate { get; }

    /// <summary>Output rate in Hz.</summary>
    public int ToRate { get; }

    /// <summary>How much input audio is held back until more input (or the flush) arrives.</summary>
    public TimeSpan Latency => _kernel is null
        ? TimeSpan.Zero
        : TimeSpan.FromTicks((long)Math.Ceiling(_kernel.Half * (double)TimeSpan.TicksPerSecond / FromRate));

    /// <summary>Takes the next piece of input and returns every output sample that can now be computed.</summary>
    public short[] Process(ReadOnlySpan<short> input)
    {
        if (_kernel is null)
        {
            _inputCount += input.Length;
            return input.ToArray();
        }

        Append(input);
        _inputCount += input.Length;

        // Output n is final once its last tap (input index k0 + Half) has arrived.
        var available = 0L;
        while (_kernel.LastTap(_next + available) < _inputCount)
        {
            available++;
        }

        return Produce(available);
    }

    /// <summary>Ends the stream: returns the remaining output (input after the end taken as silence) and resets for a new stream.</summary>
    public short[] Flush()
    {
        if (_kernel is null)
        {
            Reset();
            return None;
        }

        var total = _kernel.OutputLength(_inputCount);
        var remaining = total - _next;
        if (remaining > 0)
        {
            var lastTap = _kernel.LastTap(total - 1);
            var padding = lastTap + 1 - (_bufferStart + _count);
            if (padding > 0)
            {
                AppendSilence((int)padding);
            }
        }

        var tail = Produce(Math.Max(remaining, 0));
        Reset();
        return tail;
    }

    /// <summary>Forgets all input: the next <see cref="Process"/> starts a new stream.</summary>
    public void Reset()
    {
        _inputCount = 0;
        _next = 0;
        _count = 0;
        if (_kernel is not null)
        {
            // Silence before the start, so the first outputs see a full set of taps.
            _bufferStart = -_kernel.Half;
            AppendSilence(_kernel.Half);
        }
    }

    private short[] Produce(long count)
    {
        if (count == 0)
        {
            return None;
        }

        var kernel = _kernel!;
        var output = new short[count];
        var window = _buffer.AsSpan(0, _count);
        for (var i = 0; i < output.Length; i++)
        {
            output[i] = kernel.Compute(window, _bufferStart, _next++);
        }

        // Drop input that no future output needs.
        var firstNeeded = kernel.FirstTap(_next);
        var drop = (int)Math.Clamp(firstNeeded - _bufferStart, 0, _count);
        if (drop > 0)
        {
            _buffer.AsSpan(drop, _count - drop).CopyTo(_buffer);
            _count -= drop;
            _bufferStart += drop;
        }

        return output;
    }

    private void Append(ReadOnlySpan<short> samples)
    {
        EnsureRoom(samples.Length);
        var target = _buffer.AsSpan(_count, samples.Length);
        for (var i = 0; i < samples.Length; i++)
        {
            target[i] = samples[i];
        }

        _count += samples.Length;
    }

    private void AppendSilence(int count)
    {
        EnsureRoom(count);
        _buffer.AsSpan(_count, count).Clear();
        _count += count;
    }

    private void EnsureRoom(int count)
    {
        if (_count + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _count + count));
        }
    }
}

/// <summary>
/// Polyphase windowed-sinc kernel for one rate pair. Output n sits at input position t = n * Down / Up; its taps are
/// the input samples k0 - Half + 1 .. k0 + Half around k0 = floor(t), weighted by the kernel table of phase
/// (n * Down) mod Up.
/// </summary>
internal sealed class ResamplerKernel
{
    private const double PassFraction = 0.95;     // cut-off (-6 dB) as a fraction of the lower Nyquist frequency
    private const int ZeroCrossings = 64;         // half-length in samples of the lower rate
    private const double KaiserBeta = 10.06;      // 0.1102 * (100 dB - 8.7): ~100 dB stop-band rejection

    private static readonly ConcurrentDictionary<(int, int), ResamplerKernel> Cache = new();
    private readonly double[] _table;

    private ResamplerKernel(int fromRate, int toRate)
    {
        var gcd = Gcd(fromRate, toRate);
        Up = toRate / gcd;
        Down = fromRate / gcd;

        // In input-sample units: cut-off frequency (cycles per sample) and kernel half-width.
        var ratio = Math.Min(1.0, (double)toRate / fromRate);
        var cutoff = 0.5 * PassFraction * ratio;
        var halfWidth = ZeroCrossings / ratio;
        Half = (int)Math.Ceiling(halfWidth);
        Taps = 2 * Half;

        _table = new double[Up * Taps];
        var i0Beta = BesselI0(KaiserBeta);
        for (var phase = 0; phase < Up; phase++)
        {
            var fraction = (double)phase / Up;
            var row = _table.AsSpan(phase * Taps, Taps);
            var sum = 0.0;
            for (var k = 0; k < Taps; k++)
            {
                // Distance from the output position to tap k (tap k is input k0 - Half + 1 + k).
                var d = fraction + (Half - 1 - k);
                var x = d / halfWidth;
                var w = Math.Abs(x) >= 1 ? 0 : BesselI0(KaiserBeta * Math.Sqrt(1 - (x * x))) / i0Beta;
                row[k] = 2 * cutoff * Sinc(2 * cutoff * d) * w;
                sum += row[k];
            }

            // Unity gain at DC for every phase.
            for (var k = 0; k < Taps; k++)
            {
                row[k] /= sum;
            }
        }
    }

    public int Up { get; }

    public int Down { get; }

    public int Half { get; }

    public int Taps { get; }

    public static ResamplerKernel For(int fromRate, int toRate) =>
        Cache.GetOrAdd((fromRate, toRate), static key => new ResamplerKernel(key.Item1, key.Item2));

    /// <summary>round(inputLength x Up / Down), halves rounded up, as SoX does.</summary>
    public long OutputLength(long inputLength) => ((2 * inputLength * Up) + Down) / (2L * Down);

    public int OutputLength(int inputLength) => (int)OutputLength((long)inputLength);

    public long FirstTap(long n) => ((n * Down) / Up) - Half + 1;

    public long LastTap(long n) => ((n * Down) / Up) + Half;

    /// <summary>Output sample <paramref name="n"/> from <paramref name="source"/>, which holds input samples
    /// <paramref name="sourceStart"/>.. and must cover all taps of <paramref name="n"/>.</summary>
    public short Compute(ReadOnlySpan<double> source, long sourceStart, long n)
    {
        var position = n * Down;
        var phase = (int)(position % Up);
        var first = (int)((position / Up) - Half + 1 - sourceStart);
        var value = Dot(_table.AsSpan(phase * Taps, Taps), source.Slice(first, Taps));
        return (short)Math.Clamp(Math.Round(value), short.MinValue, short.MaxValue);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var i = 0;
        var sum = 0.0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                acc += new Vector<double>(a[i..]) * new Vector<double>(b[i..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    private static double BesselI0(double x)
    {
        // Power series; converges quickly for the arguments a Kaiser window uses (x <= ~20).
        var sum = 1.0;
        var term = 1.0;
        var halfX = x / 2;
        for (var k = 1; k < 64; k++)
        {
            term *= halfX / k;
            var squared = term * term;
            sum += squared;
            if (squared < sum * 1e-17)
            {
                break;
            }
        }

        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
