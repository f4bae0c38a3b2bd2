using System.Text.RegularExpressions;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Dashboard;

/// <summary>The dashboard's settings; the defaults suit a developer's machine and the 1,000-session benchmark.</summary>
public sealed partial class DashboardOptions
{
    /// <summary>Sessions kept in the list (the oldest go first); bounds a long-running serve's memory.</summary>
    public int MaxSessions { get; set; } = 5_000;

    /// <summary>How often the session list is pushed at most (changes in between are merged).</summary>
    public TimeSpan ListInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a session's timeline is pushed at most.</summary>
    public TimeSpan TimelineInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Timeline entries per push at most (a long session's backlog goes in several).</summary>
    public int TimelineBatch { get; set; } = 500;

    /// <summary>Entries of a session's timeline sent when it is opened (its newest); the rest is in the run's report.</summary>
    public int MaxTimeline { get; set; } = 5_000;

    /// <summary>Bytes of a frame shown as text or hex at most.</summary>
    public int MaxShownBytes { get; set; } = 64 * 1024;

    /// <summary>Masks the secrets of every fake in what the dashboard shows that journals did not already redact.</summary>
    public Redactor Redactor { get; set; } = Redactor.None;

    /// <summary>The admin actions offered as buttons.</summary>
    public List<AdminAction> Actions { get; } = [];

    /// <summary>Where past runs' reports are looked for (directories holding results.json); null: no reports page.</summary>
    public string? ReportsRoot { get; set; }

    /// <summary>
    /// What the dashboard shows of a text: the fakes' secrets masked, and the signature of any JWT (a bearer token a
    /// client sent or was issued) masked too, so its claims stay readable and the token is useless.
    /// </summary>
    public string Mask(string text)
    {
        var redacted = Redactor.Redact(text);
        return redacted.Contains("eyJ", StringComparison.Ordinal) ? Jwt().Replace(redacted, "$1" + Redactor.Mask) : redacted;
    }

    /// <summary>Raw bytes as the dashboard shows them: the fakes' secrets overwritten, the length kept.</summary>
    public byte[] MaskBytes(ReadOnlySpan<byte> bytes) => Redactor.MaskBytes(bytes);

    [GeneratedRegex(@"(eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.)[A-Za-z0-9_-]+")]
    private static partial Regex Jwt();
}
