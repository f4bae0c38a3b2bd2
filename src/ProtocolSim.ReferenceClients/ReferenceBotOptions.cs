using System.Net;

namespace ProtocolSim.ReferenceClients;

/// <summary>How a <see cref="ReferenceBotServer"/> listens and what it says.</summary>
public sealed record ReferenceBotOptions
{
    /// <summary>TCP port; 0 picks a free one (read it back from <see cref="ReferenceBotServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>IP address to bind. Loopback by default (ARCHITECTURE.md "Safe by default").</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>Number the bot transfers callers to (KVS-027 wants E.164).</summary>
    public string TransferDestination { get; init; } = "+919876543210";

    /// <summary>Logger factory for the bot and its Kestrel host; null logs warnings and errors to the console.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Clock for pacing and playback tracking.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Every problem with these options; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535)
        {
            errors.Add($"Port: {Port} is outside 0..65535.");
        }

        if (!IPAddress.TryParse(Bind, out _))
        {
            errors.Add($"Bind: '{Bind}' is not an IP address.");
        }

        if (string.IsNullOrWhiteSpace(TransferDestination))
        {
            errors.Add("TransferDestination: must not be empty.");
        }

        return errors;
    }
}
