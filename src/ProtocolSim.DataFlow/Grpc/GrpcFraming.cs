using System.Buffers;
using System.Buffers.Binary;

namespace ProtocolSim.DataFlow.Grpc;

/// <summary>gRPC status codes (grpc/doc/statuscodes.md), the ones the mock answers with.</summary>
public enum GrpcStatus
{
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    Unauthenticated = 16,
}

/// <summary>Why a request body is not a valid sequence of gRPC length-prefixed messages.</summary>
public enum GrpcFramingError
{
    /// <summary>The compressed flag is set but no <c>grpc-encoding</c> was negotiated (the mock accepts identity only).</summary>
    CompressedWithoutEncoding,

    /// <summary>The flag byte is neither 0 nor 1.</summary>
    InvalidFlag,

    /// <summary>The declared length is above the receive limit.</summary>
    TooLarge,

    /// <summary>The stream ended inside a message (a lying length, or a truncated message).</summary>
    Truncated,
}

/// <summary>One gRPC message: its payload (a serialized protobuf message).</summary>
public readonly record struct GrpcMessage(ReadOnlyMemory<byte> Payload);

/// <summary>
/// The gRPC length-prefixed message framing (PROTOCOL-HTTP2.md "Length-Prefixed-Message"): a compressed flag byte, a
/// 4-byte big-endian length, then the message. Read incrementally from a body pipe; parse before advancing.
/// </summary>
public static class GrpcFraming
{
    public const int HeaderBytes = 5;

    /// <summary>The default receive limit of gRPC servers (4 MiB).</summary>
    public const int DefaultMaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Reads one message from the front of <paramref name="buffer"/> and advances past it. False with a null error
    /// when more bytes are needed; false with an error when the framing is broken (nothing is consumed). At the end of
    /// the stream (<paramref name="completed"/>) leftover bytes are <see cref="GrpcFramingError.Truncated"/>.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, bool completed, int maxMessageBytes, out GrpcMessage message, out GrpcFramingError? error)
    {
        message = default;
        error = null;
        if (buffer.Length < HeaderBytes)
        {
            if (completed && buffer.Length > 0)
            {
                error = GrpcFramingError.Truncated;
            }

            return false;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        switch (header[0])
        {
            case 0:
                break;
            case 1:
                error = GrpcFramingError.CompressedWithoutEncoding;
                return false;
            default:
                error = GrpcFramingError.InvalidFlag;
                return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageBytes)
        {
            error = GrpcFramingError.TooLarge;
            return false;
        }

        if (buffer.Length < HeaderBytes + length)
        {
            if (completed)
            {
                error = GrpcFramingError.Truncated;
            }

            return false;
        }

        var payload = buffer.Slice(HeaderBytes, length);
        message = new GrpcMessage(payload.ToArray());
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Writes one uncompressed message.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        var span = output.GetSpan(HeaderBytes + payload.Length);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)payload.Length);
        payload.CopyTo(span[HeaderBytes..]);
        output.Advance(HeaderBytes + payload.Length);
    }

    /// <summary>One message as a new array (tests, clients).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload, bool compressedFlag = false)
    {
        var writer = new ArrayBufferWriter<byte>(HeaderBytes + payload.Length);
        Write(writer, payload);
        var bytes = writer.WrittenSpan.ToArray();
        bytes[0] = compressedFlag ? (byte)1 : (byte)0;
        return bytes;
    }

    /// <summary>The status a broken request stream gets, worded as grpc-dotnet words it.</summary>
    public static (GrpcStatus Status, string Message) StatusOf(GrpcFramingError error) => error switch
    {
        GrpcFramingError.CompressedWithoutEncoding => (GrpcStatus.Internal, "Request did not include grpc-encoding value with compressed message."),
        GrpcFramingError.InvalidFlag => (GrpcStatus.Internal, "Unexpected compressed flag value in message header."),
        GrpcFramingError.TooLarge => (GrpcStatus.ResourceExhausted, "Received message exceeds the maximum configured message size."),
        _ => (GrpcStatus.Internal, "Incomplete message."),
    };
}
