namespace ProtocolSim.Core;

/// <summary>A journal entry's content as a person reads it, from what the journal redacted.</summary>
public static class EntryText
{
    /// <summary>
    /// The JSON of a text frame, indented; null when the frame is not JSON. Read from <see cref="JournalEntry.Text"/>,
    /// which the journal redacted, not from <see cref="JournalEntry.Parsed"/>, which a fake keeps as it arrived.
    /// </summary>
    public static string? PrettyJson(JournalEntry entry, Redactor redactor)
    {
        if (entry.Parsed is null)
        {
            return null;
        }

        if (entry.Text is { } text)
        {
            try
            {
                return System.Text.Json.Nodes.JsonNode.Parse(text)?.ToJsonString(JsonDefaults.IndentedRelaxed);
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }

        return redactor.Redact(entry.Parsed.ToJsonString(JsonDefaults.IndentedRelaxed));
    }
}
