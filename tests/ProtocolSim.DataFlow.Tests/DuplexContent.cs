using System.Net;
using System.Net.Http.Headers;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>
/// A request body that stays open, for the raw gRPC calls of the tests over <see cref="HttpClient"/> HTTP/2 (they send
/// broken frames that a gRPC client library never sends):
/// the caller writes messages into <see cref="Stream"/> as they come and ends the body with <see cref="Complete"/>
/// (the half-close). The first flush sends the request headers; without it nothing goes out until the first write.
/// </summary>
internal sealed class DuplexContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DuplexContent(string mediaType = "application/grpc") => Headers.ContentType = new MediaTypeHeaderValue(mediaType);

    /// <summary>The request body's stream, once HttpClient has sent the headers (and set up the connection).</summary>
    public Task<Stream> Stream => _stream.Task;

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
