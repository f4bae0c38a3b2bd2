using System.Buffers;
using System.Text;
using ProtocolSim.Cti.Transport;

namespace ProtocolSim.Cti.Tests;

public sealed class SocketFramingTests
{
    private static readonly SocketFramingOptions Defaults = new();

    private static (List<SocketFrame> Frames, FramingError? Error, int Left) ReadAll(byte[] bytes, SocketFramingOptions? options = null)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frames = new List<SocketFrame>();
        while (SocketFraming.TryReadFrame(ref buffer, options ?? Defaults, out var frame, out var error))
        {
            frames.Add(frame);
        }

        SocketFraming.TryReadFrame(ref buffer, options ?? Defaults, out _, out var last);
        return (frames, last, (int)buffer.Length);
    }

    [Fact]
    public void Encode_WritesTokenIndexBigEndianLengthAndContent()
    {
        var bytes = SocketFraming.Encode(1, "{\"a\":1}"u8, Defaults);
        Assert.Equal(new byte[] { 0x7E, 0x21, 0x4F, 0x4D, 1, 0, 0, 0, 7 }, bytes[..9]);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(bytes[9..]));
    }

    [Fact]
    public void Read_TwoFrames_RoundTrip_WithTheTokenInsideContentUnescaped()
    {
        var first = Encoding.UTF8.GetBytes("{\"text\":\"~!OM inside ~!OM\"}");
        var stream = SocketFraming.Encode(1, first, Defaults).Concat(SocketFraming.Encode(0, "{}"u8, Defaults)).ToArray();
        var (frames, error, left) = ReadAll(stream);
        Assert.Null(error);
        Assert.Equal(0, left);
        Assert.Equal(2, frames.Count);
        Assert.Equal(first, frames[0].Content.ToArray());
        Assert.Equal(1, frames[0].Index);
        Assert.Equal(0, frames[1].Index);
    }

    [Fact]
    public void Read_ByteAtATime_YieldsTheFrameOnlyWhenComplete()
    {
        var bytes = SocketFraming.Encode(1, "{\"command\":\"session.start\"}"u8, Defaults);
        var received = new List<byte>();
        var frames = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            received.Add(bytes[i]);
            var buffer = new ReadOnlySequence<byte>(received.ToArray());
            var ok = SocketFraming.TryReadFrame(ref buffer, Defaults, out _, out var error);
            Assert.Null(error);
            if (ok)
            {
                frames++;
                Assert.Equal(bytes.Length - 1, i);
            }
        }

        Assert.Equal(1, frames);
    }

    [Fact]
    public void Read_SplitAcrossSegments_Works()
    {
        var bytes = SocketFraming.Encode(1, "{\"x\":\"yz\"}"u8, Defaults);
        var first = new Segment(bytes[..3]);
        var last = first.Append(bytes[3..11]).Append(bytes[11..]);
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.True(SocketFraming.TryReadFrame(ref buffer, Defaults, out var frame, out _));
        Assert.Equal("{\"x\":\"yz\"}", Encoding.UTF8.GetString(frame.Content.Span));
    }

    [Fact]
    public void Read_LengthTooShort_IsABoundaryMismatchAtTheNextFrame()
    {
        var bytes = SocketFraming.Encode(1, "{\"a\":\"bcdef\"}"u8, Defaults).Concat(SocketFraming.Encode(1, "{}"u8, Defaults)).ToArray();
        bytes[8] -= 3; // the length says 3 bytes less than the content holds
        var (frames, error, _) = ReadAll(bytes);
        Assert.Single(frames);
        Assert.Equal(FramingError.BoundaryMismatch, error);
    }

    [Fact]
    public void Read_LengthTooLong_WaitsForMore_AndHugeIsOutOfRange()
    {
        var bytes = SocketFraming.Encode(1, "{}"u8, Defaults);
        bytes[8] = 50;
        var (frames, error, left) = ReadAll(bytes);
        Assert.Empty(frames);
        Assert.Null(error);
        Assert.Equal(bytes.Length, left);

        bytes[5] = 0x7F;
        (_, error, _) = ReadAll(bytes);
        Assert.Equal(FramingError.LengthOutOfRange, error);
    }

    [Fact]
    public void Read_GarbageOrMissingToken_IsRefusedAtOnce()
    {
        Assert.Equal(FramingError.BoundaryMismatch, ReadAll("{\"messageType\":\"handshake\"}"u8.ToArray()).Error);
        Assert.Equal(FramingError.BoundaryMismatch, ReadAll("~!X"u8.ToArray()).Error);
        Assert.Null(ReadAll("~!"u8.ToArray()).Error);
    }

    [Fact]
    public void Options_LittleEndianAndLengthIncludingHeader_RoundTrip()
    {
        var options = new SocketFramingOptions { BigEndianLength = false, LengthIncludesHeader = true };
        var bytes = SocketFraming.Encode(2, "{\"k\":true}"u8, options);
        Assert.Equal(9 + 10, bytes[5]);
        var (frames, error, _) = ReadAll(bytes, options);
        Assert.Null(error);
        Assert.Equal("{\"k\":true}", Encoding.UTF8.GetString(frames.Single().Content.Span));
        Assert.Equal(FramingError.LengthOutOfRange, ReadAll(SocketFraming.Encode(2, "{}"u8, Defaults), options).Error);
    }

    [Fact]
    public void Read_ZeroLengthContent_IsAFrame()
    {
        var (frames, error, _) = ReadAll(SocketFraming.Encode(0, [], Defaults));
        Assert.Null(error);
        Assert.True(frames.Single().Content.IsEmpty);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data) => Memory = data;

        public Segment Append(byte[] data)
        {
            var next = new Segment(data) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
