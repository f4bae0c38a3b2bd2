using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using WireMock;
using WireMock.Logging;
using WireMock.Types;
using WireMock.Util;

namespace ProtocolSim.Knowlarity.Rest.Stubbing;

/// <summary>
/// Puts the requests that the built-in behaviour answered on the fast path (no user stub present, WireMock.Net's
/// middleware not run) into WireMock.Net's own request log, so that <c>/__admin/requests</c>, <c>requests/find</c>
/// and <see cref="WireMock.Server.WireMockServer.LogEntries"/> list every request.
/// </summary>
/// <remarks>
/// A fast-path request only queues a pointer to its journal entries (the newest
/// <see cref="KnowlarityOptions.MaxRequestJournalEntries"/> are kept); the queue is moved into the log, oldest first,
/// before any request reaches WireMock.Net's middleware (an admin call, or any request while a stub exists) and
/// whenever <see cref="KnowlarityHost.LogEntries"/> is read, so the log's order is the order of arrival; only then
/// is each made into WireMock.Net's <see cref="RequestMessage"/> (<see cref="WireMockRequests"/>). The log collection
/// is WireMock.Net's, found once in its service registrations: WireMock.Net 2.31 has no public way to add an entry. If a later version hides it, <see cref="Active"/> is false and every request goes through WireMock.Net's
/// middleware instead (correct, slower): a test fails so that the upgrade is noticed.
/// </remarks>
internal sealed class RequestLogFeed
{
    private readonly ConcurrentQueue<Pending> _pending = new();
    private readonly Lock _gate = new();
    private ObservableCollection<LogEntry>? _log;
    private ConcurrentDictionary<Guid, IMapping>? _mappings;
    private int _count;

    private sealed record Pending(JournalEntry Request, JournalEntry Answer, int Status, string? Allow, string ClientIp, string Host, int Port);

    /// <summary>Entries kept (WireMock.Net's <c>MaxRequestLogCount</c>, from the fake's options once its services exist); 0 keeps none.</summary>
    public int Max { get; set; }

    /// <summary>Whether WireMock.Net's log collection and mapping table were found (the fast path needs both).</summary>
    public bool Active => _log is not null && _mappings is not null && WireMockRequests.Available;

    /// <summary>
    /// Finds WireMock.Net's log collection and mapping table among the services its host registers (called from
    /// <c>AdditionalServiceRegistration</c>). The table is read without locks or copies on every fast-path request
    /// (<see cref="HasUserStubs"/>); <c>WireMockServer.Mappings</c> copies it under all of its locks.
    /// </summary>
    public void Attach(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType.FullName == "WireMock.Owin.IWireMockMiddlewareOptions" && descriptor.ImplementationInstance is { } options)
            {
                var type = options.GetType();
                _log = type.GetProperty("LogEntries")?.GetValue(options) as ObservableCollection<LogEntry>;
                _mappings = type.GetProperty("Mappings")?.GetValue(options) as ConcurrentDictionary<Guid, IMapping>;
                return;
            }
        }
    }

    /// <summary>Whether any mapping other than the admin API's and the built-in behaviour's exists (a lock-free walk of the table).</summary>
    public bool HasUserStubs()
    {
        foreach (var (guid, mapping) in _mappings!)
        {
            if (!mapping.IsAdminInterface && guid != BuiltInBehaviour.MappingGuid)
            {
                return true;
            }
        }

        return false;
    }

    public void Add(KnowlarityApi.Answer answer, Microsoft.AspNetCore.Http.HttpContext context)
    {
        if (Max == 0)
        {
            return;
        }

        var connection = context.Connection;
        _pending.Enqueue(new Pending(answer.Request, answer.Response, answer.Status, answer.Allow, connection.RemoteIpAddress?.ToString() ?? "", connection.LocalIpAddress?.ToString() ?? "127.0.0.1", connection.LocalPort));
        if (Interlocked.Increment(ref _count) > Max && _pending.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>
    /// Whether a user stub may answer <paramref name="request"/>: asks each user mapping with WireMock.Net's own
    /// matcher (<see cref="IMapping.GetRequestMatchResult"/>, in its scenario's current state) for a perfect match.
    /// A mapping that WireMock.Net would choose by chance (a probability) or by clock (time settings) counts as a match,
    /// so the answer errs towards WireMock.Net's middleware, never away from a stub.
    /// </summary>
    public bool AnyUserStubMayMatch(IRequestMessage request, WireMock.Handlers.IScenarioStateStore scenarios)
    {
        foreach (var (guid, mapping) in _mappings!)
        {
            if (mapping.IsAdminInterface || guid == BuiltInBehaviour.MappingGuid || mapping.IsDisabled)
            {
                continue;
            }

            if (mapping.Probability is not null || mapping.TimeSettings is not null)
            {
                return true;
            }

            var state = mapping.Scenario is { } scenario && scenarios.TryGet(scenario, out var s) ? s.NextState : null;
            var result = mapping.GetRequestMatchResult(request, state);

            // A matcher that failed on this request: WireMock.Net's middleware would log it and skip the mapping; let it.
            if (result.IsPerfectMatch || result.MatchDetails.Any(d => d.Exception is not null))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Drops the queued requests (a reset of the log).</summary>
    public void Clear()
    {
        while (_pending.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Moves the queued requests into WireMock.Net's log, then trims it to <see cref="Max"/>, oldest first.</summary>
    public void Flush()
    {
        if (_log is not { } log || _pending.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            var batch = new List<LogEntry>();
            while (_pending.TryDequeue(out var p))
            {
                Interlocked.Decrement(ref _count);
                batch.Add(Entry(p));
            }

            if (batch.Count >= Max)
            {
                log.Clear();
                batch.RemoveRange(0, batch.Count - Max);
            }

            foreach (var entry in batch)
            {
                log.Add(entry);
            }

            while (log.Count > Max)
            {
                log.RemoveAt(0);
            }
        }
    }

    private static LogEntry Entry(Pending p)
    {
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = new("application/json") };
        if (p.Allow is not null)
        {
            headers["Allow"] = new(p.Allow);
        }

        var text = p.Answer.Text ?? "";
        return new LogEntry
        {
            Guid = Guid.NewGuid(),
            RequestMessage = WireMockRequests.Create(RawRequest.Parse(p.Request.Text), p.Request.Time.UtcDateTime, p.ClientIp, p.Host, p.Port),
            ResponseMessage = new ResponseMessage
            {
                StatusCode = p.Status,
                Headers = headers,
                BodyData = new BodyData { BodyAsString = text, BodyAsBytes = Encoding.UTF8.GetBytes(text), Encoding = Encoding.UTF8, DetectedBodyType = BodyType.String },
                DateTime = p.Answer.Time.UtcDateTime,
            },
            MappingGuid = BuiltInBehaviour.MappingGuid,
            MappingTitle = BuiltInBehaviour.Title,
        };
    }
}
