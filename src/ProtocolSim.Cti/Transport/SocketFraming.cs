using System.Buffers;
using System.Buffers.Binary;

namespace ProtocolSim.Cti.Transport;

/// <summary>How the socket transport's header is laid out where the public text is silent (cti.md §5).</summary>
public sealed record SocketFramingOptions
{
    /// <summary>Index of transport messages (handshake, negotiation, teardown, ERROR): <c>Cti:Socket:ReservedIndex</c>.</summary>
    public byte ReservedIndex { get; init; }

    /// <summary>The length field is big-endian (<c>Cti:Socket:LengthEndian</c>); false = little-endian.</summary>
    public bool BigEndianLength { get; init; } = true;

    /// <summary>The length counts the 9 header bytes too (<c>LengthIncludesHeader</c>); default: content bytes only.</summary>
    public bool LengthIncludesHeader { get; init; }

    /// <summary>Largest content accepted; a longer declared length is a framing error (the connection is closed).</summary>
    public int MaxContentBytes { get; init; } = 1024 * 1024;
}

/// <summary>One socket message: the protocol index and its content (one JSON message, UTF-8).</summary>
public readonly record struct SocketFrame(byte Index, ReadOnlyMemory<byte> Content);

/// <summary>Why a byte stream is not a valid sequence of frames; every kind ends the connection with ERROR (SOCK Message Boundary).</summary>
public enum FramingError
{
    /// <summary>The four bytes where a frame starts are not <c>~!OM</c> (after a lying length, or garbage).</summary>
    BoundaryMismatch,

    /// <summary>The declared length is above <see cref="SocketFramingOptions.MaxContentBytes"/> (or below the header with <see cref="SocketFramingOptions.LengthIncludesHeader"/>).</summary>
    LengthOutOfRange,
}

/// <summary>
/// The CTI socket transport's framing (cti.md §2.2): <c>~!OM</c>, a 1-byte protocol index, a 4-byte length, then the
/// content. The token may occur inside content and is never escaped, so a reader trusts the length and checks the
/// token where the next frame must start: a mismatch there (a lying length, a missing token) is an ERROR and a close.
/// </summary>
public static class SocketFraming
{
    /// <summary>The boundary token <c>7E 21 4F 4D</c>.</summary>
    public static ReadOnlySpan<byte> Token => "~!OM"u8;

    public const int HeaderBytes = 9;

    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/> and advances it past the frame. Returns false with
    /// <paramref name="error"/> null when more bytes are needed (partial frames, byte-at-a-time delivery), and false
    /// with an error when the stream is broken. Parse before you advance (STYLE.md): on false nothing is consumed.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, SocketFramingOptions options, out SocketFrame frame, out FramingError? error)
    {
        frame = default;
        error = null;
        var reader = new SequenceReader<byte>(buffer);

        // The token is checked as soon as its first bytes are there, so garbage is refused without waiting for nine bytes.
        var available = (int)Math.Min(reader.Remaining, Token.Length);
        Span<byte> head = stackalloc byte[HeaderBytes];
        if (!reader.TryCopyTo(head[..available]) || !head[..available].SequenceEqual(Token[..available]))
        {
            error = available == 0 ? null : FramingError.BoundaryMismatch;
            return false;
        }

        if (!reader.TryCopyTo(head))
        {
            return false;
        }

        var declared = options.BigEndianLength ? BinaryPrimitives.ReadUInt32BigEndian(head[5..]) : BinaryPrimitives.ReadUInt32LittleEndian(head[5..]);
        long length = options.LengthIncludesHeader ? (long)declared - HeaderBytes : declared;
        if (length < 0 || length > options.MaxContentBytes)
        {
            error = FramingError.LengthOutOfRange;
            return false;
        }

        if (reader.Remaining < HeaderBytes + length)
        {
            return false;
        }

        reader.Advance(HeaderBytes);
        var content = buffer.Slice(reader.Position, length);
        frame = new SocketFrame(head[4], content.ToArray());
        buffer = buffer.Slice(content.End);
        return true;
    }

    /// <summary>Writes one frame: token, index, the length of <paramref name="content"/> (CTI-002, CTI-003), content unescaped (CTI-004).</summary>
    public static void Write(IBufferWriter<byte> output, byte index, ReadOnlySpan<byte> content, SocketFramingOptions options)
    {
        var span = output.GetSpan(HeaderBytes + content.Length);
        Token.CopyTo(span);
        span[4] = index;
        var length = (uint)(content.Length + (options.LengthIncludesHeader ? HeaderBytes : 0));
        if (options.BigEndianLength)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[5..], length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[5..], length);
        }

        content.CopyTo(span[HeaderBytes..]);
        output.Advance(HeaderBytes + content.Length);
    }

    /// <summary>One frame as a new array (tests, small transport messages).</summary>
    public static byte[] Encode(byte index, ReadOnlySpan<byte> content, SocketFramingOptions options)
    {
        var writer = new ArrayBufferWriter<byte>(HeaderBytes + content.Length);
        Write(writer, index, content, options);
        return writer.WrittenSpan.ToArray();
    }
}
