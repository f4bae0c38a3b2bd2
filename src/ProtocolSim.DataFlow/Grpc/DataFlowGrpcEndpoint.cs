using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Grpc.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Grpc;

/// <summary>
/// The Data Flow gRPC integration (dataflow.md §2.7) on Grpc.AspNetCore: the bidirectional <c>/dataflow/Stream</c>
/// call of the proto in use, on the same session state machine as the WebSocket integration. grpc-dotnet does the
/// protocol: length-prefixed framing, HTTP/2 and content-type checks, <c>grpc-timeout</c> deadlines, compression,
/// message size limits, statuses and trailers, UNIMPLEMENTED for other methods. This class journals what the DFG
/// judges read (from the call context) and ends the call with <c>OK</c> after <c>FinalResult</c> once the client
/// half-closes (or 2 s later). Server reflection and the standard health service are mapped beside it.
/// </summary>
internal static class DataFlowGrpcEndpoint
{
    /// <summary>The documented method; its path has no package (the proto declares none).</summary>
    public const string StreamPath = "/dataflow/Stream";

    /// <summary>After FinalResult the call ends this long later at the latest, half-closed or not (dataflow.md §5).</summary>
    private static readonly TimeSpan HalfCloseWait = TimeSpan.FromSeconds(2);

    /// <summary>grpc-dotnet with the mock's limits, the Stream method of the proto in use, reflection and health.</summary>
    public static IServiceCollection AddDataFlowGrpc(this IServiceCollection services)
    {
        services.AddGrpc();

        // §5 MaxFrameBytes bounds a gRPC message as it bounds a WebSocket one (grpc-dotnet answers RESOURCE_EXHAUSTED).
        services.AddOptions<GrpcServiceOptions>().Configure<DataFlowOptions>((grpc, options) => grpc.MaxReceiveMessageSize = options.MaxFrameBytes);
        services.AddSingleton<IServiceMethodProvider<DataFlowStreamService>, DataFlowStreamService.MethodProvider>();

        // Reflection describes the service of the proto in use: the bundled one's generated descriptor, or one built from
        // a proto loaded at run time (GrpcProtoMapping.Descriptor).
        services.AddSingleton(sp => new ReflectionServiceImpl(Described(sp)));
        services.AddSingleton(sp => new ReflectionV1ServiceImpl(Described(sp)));
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck("dataflow", () => HealthCheckResult.Healthy("the Data Flow mock is serving"));
        return services;
    }

    private static List<Google.Protobuf.Reflection.ServiceDescriptor> Described(IServiceProvider services) =>
        services.GetRequiredService<DataFlowOptions>().GrpcProto is var proto && ReferenceEquals(proto, GrpcProtoMapping.Default)
            ? [Wire.GrpcDataFlowReflection.Descriptor.Services[0], global::Grpc.Health.V1.Health.Descriptor]
            : proto.Descriptor is { } loaded ? [loaded.Services[0], global::Grpc.Health.V1.Health.Descriptor] : [global::Grpc.Health.V1.Health.Descriptor];

    public static IEndpointRouteBuilder MapDataFlowGrpc(this IEndpointRouteBuilder endpoints)
    {
        // The first gRPC service mapped also gets grpc-dotnet's UNIMPLEMENTED endpoints for other services and methods;
        // they answer as grpc-dotnet does, and each call of them is journaled against DFG-002.
        endpoints.MapGrpcService<DataFlowStreamService>().Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<GrpcMethodMetadata>().Any() || endpoint.RequestDelegate is not { } unimplemented)
            {
                return;
            }

            endpoint.RequestDelegate = context => SessionFrames.WithJournalAsync(context, "grpc-method", async (_, _, journal) =>
            {
                var entry = JournalOpen(context, journal, Direction.FromClient);
                journal.AddFinding("DFG-002", $"The client called {context.Request.Path}, not the Stream method of service dataflow.", StreamPath, context.Request.Path.ToString(), entry.Seq);
                await unimplemented(context);
                journal.Append(Direction.ToClient, FrameKind.Close, $"Trailers-Only grpc-status {context.Response.Headers["grpc-status"]} {Uri.UnescapeDataString(context.Response.Headers["grpc-message"].ToString())}");
            });
        });
        endpoints.MapGrpcReflectionService();
        endpoints.MapGrpcHealthChecksService();
        return endpoints;
    }

    /// <summary>
    /// The call's first entry and its channel label, TLS or cleartext HTTP/2 (what DFG-003 judges); <paramref name="detail"/>
    /// follows the remote address.
    /// </summary>
    private static JournalEntry JournalOpen(HttpContext context, SessionJournal journal, Direction direction, string detail = "")
    {
        var request = context.Request;
        journal.SetLabel("channel", request.IsHttps ? "tls" : "cleartext");
        var channel = request.IsHttps ? $"TLS ({context.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>()?.Protocol})" : "cleartext HTTP/2";
        return journal.Append(direction, FrameKind.Open, $"gRPC {request.Path} over {channel} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}{detail}");
    }

    /// <summary>The journal line of the call's end: the status grpc-dotnet sends in the trailers.</summary>
    private static string Trailers(StatusCode code, string detail) => $"trailers grpc-status {(int)code} {code}" + (detail.Length > 0 ? $": {detail}" : "");

    /// <summary>
    /// The gRPC service: one duplex-streaming method, bound through grpc-dotnet's service-method provider with a
    /// marshaller that keeps every request message's bytes (the journal keeps what the client sent, even a message that
    /// is not protobuf: the generated marshaller would throw before the mock saw it), so any proto that
    /// <see cref="GrpcProtoMapping"/> maps is served, the bundled one and <c>--dataflow-proto FILE</c> alike.
    /// </summary>
    internal sealed class DataFlowStreamService
    {
        private static readonly Marshaller<byte[]> Bytes = new((byte[] bytes, SerializationContext context) => context.Complete(bytes), (DeserializationContext context) => context.PayloadAsNewBuffer());

        internal sealed class MethodProvider(DataFlowOptions options) : IServiceMethodProvider<DataFlowStreamService>
        {
            public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DataFlowStreamService> context)
            {
                var path = options.GrpcProto.MethodPath.TrimStart('/');
                var slash = path.LastIndexOf('/');
                var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, path[..slash], path[(slash + 1)..], Bytes, Bytes);
                context.AddDuplexStreamingMethod(method, [], (_, requests, responses, call) => RunAsync(requests, responses, call));
            }
        }
    }

    private static Task RunAsync(IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, ServerCallContext call)
    {
        var context = call.GetHttpContext();
        return SessionFrames.WithJournalAsync(context, "grpc", async (options, secrets, journal) =>
        {
            var timeout = context.Request.Headers["grpc-timeout"].ToString();
            JournalOpen(context, journal, Direction.Internal, timeout.Length > 0 ? $", grpc-timeout {timeout} (deadline {call.Deadline:HH:mm:ss.fff})" : "");

            // The response headers go out at once: the call is open (a client may wait for them before it sends Start).
            await call.WriteResponseHeadersAsync(new Metadata());
            await RunCallAsync(context, call, requests, responses, options, secrets, journal);
        });
    }

    private static async Task RunCallAsync(HttpContext context, ServerCallContext call, IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, DataFlowOptions options, IReadOnlyList<string> secrets, SessionJournal journal)
    {
        // The call's token: cancelled by the client's RST_STREAM and by the deadline (grpc-dotnet sends its trailers first).
        var cancellation = call.CancellationToken;
        using var sink = new GrpcSink(responses, journal, options.GrpcProto);
        var services = context.RequestServices;
        await using (var session = new DataFlowSession(options, services.GetRequiredService<TokenService>(), journal, sink, pathProject: null, services.GetService<TimeProvider>()) { Transport = DataFlowTransport.Grpc })
        {
            try
            {
                var status = await ReceiveAsync(requests, session, options, journal, secrets, cancellation);
                if (status.StatusCode == StatusCode.OK && session.StartPending)
                {
                    // Half-closed while the project builds: the StartResponse still goes out before the call ends.
                    await session.StartAnswered.WaitAsync(cancellation);
                }

                if (status.StatusCode == StatusCode.OK && session.State is SessionState.Finishing or SessionState.Ended)
                {
                    // Half-closed after Finalize/Stop: the call stays open for the session's remaining output, until
                    // FinalResult. Half-closed before (a session never started, or left active): nothing more will come.
                    await session.FinalResultSent.WaitAsync(cancellation);
                }

                sink.Complete();
                call.Status = status;
                journal.Append(Direction.ToClient, FrameKind.Close, Trailers(status.StatusCode, status.Detail));
            }
            catch (RpcException e)
            {
                // The request stream broke (grpc-dotnet's reader: a lying length, a compressed flag without grpc-encoding,
                // a message over the limit): grpc-dotnet's status ends the call.
                sink.Complete();
                var entry = journal.Append(Direction.FromClient, FrameKind.Error, $"broken gRPC request stream: {e.Status.Detail}");
                journal.AddFinding(null, "The request stream is not valid gRPC framing.", "length-prefixed messages: flag 0, 4-byte big-endian length, the message", $"grpc-status {(int)e.StatusCode} {e.StatusCode}: {e.Status.Detail}", entry.Seq);
                journal.Append(Direction.ToClient, FrameKind.Close, Trailers(e.StatusCode, e.Status.Detail));
                throw;
            }
            catch (Exception e) when (cancellation.IsCancellationRequested && e is OperationCanceledException or IOException or InvalidOperationException)
            {
                sink.Complete();
                if (DeadlinePassed(context))
                {
                    // grpc-dotnet's deadline: it sent DEADLINE_EXCEEDED in the trailers, then reset the stream.
                    journal.Append(Direction.Internal, FrameKind.Note, $"the call's deadline (grpc-timeout {context.Request.Headers["grpc-timeout"]}) passed in state {session.State}");
                    journal.Append(Direction.ToClient, FrameKind.Close, Trailers(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
                }
                else
                {
                    // A reset stream surfaces as a cancelled wait or as a failed read, whichever comes first.
                    journal.Append(Direction.FromClient, FrameKind.Close, $"the client cancelled the call (RST_STREAM) in state {session.State}");
                }
            }
        }
    }

    /// <summary>Whether grpc-dotnet wrote DEADLINE_EXCEEDED into the trailers (it does when the call's deadline passes).</summary>
    private static bool DeadlinePassed(HttpContext context) =>
        context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() == ((int)StatusCode.DeadlineExceeded).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads StreamInput messages until the client half-closes (OK); grpc-dotnet's reader throws when the framing breaks.
    /// Every message is journaled as it is read and handed to the session through a <see cref="SessionInbox"/>, so what
    /// the session does never delays the reading, nor the stamp, of the next message or of the half-close. Returns once
    /// the session has handled everything read (the caller then looks at its state).
    /// </summary>
    private static async Task<Status> ReceiveAsync(IAsyncStreamReader<byte[]> requests, DataFlowSession session, DataFlowOptions options, SessionJournal journal, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        var inbox = new SessionInbox(journal);
        Status status;
        try
        {
            status = await ReadAsync(requests, session, inbox, options, journal, secrets, cancellationToken);
        }
        catch
        {
            // The read failed (a broken stream, a reset): what was read is still handled, then the read's error wins.
            await inbox.CompleteAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await inbox.CompleteAsync();
        return status;
    }

    private static async Task<Status> ReadAsync(IAsyncStreamReader<byte[]> requests, DataFlowSession session, SessionInbox inbox, DataFlowOptions options, SessionJournal journal, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        // After FinalResult the client has HalfCloseWait to half-close; then the call completes anyway.
        var halfCloseDue = HalfCloseDueAsync(session.FinalResultSent, session.Time, cancellationToken);
        var unknownReported = false;

        // One token for every read: cancelled only to abandon the read pending when the call completes without a half-close.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        while (!inbox.Failed)
        {
            var read = requests.MoveNext(reading.Token);
            if (await Task.WhenAny(read, halfCloseDue) != read)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await reading.CancelAsync();
                await ((Task)read).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                journal.Append(Direction.Internal, FrameKind.Note, $"the client had not half-closed {HalfCloseWait.TotalSeconds:0} s after FinalResult; the call completes");
                return Status.DefaultSuccess;
            }

            if (!await read)
            {
                var halfClose = journal.Append(Direction.FromClient, FrameKind.Close, "the client half-closed the request stream");

                // Judged on what the client had sent before it (the session has handled those messages by then).
                await inbox.PostAsync(() =>
                {
                    if (session.State == SessionState.Active)
                    {
                        journal.AddFinding("DFG-006", "The client half-closed an active session without Finalize or Stop.", "Finalize or Stop, then half-close, then read until FinalResult", "half-close while Active", halfClose.Seq);
                    }

                    return Task.CompletedTask;
                }, cancellationToken);
                return Status.DefaultSuccess;
            }

            var payload = requests.Current;
            StreamMessage input;
            try
            {
                input = StreamMessage.Decode(payload, options.GrpcProto);
            }
            catch (InvalidProtocolBufferException e)
            {
                // A note, not an error: the call may go on (the client's bytes are kept).
                var entry = journal.Append(Direction.FromClient, FrameKind.Note, "a message that is not a StreamInput", bytes: payload);
                journal.AddFinding(null, "A gRPC message does not parse as StreamInput.", $"the request message of {options.GrpcProto.Source}", e.Message, entry.Seq);

                // Whether it was the first message needs every earlier one handled: the one read that waits for the session.
                if (await inbox.RunAsync(() => session.RefuseUnparsableFirstAsync(cancellationToken), cancellationToken))
                {
                    // dataflow.md §5: the first message gets StartResponse Failed, and the call goes on.
                    continue;
                }

                return new Status(StatusCode.Internal, "Error starting gRPC call: the request message could not be parsed.");
            }

            var seq = await DispatchAsync(input, session, inbox, journal, secrets, cancellationToken);
            if (!unknownReported && input.UnknownFields.Count > 0)
            {
                unknownReported = true;

                // Judged against the proto in use: with the assumed one, a client built from the official file that has
                // more fields is told to run with --dataflow-proto (the message says so).
                var hint = ReferenceEquals(options.GrpcProto, GrpcProtoMapping.Default) ? " If the client is built from the official grpcDataFlow.proto, serve that file (--dataflow-proto)." : "";
                journal.AddFinding("DFG-008", $"A StreamInput carries fields {options.GrpcProto.Source} does not define.{hint}", $"the request message's fields {string.Join(", ", options.GrpcProto.InputFields.Order())}",
                    $"field(s) {string.Join(", ", input.UnknownFields)} in a {payload.Length} B message", seq);
            }
        }

        // The session failed handling a message (its call was cancelled): CompleteAsync rethrows that.
        return Status.DefaultSuccess;
    }

    private static async Task HalfCloseDueAsync(Task finalResult, TimeProvider time, CancellationToken cancellationToken)
    {
        await finalResult.WaitAsync(cancellationToken);
        await Task.Delay(HalfCloseWait, time, cancellationToken);
    }

    /// <summary>Journals the message and queues it for the session; returns its journal entry's number.</summary>
    private static async Task<long> DispatchAsync(StreamMessage message, DataFlowSession session, SessionInbox inbox, SessionJournal journal, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        if (message.Json is { } json)
        {
            var (entry, parsed) = SessionFrames.JournalClientText(journal, json, secrets);
            await inbox.PostAsync(() => session.OnTextAsync(json, entry.Seq, cancellationToken, parsed), cancellationToken);
            return entry.Seq;
        }

        if (message.Audio is { } audio)
        {
            var audioEntry = journal.Append(Direction.FromClient, FrameKind.Binary, $"audio {audio.Length} B", bytes: audio);
            await inbox.PostAsync(() => session.OnAudioAsync(audio, audioEntry.Seq, cancellationToken), cancellationToken);
            return audioEntry.Seq;
        }

        return journal.Append(Direction.FromClient, FrameKind.Note, "an empty StreamInput (neither json nor audio)").Seq;
    }

    /// <summary>Writes the session's messages as StreamOutput messages, one writer at a time (grpc-dotnet allows no concurrent writes).</summary>
    private sealed class GrpcSink(IServerStreamWriter<byte[]> output, SessionJournal journal, GrpcProtoMapping proto) : ISessionSink, IDisposable
    {
        private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);
        private readonly SemaphoreSlim _send = new(1, 1);
        private volatile bool _completed;

        public ValueTask SendTextAsync(JsonObject message, CancellationToken cancellationToken) =>
            WriteAsync([new StreamMessage(message.ToJsonString(), null, SessionFrames.Describe(message), message)], cancellationToken);

        public ValueTask SendTextsAsync(IReadOnlyList<(ReadOnlyMemory<byte> Utf8Json, string Summary)> messages, CancellationToken cancellationToken) =>
            WriteAsync(messages.Select(m => new StreamMessage(Encoding.UTF8.GetString(m.Utf8Json.Span), null, m.Summary, null)).ToList(), cancellationToken);

        public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            WriteAsync([new StreamMessage(null, data, $"audio {data.Length} B", null)], cancellationToken);

        public void Abort() => _completed = true;

        /// <summary>The call is ending: later messages are journaled as not sent.</summary>
        public void Complete() => _completed = true;

        public void Dispose() => _send.Dispose();

        private async ValueTask WriteAsync(List<StreamMessage> messages, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken);
            try
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    var message = messages[i];
                    if (_completed)
                    {
                        journal.Append(Direction.Internal, FrameKind.Note, $"not sent (the call is over): {message.Summary}");
                        continue;
                    }

                    if (message.Audio is { } audio)
                    {
                        journal.Append(Direction.ToClient, FrameKind.Binary, message.Summary, bytes: audio);
                    }
                    else
                    {
                        journal.Append(Direction.ToClient, FrameKind.Text, message.Summary, text: message.Json, parsed: message.Parsed);
                    }

                    // A batch goes out with one flush: every message but the last is buffered.
                    output.WriteOptions = i < messages.Count - 1 ? Buffered : null;
                    await output.WriteAsync(message.EncodeOutput(proto), cancellationToken);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
                _completed = true;
                journal.Append(Direction.Internal, FrameKind.Error, "send failed: " + e.Message);
            }
            finally
            {
                _send.Release();
            }
        }
    }
}
