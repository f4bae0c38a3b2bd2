using System.Buffers;
using ProtocolSim.DataFlow.Grpc;

namespace ProtocolSim.DataFlow.Tests;

public sealed class GrpcFramingTests
{
    private static (List<byte[]> Messages, GrpcFramingError? Error) ReadAll(byte[] bytes, bool completed = true, int max = GrpcFraming.DefaultMaxMessageBytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var messages = new List<byte[]>();
        GrpcFramingError? error;
        while (GrpcFraming.TryRead(ref buffer, completed, max, out var message, out error))
        {
            messages.Add(message.Payload.ToArray());
        }

        return (messages, error);
    }

    [Fact]
    public void Encode_WritesFlagBigEndianLengthAndPayload()
    {
        var bytes = GrpcFraming.Encode([1, 2, 3]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 3, 1, 2, 3 }, bytes);
    }

    [Fact]
    public void TryRead_ReadsConsecutiveMessages_AndWaitsForPartialOnes()
    {
        byte[] stream = [.. GrpcFraming.Encode([7]), .. GrpcFraming.Encode([]), .. GrpcFraming.Encode([8, 9])];
        var (messages, error) = ReadAll(stream);
        Assert.Null(error);
        Assert.Equal([[7], [], [8, 9]], messages);

        // Every prefix of the stream yields the whole messages it holds and no error while the stream is open.
        for (var cut = 0; cut < stream.Length; cut++)
        {
            var (partial, partialError) = ReadAll(stream[..cut], completed: false);
            Assert.Null(partialError);
            Assert.True(partial.Count <= 3);
        }
    }

    [Fact]
    public void TryRead_CompressedFlagWithoutEncoding_IsInternal()
    {
        var (_, error) = ReadAll(GrpcFraming.Encode([1], compressedFlag: true));
        Assert.Equal(GrpcFramingError.CompressedWithoutEncoding, error);
        Assert.Equal(GrpcStatus.Internal, GrpcFraming.StatusOf(error!.Value).Status);
    }

    [Fact]
    public void TryRead_LyingOrTruncatedLength_IsIncompleteAtTheEndOfTheStream()
    {
        var bytes = GrpcFraming.Encode([1, 2, 3]);
        bytes[4] = 9; // announces 9 bytes, carries 3
        Assert.Null(ReadAll(bytes, completed: false).Error);
        Assert.Equal(GrpcFramingError.Truncated, ReadAll(bytes, completed: true).Error);
        Assert.Equal(("Incomplete message.", GrpcStatus.Internal), (GrpcFraming.StatusOf(GrpcFramingError.Truncated).Message, GrpcFraming.StatusOf(GrpcFramingError.Truncated).Status));
        Assert.Equal(GrpcFramingError.Truncated, ReadAll([0, 0, 0], completed: true).Error);
    }

    [Fact]
    public void TryRead_OverTheLimitOrABadFlag_IsRefusedBeforeTheBodyArrives()
    {
        byte[] header = [0, 0, 0x10, 0, 0];
        Assert.Equal(GrpcFramingError.TooLarge, ReadAll(header, completed: false, max: 1024).Error);
        Assert.Equal(GrpcStatus.ResourceExhausted, GrpcFraming.StatusOf(GrpcFramingError.TooLarge).Status);
        Assert.Equal(GrpcFramingError.InvalidFlag, ReadAll([2, 0, 0, 0, 0], completed: false).Error);
    }
}
