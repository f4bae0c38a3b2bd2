using System.Diagnostics;

namespace ProtocolSim.Audio.Tests;

/// <summary>Runs the sox binary (no shell). A missing sox fails the test: the cross-checks are the point.</summary>
internal static class Sox
{
    private const string DefaultPath = "/usr/bin/sox";

    public static string Path { get; } = Locate();

    /// <summary>Runs sox with <paramref name="arguments"/>, asserts exit code 0 and returns standard output.</summary>
    public static string Run(params string[] arguments)
    {
        Assert.True(
            File.Exists(Path),
            $"sox is required by the ProtocolSim.Audio cross-check tests but was not found at {DefaultPath} or on PATH. "
            + "Run the setup script, bash scripts/setup.sh (it installs the Debian packages sox and espeak-ng).");

        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Path}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"sox {string.Join(' ', arguments)} did not finish in 2 minutes");
        Assert.True(
            process.ExitCode == 0,
            $"sox {string.Join(' ', arguments)} exited with {process.ExitCode}: {stderr.GetAwaiter().GetResult()}");
        return stdout;
    }

    /// <summary><c>sox --i -flag file</c> (what soxi prints), trimmed.</summary>
    public static string Info(string flag, string file) => Run("--i", flag, file).Trim();

    /// <summary>16-bit samples encoded by <c>sox -D</c> as <paramref name="encoding"/> (mu-law or a-law), 8 bits a code.</summary>
    public static byte[] EncodeG711(short[] samples, string encoding)
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("in.raw"), Pcm.ToBytes(samples));
        Run("-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1", dir.File("in.raw"), "-t", "raw", "-e", encoding, "-b", "8", dir.File("out.raw"));
        return File.ReadAllBytes(dir.File("out.raw"));
    }

    /// <summary>G.711 codes decoded by <c>sox -D</c> to 16-bit samples.</summary>
    public static short[] DecodeG711(byte[] codes, string encoding)
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("in.raw"), codes);
        Run("-D", "-t", "raw", "-r", "8000", "-e", encoding, "-b", "8", "-c", "1", dir.File("in.raw"), "-t", "raw", "-e", "signed", "-b", "16", dir.File("out.raw"));
        return Pcm.ToSamples(File.ReadAllBytes(dir.File("out.raw")));
    }

    private static string Locate()
    {
        if (File.Exists(DefaultPath))
        {
            return DefaultPath;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator))
        {
            var candidate = System.IO.Path.Combine(directory, "sox");
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return DefaultPath;
    }
}

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("protocolsim-audio-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Deterministic test signals.</summary>
internal static class Signals
{
    /// <summary>
    /// How far below <paramref name="input"/> the middle half of <paramref name="output"/> lies, in dB (the abrupt start
    /// and end of a tone are broadband clicks that pass any filter); an all-zero output measures at the 1e-3 floor.
    /// </summary>
    public static double AttenuationDb(short[] input, short[] output) =>
        20 * Math.Log10(Rms(input) / Math.Max(MiddleRms(output), 1e-3));

    public static double MiddleRms(short[] samples) => Rms(samples.AsSpan(samples.Length / 4, samples.Length / 2));

    public static short[] Tones(int sampleRate, double seconds, double amplitude, params double[] frequencies)
    {
        var samples = new short[(int)Math.Round(seconds * sampleRate)];
        for (var i = 0; i < samples.Length; i++)
        {
            var t = (double)i / sampleRate;
            var value = 0.0;
            for (var k = 0; k < frequencies.Length; k++)
            {
                // Spread phases so the tones do not all peak together.
                value += Math.Sin((2 * Math.PI * frequencies[k] * t) + k);
            }

            samples[i] = (short)Math.Round(amplitude * 32767 * value / frequencies.Length);
        }

        return samples;
    }

    /// <summary>Linear chirp from <paramref name="from"/> to <paramref name="to"/> Hz.</summary>
    public static short[] Sweep(int sampleRate, double seconds, double amplitude, double from, double to)
    {
        var samples = new short[(int)Math.Round(seconds * sampleRate)];
        for (var i = 0; i < samples.Length; i++)
        {
            var t = (double)i / sampleRate;
            var phase = 2 * Math.PI * ((from * t) + ((to - from) * t * t / (2 * seconds)));
            samples[i] = (short)Math.Round(amplitude * 32767 * Math.Sin(phase));
        }

        return samples;
    }

    /// <summary>Gaussian noise with the given RMS in LSB (3.28 LSB is -80 dBFS).</summary>
    public static short[] Noise(int count, double rmsLsb, int seed)
    {
        var random = new Random(seed);
        var samples = new short[count];
        for (var i = 0; i < count; i++)
        {
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            samples[i] = (short)Math.Clamp(Math.Round(gaussian * rmsLsb), short.MinValue, short.MaxValue);
        }

        return samples;
    }

    public static double Rms(ReadOnlySpan<short> samples)
    {
        var sum = 0.0;
        foreach (var s in samples)
        {
            sum += (double)s * s;
        }

        return samples.Length == 0 ? 0 : Math.Sqrt(sum / samples.Length);
    }
}

/// <summary>Finds the repository root (the folder holding ProtocolSim.sln) from the test binaries.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ProtocolSim.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no ProtocolSim.sln in {AppContext.BaseDirectory} or any parent folder");
    }
}
