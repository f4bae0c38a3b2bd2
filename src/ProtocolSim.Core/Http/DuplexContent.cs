using System.Net;
using System.Net.Http.Headers;

namespace ProtocolSim.Core.Http;

/// <summary>
/// A request body that stays open, for a gRPC call over <see cref="HttpClient"/> HTTP/2 (bidirectional streaming):
/// the caller writes messages into <see cref="Stream"/> as they come and ends the body with <see cref="Complete"/>
/// (the half-close). The first flush sends the request headers; without it nothing goes out until the first write.
/// </summary>
public sealed class DuplexContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DuplexContent(string mediaType = "application/grpc") => Headers.ContentType = new MediaTypeHeaderValue(mediaType);

    /// <summary>The request body's stream, once HttpClient has sent the headers (and set up the connection).</summary>
    public Task<Stream> Stream => _stream.Task;

    /// <summary>
    /// Waits until the body is open, while <paramref name="responding"/> (the SendAsync of this request) may complete
    /// first: a server may send its response headers at once. A refusal that came first (not 200, or a gRPC
    /// Trailers-Only answer with grpc-status in the headers) is returned instead; a failed request throws.
    /// </summary>
    public async Task<HttpResponseMessage?> WaitOpenAsync(Task<HttpResponseMessage> responding, CancellationToken cancellationToken)
    {
        if (await Task.WhenAny(Stream, responding).WaitAsync(cancellationToken) == responding && !Stream.IsCompleted)
        {
            var response = await responding;
            if (response.StatusCode != HttpStatusCode.OK || response.Headers.Contains("grpc-status"))
            {
                return response;
            }
        }

        await Stream.WaitAsync(cancellationToken);
        return null;
    }

    /// <summary>Ends the body (gRPC: the client half-closes).</summary>
    public void Complete() => _done.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.FlushAsync(cancellationToken);
        _stream.TrySetResult(stream);

        // Open until the half-close, or until the request is cancelled (then HttpClient resets the stream).
        await _done.Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
