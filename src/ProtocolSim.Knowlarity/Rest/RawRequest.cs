namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// A request as the API journal keeps it (<see cref="KnowlarityApi"/>): the raw HTTP message, request line, header
/// lines (keys masked), a blank line and the body. Read back by the suite's evidence and the admin request log.
/// </summary>
internal sealed record RawRequest(string Method, string Target, string Protocol, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    /// <summary>The target's path, without the query.</summary>
    public string Path => Target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? Target[..q] : Target;

    /// <summary>The target's query with its <c>?</c>, or empty.</summary>
    public string Query => Target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? Target[q..] : "";

    public static RawRequest Parse(string? text)
    {
        text ??= "";
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = (headEnd < 0 ? text : text[..headEnd]).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(KeyValuePair.Create(line[..colon], line[(colon + 1)..].TrimStart()));
            }
        }

        return new RawRequest(
            requestLine[0],
            requestLine.Length > 1 ? requestLine[1] : "/",
            requestLine.Length > 2 ? requestLine[2] : "HTTP/1.1",
            headers,
            headEnd < 0 ? "" : text[(headEnd + 4)..]);
    }
}
