namespace ProtocolSim.Conformance;

/// <summary>
/// A scenario's own temporary folder (endpoints file, audio the client reads, files the client writes), removed
/// when the scenario ends; a folder still in use by a stopped client is left to the system's temp cleaner.
/// </summary>
public sealed class ScenarioDirectory : IDisposable
{
    public ScenarioDirectory(string suite)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "protosim-" + suite, Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A file name inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
