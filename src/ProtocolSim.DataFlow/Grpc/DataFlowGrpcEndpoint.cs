using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Grpc;

/// <summary>
/// The Data Flow gRPC integration (dataflow.md §2.7): the bidirectional <c>/dataflow/Stream</c> call over HTTP/2 with
/// hand-written gRPC framing (PROTOCOL-HTTP2.md) over the proto's messages, on the same session state machine as the
/// WebSocket integration. Status codes and trailers as gRPC specifies: Trailers-Only answers for calls refused before
/// any message, <c>grpc-timeout</c> deadlines, client cancellation, and the call completed with <c>OK</c> after
/// <c>FinalResult</c> once the client half-closes (or 2 s later).
/// </summary>
public static class DataFlowGrpcEndpoint
{
    /// <summary>The documented method; its path has no package (the proto declares none).</summary>
    public const string StreamPath = "/dataflow/Stream";

    /// <summary>After FinalResult the call ends this long later at the latest, half-closed or not (dataflow.md §5).</summary>
    private static readonly TimeSpan HalfCloseWait = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapDataFlowGrpc(this IEndpointRouteBuilder endpoints)
    {
        // The method of the proto in use: the assumed one, or the file DataFlowOptions.GrpcProto was loaded from.
        endpoints.MapPost(endpoints.ServiceProvider.GetRequiredService<DataFlowOptions>().GrpcProto.MethodPath, RunAsync);

        // Any other gRPC method: UNIMPLEMENTED, as a gRPC server answers an unknown method; journaled against DFG-002.
        endpoints.MapPost("/{service}/{method}", (HttpContext context) => HttpProtocol.IsHttp2(context.Request.Protocol) && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true
            ? SessionFrames.WithJournalAsync(context, "grpc-method", (_, _, journal) =>
            {
                journal.SetLabel("channel", context.Request.IsHttps ? "tls" : "cleartext");
                var entry = journal.Append(Direction.FromClient, FrameKind.Open, $"gRPC {context.Request.Path} over {Channel(context)} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
                journal.AddFinding("DFG-002", $"The client called {context.Request.Path}, not the Stream method of service dataflow.", StreamPath, context.Request.Path.ToString(), entry.Seq);
                journal.Append(Direction.ToClient, FrameKind.Close, $"Trailers-Only grpc-status {(int)GrpcStatus.Unimplemented} {GrpcStatus.Unimplemented}");
                return TrailersOnlyAsync(context, GrpcStatus.Unimplemented, $"Method is unimplemented: {context.Request.Path}");
            })
            : Task.FromResult(context.Response.StatusCode = StatusCodes.Status404NotFound));
        return endpoints;
    }

    /// <summary>"TLS" or "cleartext HTTP/2": what DFG-003 judges.</summary>
    private static string Channel(HttpContext context) => context.Request.IsHttps ? $"TLS ({context.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>()?.Protocol})" : "cleartext HTTP/2";

    private static async Task RunAsync(HttpContext context)
    {
        // grpc-dotnet's answers to a call that is not gRPC over HTTP/2.
        if (!HttpProtocol.IsHttp2(context.Request.Protocol))
        {
            await HttpErrorAsync(context, StatusCodes.Status426UpgradeRequired, $"Request protocol '{context.Request.Protocol}' is not supported.");
            return;
        }

        var contentType = context.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase))
        {
            await HttpErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{contentType}' is not supported.");
            return;
        }

        await SessionFrames.WithJournalAsync(context, "grpc", (options, secrets, journal) =>
        {
            journal.SetLabel("channel", context.Request.IsHttps ? "tls" : "cleartext");
            journal.Append(Direction.Internal, FrameKind.Open, $"gRPC {context.Request.Path} over {Channel(context)} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
            return RunCallAsync(context, options, secrets, journal);
        });
    }

    private static async Task RunCallAsync(HttpContext context, DataFlowOptions options, IReadOnlyList<string> secrets, SessionJournal journal)
    {
        if (context.Request.Headers["grpc-encoding"].ToString() is { Length: > 0 } encoding && encoding != "identity")
        {
            // grpc/doc/compression.md: an encoding the server does not support is UNIMPLEMENTED, listing the supported ones.
            context.Response.Headers["grpc-accept-encoding"] = "identity";
            journal.Append(Direction.Internal, FrameKind.Note, $"grpc-encoding {encoding} is not supported");
            await TrailersOnlyAsync(context, GrpcStatus.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: identity");
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (ParseTimeout(context.Request.Headers["grpc-timeout"].ToString()) is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        // The response headers go out at once (a flush is needed for them to be sent): the call is open.
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-accept-encoding"] = "identity";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);

        using var sink = new GrpcSink(context.Response.BodyWriter, journal, options.GrpcProto);
        var status = (Status: GrpcStatus.Ok, Message: "");
        var services = context.RequestServices;
        await using (var session = new DataFlowSession(options, services.GetRequiredService<TokenService>(), journal, sink, pathProject: null, services.GetService<TimeProvider>()) { Transport = DataFlowTransport.Grpc })
        {
            try
            {
                status = await ReceiveAsync(context.Request.BodyReader, session, options, journal, secrets, deadline.Token);
                if (status.Status == GrpcStatus.Ok && session.StartPending)
                {
                    // Half-closed while the project builds: the StartResponse still goes out before the call ends.
                    await session.StartAnswered.WaitAsync(deadline.Token);
                }

                if (status.Status == GrpcStatus.Ok && session.State is SessionState.Finishing or SessionState.Ended)
                {
                    // Half-closed after Finalize/Stop: the call stays open for the session's remaining output, until
                    // FinalResult. Half-closed before (a session never started, or left active): nothing more will come.
                    await session.FinalResultSent.WaitAsync(deadline.Token);
                }
            }
            catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
            {
                // A reset stream surfaces as a cancelled wait or as a failed read of the request body, whichever comes
                // first: either way the client's cancellation is journaled.
                journal.Append(Direction.FromClient, FrameKind.Close, $"the client cancelled the call (RST_STREAM) in state {session.State}");
                return;
            }
            catch (OperationCanceledException)
            {
                status = (GrpcStatus.DeadlineExceeded, "Deadline Exceeded");
                journal.Append(Direction.Internal, FrameKind.Note, $"the call's deadline (grpc-timeout {context.Request.Headers["grpc-timeout"]}) passed in state {session.State}");
            }
        }

        await sink.CompleteAsync(context, status.Status, status.Message);
    }

    /// <summary>Reads StreamInput messages until the client half-closes (OK) or the framing breaks (its status).</summary>
    private static async Task<(GrpcStatus Status, string Message)> ReceiveAsync(PipeReader input, DataFlowSession session, DataFlowOptions options, SessionJournal journal, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        // After FinalResult the client has HalfCloseWait to half-close; then the call completes anyway.
        var halfCloseDue = HalfCloseDueAsync(session.FinalResultSent, cancellationToken);
        var unknownReported = false;
        while (true)
        {
            var read = input.ReadAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(read, halfCloseDue) != read)
            {
                cancellationToken.ThrowIfCancellationRequested();
                journal.Append(Direction.Internal, FrameKind.Note, $"the client had not half-closed {HalfCloseWait.TotalSeconds:0} s after FinalResult; the call completes");
                return (GrpcStatus.Ok, "");
            }

            var result = await read;
            var buffer = result.Buffer;
            try
            {
                while (GrpcFraming.TryRead(ref buffer, result.IsCompleted, options.MaxFrameBytes, out var message, out var error) || error is not null)
                {
                    if (error is { } broken)
                    {
                        var (status, text) = GrpcFraming.StatusOf(broken);
                        var entry = journal.Append(Direction.FromClient, FrameKind.Error, $"broken gRPC message: {broken}", bytes: buffer.Slice(0, Math.Min(buffer.Length, 64)).ToArray());
                        journal.AddFinding(null, "The request stream is not valid gRPC framing.", "length-prefixed messages: flag 0, 4-byte big-endian length, the message", $"{broken}: {text}", entry.Seq);
                        return (status, text);
                    }

                    StreamMessage input1;
                    try
                    {
                        input1 = StreamMessage.Decode(message.Payload, options.GrpcProto);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        // A note, not an error: the call may go on (the client's bytes are kept).
                        var entry = journal.Append(Direction.FromClient, FrameKind.Note, "a message that is not a StreamInput", bytes: message.Payload.ToArray());
                        journal.AddFinding(null, "A gRPC message does not parse as StreamInput.", $"the request message of {options.GrpcProto.Source}", e.Message, entry.Seq);
                        if (await session.RefuseUnparsableFirstAsync(cancellationToken))
                        {
                            // dataflow.md §5: the first message gets StartResponse Failed, and the call goes on.
                            continue;
                        }

                        return (GrpcStatus.Internal, "Error starting gRPC call: the request message could not be parsed.");
                    }

                    var seq = await DispatchAsync(input1, session, journal, secrets, cancellationToken);
                    if (!unknownReported && input1.UnknownFields.Count > 0)
                    {
                        unknownReported = true;
                        // Judged against the proto in use: with the assumed one, a client built from the official file that has
                        // more fields is told to run with --dataflow-proto (the message says so).
                        var hint = ReferenceEquals(options.GrpcProto, GrpcProtoMapping.Default) ? " If the client is built from the official grpcDataFlow.proto, serve that file (--dataflow-proto)." : "";
                        journal.AddFinding("DFG-008", $"A StreamInput carries fields {options.GrpcProto.Source} does not define.{hint}", $"the request message's fields {string.Join(", ", options.GrpcProto.InputFields.Order())}",
                            $"field(s) {string.Join(", ", input1.UnknownFields)} in a {message.Payload.Length} B message", seq);
                    }
                }

                if (result.IsCompleted)
                {
                    journal.Append(Direction.FromClient, FrameKind.Close, $"the client half-closed the request stream in state {session.State}");
                    if (session.State == SessionState.Active)
                    {
                        journal.AddFinding("DFG-006", "The client half-closed an active session without Finalize or Stop.", "Finalize or Stop, then half-close, then read until FinalResult", "half-close while Active");
                    }

                    return (GrpcStatus.Ok, "");
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private static async Task HalfCloseDueAsync(Task finalResult, CancellationToken cancellationToken)
    {
        await finalResult.WaitAsync(cancellationToken);
        await Task.Delay(HalfCloseWait, cancellationToken);
    }

    /// <summary>Journals the message and hands it to the session; returns its journal entry's number.</summary>
    private static async Task<long> DispatchAsync(StreamMessage message, DataFlowSession session, SessionJournal journal, IReadOnlyList<string> secrets, CancellationToken cancellationToken)
    {
        if (message.Json is { } json)
        {
            var (entry, parsed) = SessionFrames.JournalClientText(journal, json, secrets);
            await session.OnTextAsync(json, entry.Seq, cancellationToken, parsed);
            return entry.Seq;
        }

        if (message.Audio is { } audio)
        {
            var (track, at) = session.InputPlace;
            var audioEntry = journal.Append(Direction.FromClient, FrameKind.Binary, $"audio {audio.Length} B", bytes: audio, audioTrack: track, audioOffset: at);
            await session.OnBinaryAsync(audio, audioEntry.Seq, cancellationToken);
            return audioEntry.Seq;
        }

        return journal.Append(Direction.FromClient, FrameKind.Note, "an empty StreamInput (neither json nor audio)").Seq;
    }

    /// <summary>gRPC's <c>grpc-timeout</c>: up to 8 digits and a unit (H, M, S, m, u, n).</summary>
    internal static TimeSpan? ParseTimeout(string value)
    {
        if (value.Length is < 2 or > 9 || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    /// <summary>A call refused before any message: the status in the response headers, no body (Trailers-Only).</summary>
    private static Task TrailersOnlyAsync(HttpContext context, GrpcStatus status, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = PercentEncode(message);
        return Task.CompletedTask;
    }

    private static Task HttpErrorAsync(HttpContext context, int httpStatus, string message)
    {
        context.Response.StatusCode = httpStatus;
        context.Response.Headers["grpc-status"] = ((int)GrpcStatus.Internal).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = PercentEncode(message);
        return Task.CompletedTask;
    }

    /// <summary>grpc-message is percent-encoded (PROTOCOL-HTTP2.md): bytes outside 0x20–0x7E and '%'.</summary>
    internal static string PercentEncode(string message)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Writes the session's messages as StreamOutput gRPC messages, one writer at a time, and ends the call with trailers.</summary>
    private sealed class GrpcSink(PipeWriter output, SessionJournal journal, GrpcProtoMapping proto) : ISessionSink, IDisposable
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private bool _completed;

        public ValueTask SendTextAsync(JsonObject message, CancellationToken cancellationToken) =>
            WriteAsync([new StreamMessage(message.ToJsonString(), null, SessionFrames.Describe(message), message)], cancellationToken);

        public ValueTask SendTextsAsync(IReadOnlyList<(ReadOnlyMemory<byte> Utf8Json, string Summary)> messages, CancellationToken cancellationToken) =>
            WriteAsync(messages.Select(m => new StreamMessage(Encoding.UTF8.GetString(m.Utf8Json.Span), null, m.Summary, null)).ToList(), cancellationToken);

        public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            WriteAsync([new StreamMessage(null, data, $"audio {data.Length} B", null)], cancellationToken);

        public void Abort()
        {
            _completed = true;
            output.CancelPendingFlush();
        }

        public void Dispose() => _send.Dispose();

        private async ValueTask WriteAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken);
            try
            {
                foreach (var message in messages)
                {
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

                    GrpcFraming.Write(output, message.EncodeOutput(proto));
                }

                await output.FlushAsync(cancellationToken);
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

        /// <summary>The trailers: grpc-status and, when not OK, grpc-message.</summary>
        public async Task CompleteAsync(HttpContext context, GrpcStatus status, string message)
        {
            await _send.WaitAsync(CancellationToken.None);
            try
            {
                _completed = true;
                context.Response.AppendTrailer("grpc-status", ((int)status).ToString(CultureInfo.InvariantCulture));
                if (status != GrpcStatus.Ok)
                {
                    context.Response.AppendTrailer("grpc-message", PercentEncode(message));
                }

                journal.Append(Direction.ToClient, FrameKind.Close, $"trailers grpc-status {(int)status} {status}" + (message.Length > 0 ? $": {message}" : ""));
            }
            finally
            {
                _send.Release();
            }
        }
    }
}
