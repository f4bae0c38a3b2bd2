using System.Text.Json.Nodes;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>Where a session's server messages go (the transport adapter writes them as frames).</summary>
internal interface ISessionSink
{
    ValueTask SendTextAsync(JsonObject message, CancellationToken cancellationToken);

    /// <summary>
    /// Sends already serialized messages (UTF-8 JSON) in order; each summary is its journal line. The bytes must never
    /// change afterwards: the journal keeps them as they are.
    /// </summary>
    ValueTask SendTextsAsync(IReadOnlyList<(ReadOnlyMemory<byte> Utf8Json, string Summary)> messages, CancellationToken cancellationToken);

    ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Drops the connection without a close frame (a scripted fault).</summary>
    void Abort();
}
