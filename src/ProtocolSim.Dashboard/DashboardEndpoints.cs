using System.Buffers;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProtocolSim.Audio;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Dashboard;

/// <summary>
/// The dashboard that <c>protosim serve</c> hosts (its own loopback port, the endpoints file's <c>dashboard</c>): the
/// page and its two files, the session list and each session's timeline as server-sent events, entry details, captured
/// audio as WAV with its waveform's peaks, the fakes' admin actions, and the reports of past runs.
/// </summary>
public static class DashboardEndpoints
{
    private const string PageCsp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    // A report is self-contained (inline style and script, audio as data: URLs); served here it runs sandboxed (an
    // origin of its own: it cannot call the dashboard's API) and may fetch nothing and post nothing.
    private const string ReportCsp = "sandbox allow-scripts allow-modals; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
    private const int MaxActionBody = 1024 * 1024;

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>Starts the dashboard on <paramref name="address"/>, port 0 unless given.</summary>
    public static Task<WebApplication> StartAsync(IPAddress address, SessionHub hub, CancellationToken cancellationToken, int port = 0) =>
        SlimHost.StartAsync(
            kestrel =>
            {
                kestrel.Listen(address, port);
                kestrel.Limits.MaxRequestBodySize = MaxActionBody;
            },
            services => services.AddSingleton(hub).AddHttpClient(),
            app =>
            {
                app.Use(RefuseOtherHostsAsync);
                app.MapDashboard(hub);
            },
            cancellationToken);

    /// <summary>
    /// Only requests that name this machine by address (or <c>localhost</c>) are served: a page on another site that
    /// re-points its own DNS name at 127.0.0.1 (DNS rebinding) gets nothing.
    /// </summary>
    private static Task RefuseOtherHostsAsync(HttpContext context, RequestDelegate next)
    {
        var host = context.Request.Host.Host;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host, out _))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
        return context.Response.WriteAsync($"This dashboard answers requests for its address, not for \"{host}\".", context.RequestAborted);
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app, SessionHub hub)
    {
        var options = hub.Options;
        app.MapGet("/", context => AssetAsync(context, "index.html"));
        app.MapGet("/app.js", context => AssetAsync(context, "app.js"));
        app.MapGet("/app.css", context => AssetAsync(context, "app.css"));
        app.MapGet("/favicon.ico", () => Results.NoContent());
        app.MapGet("/api/info", () => Results.Json(new JsonObject
        {
            ["actions"] = new JsonArray([.. options.Actions.Select(ActionJson)]),
            ["reports"] = options.ReportsRoot is not null,
            ["maxSessions"] = options.MaxSessions,
            ["maxTimeline"] = options.MaxTimeline,
            ["lastTickError"] = hub.LastTickError,
        }));
        app.MapGet("/api/sessions", (HttpContext context) =>
        {
            var filter = SessionFilter.Parse(k => context.Request.Query[k].FirstOrDefault());
            var rows = hub.Matching(filter);
            return Results.Text(Rows(rows, options), "application/json");
        });
        app.MapGet("/api/stream", (HttpContext context) => StreamAsync(context, hub));
        app.MapGet("/api/sessions/{key:long}", (long key) => hub.Find(key) is { } row ? Results.Text(SessionJson(row, options).ToJsonString(), "application/json") : NotFound(key));
        app.MapGet("/api/sessions/{key:long}/entries/{seq:long}", (long key, long seq) => hub.Find(key) is not { } row ? NotFound(key)
            : Entry(row.Journal, seq) is { } entry ? Results.Text(EntryDetail(row.Journal, entry, options).ToJsonString(), "application/json")
            : Results.Json(new { error = $"Session {key} has no entry #{seq}." }, Web, statusCode: 404));
        app.MapGet("/api/sessions/{key:long}/audio/{track}.wav", (long key, string track) => Track(hub, key, track) is { } t
            ? Results.Bytes(Wav.Encode(t.ToArray(), t.SampleRate), "audio/wav", $"{key}-{track}.wav")
            : Results.Json(new { error = $"Session {key} has no audio track '{track}'." }, Web, statusCode: 404));
        app.MapGet("/api/sessions/{key:long}/audio/{track}/peaks", (long key, string track, int? n) => Track(hub, key, track) is { } t
            ? Results.Text(Peaks(t, Math.Clamp(n ?? 600, 16, 4000)).ToJsonString(), "application/json")
            : Results.Json(new { error = $"Session {key} has no audio track '{track}'." }, Web, statusCode: 404));
        app.MapPost("/api/actions/{id}", (HttpContext context, string id, IHttpClientFactory clients) => RunActionAsync(context, id, options, clients));
        app.MapGet("/api/reports", () => options.ReportsRoot is { } root
            ? Results.Text(ReportsIndex.List(root).ToJsonString(), "application/json")
            : Results.Json(new { error = "No reports directory is configured." }, Web, statusCode: 404));
        app.MapGet("/reports/{**path}", (HttpContext context, string path) => ReportFileAsync(context, options.ReportsRoot, path));
        return app;
    }

    private static IResult NotFound(long key) => Results.Json(new { error = $"No session {key} (it may have been dropped from the list)." }, Web, statusCode: 404);

    private static async Task AssetAsync(HttpContext context, string name)
    {
        var bytes = Assets.Get(name);
        var etag = Assets.ETag(name);
        context.Response.Headers.ContentSecurityPolicy = PageCsp;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = etag;
        if (context.Request.Headers.IfNoneMatch == etag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => "text/css; charset=utf-8",
        };
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    /// <summary>Starts an event stream; its token ends with the browser or with the host's shutdown (no 30 s wait).</summary>
    private static CancellationTokenSource StartEvents(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        return CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
    }

    private static async Task SendAsync(HttpContext context, string type, ReadOnlyMemory<byte> json, CancellationToken cancellationToken, long? id = null)
    {
        var body = context.Response.BodyWriter;
        if (id is { } seq)
        {
            body.Write(Encoding.ASCII.GetBytes($"id: {seq}\n"));
        }

        body.Write(Encoding.ASCII.GetBytes($"event: {type}\ndata: "));
        body.Write(json.Span);
        body.Write("\n\n"u8);
        await body.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// A tab's one event stream (one connection: a browser allows six per host over HTTP/1.1): the session list, a
    /// snapshot and then deltas at most every <see cref="DashboardOptions.ListInterval"/>; and, when the tab shows a
    /// session (<c>session=KEY</c>), its header and its entries as they are journaled, at most every
    /// <see cref="DashboardOptions.TimelineInterval"/>. Entries carry their sequence as the event id, so a reconnecting
    /// EventSource (Last-Event-ID) resumes after the last one it got; a long journal starts with its newest
    /// <see cref="DashboardOptions.MaxTimeline"/> entries.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, SessionHub hub)
    {
        var options = hub.Options;
        using var ended = StartEvents(context);
        var cancellationToken = ended.Token;
        var query = context.Request.Query;
        using var subscriber = hub.Subscribe(SessionFilter.Parse(k => query[k].FirstOrDefault()));
        var row = long.TryParse(query["session"].FirstOrDefault(), out var key) ? hub.Find(key) : null;
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnAppended(SessionJournal j, JournalEntry? e, Finding? f) => wake.Writer.TryWrite(true);
        if (row is not null)
        {
            row.Journal.Appended += OnAppended;
        }

        try
        {
            await SendAsync(context, "hello", JsonSerializer.SerializeToUtf8Bytes(new { session = row?.Key }), cancellationToken);
            var (sent, skipped) = row is null ? (0, 0) : Resume(context, row.Journal, options);
            string? header = null;
            var nextTimeline = 0L;
            while (true)
            {
                while (subscriber.Messages.TryRead(out var message))
                {
                    await SendAsync(context, message.Type, message.Json, cancellationToken);
                }

                if (row is not null && Environment.TickCount64 >= nextTimeline)
                {
                    var next = SessionJson(row, options, skipped).ToJsonString();
                    if (next != header)
                    {
                        header = next;
                        await SendAsync(context, "session", Encoding.UTF8.GetBytes(header), cancellationToken);
                    }

                    var entries = row.Journal.Entries;
                    while (sent < entries.Count)
                    {
                        var batch = Math.Min(entries.Count - sent, options.TimelineBatch);
                        await SendAsync(context, "entries", EntriesJson(entries, sent, batch, options), cancellationToken, id: entries[sent + batch - 1].Seq);
                        sent += batch;
                    }

                    nextTimeline = Environment.TickCount64 + (long)options.TimelineInterval.TotalMilliseconds;
                }

                // Wait for a list message, a journal append (not before the timeline's interval is up), or 15 s.
                using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                heartbeat.CancelAfter(TimeSpan.FromSeconds(15));
                var list = subscriber.Messages.WaitToReadAsync(heartbeat.Token).AsTask();
                var timeline = row is null ? Task.Delay(Timeout.Infinite, heartbeat.Token) : WaitTimelineAsync(wake.Reader, nextTimeline, heartbeat.Token);
                var quiet = false;
                try
                {
                    var first = await Task.WhenAny(list, timeline);
                    if (first == list && !await list)
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // 15 s without a list message or an entry: the keep-alive below.
                    quiet = true;
                }
                finally
                {
                    await heartbeat.CancelAsync();
                    await Task.WhenAll(list, timeline).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (quiet)
                {
                    await context.Response.BodyWriter.WriteAsync(": keep-alive\n\n"u8.ToArray(), cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The browser went away, or the dashboard is stopping.
        }
        finally
        {
            if (row is not null)
            {
                row.Journal.Appended -= OnAppended;
            }
        }
    }

    /// <summary>
    /// Where a session's timeline starts (sequences run from 1 without gaps, so the entry after <c>n</c> is at index
    /// <c>n</c>): after Last-Event-ID when the EventSource reconnects, after <c>?after=</c> when the page opens a new
    /// stream for the session it shows (another filter), else at its newest entries, the older ones skipped.
    /// </summary>
    private static (int Start, int Skipped) Resume(HttpContext context, SessionJournal journal, DashboardOptions options)
    {
        var count = journal.Entries.Count;
        if ((long.TryParse(context.Request.Headers["Last-Event-ID"].FirstOrDefault(), out var last) || long.TryParse(context.Request.Query["after"].FirstOrDefault(), out last)) && last >= 0)
        {
            return ((int)Math.Min(last, count), 0);
        }

        var start = Math.Max(0, count - options.MaxTimeline);
        return (start, start);
    }

    private static async Task WaitTimelineAsync(ChannelReader<bool> wake, long notBefore, CancellationToken cancellationToken)
    {
        await wake.ReadAsync(cancellationToken);
        var wait = notBefore - Environment.TickCount64;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
        }
    }

    private static string Rows(List<SessionRow> rows, DashboardOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var row in rows)
            {
                row.WriteTo(json, options);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The header of a session's page: what the list shows, its labels, findings and audio tracks.</summary>
    internal static JsonObject SessionJson(SessionRow row, DashboardOptions options, int skipped = 0)
    {
        var journal = row.Journal;
        var labels = new JsonObject();
        foreach (var (key, value) in journal.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            labels[key] = options.Mask(value);
        }

        return new JsonObject
        {
            ["key"] = row.Key,
            ["id"] = options.Mask(journal.SessionId),
            ["fake"] = row.Fake,
            ["protocol"] = row.Protocol,
            ["variant"] = options.Mask(row.Variant),
            ["client"] = options.Mask(row.Client),
            ["state"] = row.State,
            ["group"] = row.Group,
            ["started"] = journal.StartedAt,
            ["ended"] = journal.EndedAt,
            ["labels"] = labels,
            ["skipped"] = skipped,
            ["findings"] = new JsonArray([.. journal.Findings.Take(1000).Select(f => FindingJson(f, options))]),
            ["audio"] = new JsonArray([.. journal.Audio.Values.OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Name,
                ["rate"] = a.SampleRate,
                ["ms"] = Math.Round(a.Duration.TotalMilliseconds),
            })]),
        };
    }

    private static byte[] EntriesJson(IReadOnlyList<JournalEntry> entries, int from, int count, DashboardOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("entries");
            for (var i = from; i < from + count; i++)
            {
                var e = entries[i];
                json.WriteStartObject();
                json.WriteNumber("seq", e.Seq);
                json.WriteNumber("t", Math.Round(e.Offset.TotalMilliseconds, 1));
                json.WriteString("dir", Dir(e.Direction));
                json.WriteString("kind", e.Kind.ToString());
                json.WriteString("summary", options.Mask(e.Summary));
                json.WriteNumber("len", e.Length);
                if (e.AudioTrack is { } track)
                {
                    json.WriteString("audio", track);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Dir(Direction direction) => direction switch
    {
        Direction.FromClient => "from-client",
        Direction.ToClient => "to-client",
        _ => "internal",
    };

    private static JournalEntry? Entry(SessionJournal journal, long seq)
    {
        var entries = journal.Entries;
        if (seq >= 1 && seq <= entries.Count && entries[(int)seq - 1].Seq == seq)
        {
            return entries[(int)seq - 1];
        }

        return entries.FirstOrDefault(e => e.Seq == seq);
    }

    /// <summary>An entry expanded: pretty JSON, its text, its bytes in hex, and the findings it caused.</summary>
    internal static JsonObject EntryDetail(SessionJournal journal, JournalEntry e, DashboardOptions options)
    {
        var json = EntryText.PrettyJson(e, options.Redactor) is { } pretty ? options.Mask(pretty) : null;
        var text = e.Text;
        // Bytes are masked too: a frame journaled as bytes (not UTF-8, not the proto's message, cut off) was never redacted.
        var raw = e.Bytes is { Length: > 0 } bytes ? options.MaskBytes(bytes.Span) : text is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(options.Mask(text));
        return new JsonObject
        {
            ["seq"] = e.Seq,
            ["t"] = Math.Round(e.Offset.TotalMilliseconds, 1),
            ["time"] = e.Time,
            ["dir"] = Dir(e.Direction),
            ["kind"] = e.Kind.ToString(),
            ["summary"] = options.Mask(e.Summary),
            ["len"] = e.Length,
            ["audio"] = e.AudioTrack,
            ["audioMs"] = e.AudioOffset is { } at ? Math.Round(at.TotalMilliseconds, 1) : null,
            ["json"] = json,
            ["text"] = json is null && text is not null ? Truncate(options.Mask(text), options.MaxShownBytes) : null,
            ["hex"] = raw is { } r ? HexDump.Format(r.Span, options.MaxShownBytes) : null,
            ["hexOf"] = e.Bytes is { Length: > 0 } ? "bytes" : text is null ? null : "text (UTF-8)",
            ["findings"] = new JsonArray([.. journal.Findings.Where(f => f.EntrySeq == e.Seq).Select(f => FindingJson(f, options))]),
        };
    }

    /// <summary>A finding as the page shows it, masked: in a session's header and under the entry that caused it.</summary>
    private static JsonObject FindingJson(Finding f, DashboardOptions options) => new()
    {
        ["rule"] = f.RuleId,
        ["message"] = options.Mask(f.Message),
        ["expected"] = f.Expected is null ? null : options.Mask(f.Expected),
        ["actual"] = f.Actual is null ? null : options.Mask(f.Actual),
        ["seq"] = f.EntrySeq,
        ["t"] = Math.Round(f.Offset.TotalMilliseconds, 1),
    };

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"\n… (first {max:N0} of {text.Length:N0} characters shown)");

    private static AudioTrack? Track(SessionHub hub, long key, string track) =>
        hub.Find(key)?.Journal.Audio.GetValueOrDefault(track);

    /// <summary>The waveform: per bucket the lowest and highest sample (-1..1), so the page draws without decoding.</summary>
    internal static JsonObject Peaks(AudioTrack track, int buckets)
    {
        var (min, max) = track.Peaks(buckets);
        return new JsonObject
        {
            ["rate"] = track.SampleRate,
            ["ms"] = Math.Round(track.Duration.TotalMilliseconds),
            ["min"] = new JsonArray([.. min.Select(v => (JsonNode)Math.Round(v, 3))]),
            ["max"] = new JsonArray([.. max.Select(v => (JsonNode)Math.Round(v, 3))]),
        };
    }

    private static JsonObject ActionJson(AdminAction a) => new()
    {
        ["id"] = a.Id,
        ["fake"] = a.Fake,
        ["title"] = a.Title,
        ["description"] = a.Description,
        ["fields"] = new JsonArray([.. a.Fields.Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name,
            ["label"] = f.Label,
            ["kind"] = f.Kind.ToString().ToLowerInvariant(),
            ["default"] = f.Default,
            ["choices"] = new JsonArray([.. f.Choices.Select(c => (JsonNode)JsonValue.Create(c))]),
        })]),
    };

    /// <summary>Calls the fake's admin API for the action and hands its answer back (secrets masked).</summary>
    private static async Task<IResult> RunActionAsync(HttpContext context, string id, DashboardOptions options, IHttpClientFactory clients)
    {
        if (options.Actions.FirstOrDefault(a => a.Id == id) is not { } action)
        {
            return Results.Json(new { error = $"No action '{id}'." }, Web, statusCode: 404);
        }

        // Only the dashboard's own page: JSON (which another site cannot send without CORS, which is not offered)
        // from this origin. A form or a script elsewhere must not ring calls or reset state on a developer's machine.
        if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Results.Json(new { error = "An action is posted as application/json." }, Web, statusCode: 415);
        }

        var origin = context.Request.Headers.Origin.FirstOrDefault();
        var site = context.Request.Headers["Sec-Fetch-Site"].FirstOrDefault();
        if ((origin is not null && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
            || (site is not null && site is not ("same-origin" or "none")))
        {
            return Results.Json(new { error = "Actions are taken from the dashboard's own page only." }, Web, statusCode: 403);
        }

        JsonObject values;
        try
        {
            values = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject ?? [];
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return Results.Json(new { error = "The form is not JSON: " + e.Message }, Web, statusCode: 400);
        }

        string? body, error;
        try
        {
            (body, error) = action.Body(values);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            (body, error) = (null, "A field's value is not what it takes: " + e.Message);
        }

        if (error is not null)
        {
            return Results.Json(new { error }, Web, statusCode: 400);
        }

        if (action.Handler is { } handler)
        {
            var result = await handler(JsonNode.Parse(body!) as JsonObject ?? [], context.RequestAborted);
            return Results.Json(new { status = result.Status, ok = result.Status is >= 200 and < 300, body = Truncate(options.Mask(result.Body), 16 * 1024) }, Web);
        }

        var client = clients.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(10);
        try
        {
            using var response = await client.PostAsync(action.Url, new StringContent(body!, Encoding.UTF8, "application/json"), context.RequestAborted);
            var answer = await response.Content.ReadAsStringAsync(context.RequestAborted);
            return Results.Json(new
            {
                status = (int)response.StatusCode,
                ok = response.IsSuccessStatusCode,
                body = Truncate(options.Mask(answer), 16 * 1024),
            }, Web);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return Results.Json(new { error = $"{action.Title}: the fake did not answer ({e.Message})." }, Web, statusCode: 502);
        }
    }

    /// <summary>A file of a past run's report directory; nothing outside the reports root.</summary>
    private static async Task ReportFileAsync(HttpContext context, string? root, string path)
    {
        if (root is null || ReportsIndex.Resolve(root, path) is not { } file)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.Headers.ContentSecurityPolicy = ReportCsp;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.ContentType = Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".html" => "text/html; charset=utf-8",
            ".json" => "application/json",
            ".jsonl" => "application/x-ndjson",
            ".xml" => "application/xml",
            ".wav" => "audio/wav",
            _ => "text/plain; charset=utf-8",
        };
        await context.Response.SendFileAsync(file, context.RequestAborted);
    }

    /// <summary>The page's files, embedded in this assembly.</summary>
    private static class Assets
    {
        private static readonly Dictionary<string, (byte[] Bytes, string ETag)> Files = Load();

        public static byte[] Get(string name) => Files[name].Bytes;

        public static string ETag(string name) => Files[name].ETag;

        private static Dictionary<string, (byte[], string)> Load()
        {
            var assembly = Assembly.GetExecutingAssembly();
            var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
            foreach (var name in new[] { "index.html", "app.js", "app.css" })
            {
                using var stream = assembly.GetManifestResourceStream("wwwroot/" + name) ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded.");
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                var bytes = copy.ToArray();
                files[name] = (bytes, "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes).AsSpan(0, 8)) + "\"");
            }

            return files;
        }
    }
}
