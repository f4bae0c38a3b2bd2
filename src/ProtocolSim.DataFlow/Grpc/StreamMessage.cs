using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace ProtocolSim.DataFlow.Grpc;

/// <summary>
/// One StreamInput or StreamOutput of the proto in use (<see cref="GrpcProtoMapping"/>): its JSON text or its audio,
/// read and written with Google.Protobuf's wire-format primitives by field number, so that another proto file maps
/// without generated code. A oneof's last field on the wire wins, as protobuf parsers do.
/// </summary>
internal sealed record StreamMessage(string? Json, ReadOnlyMemory<byte>? Audio, string Summary, JsonObject? Parsed)
{
    /// <summary>Field numbers the proto's request message does not define (DFG-008).</summary>
    public IReadOnlyList<int> UnknownFields { get; private init; } = [];

    /// <summary>Reads a request message; throws <see cref="InvalidProtocolBufferException"/> when it is not protobuf.</summary>
    public static StreamMessage Decode(ReadOnlyMemory<byte> payload, GrpcProtoMapping proto)
    {
        var bytes = MemoryMarshal.TryGetArray(payload, out var segment) && segment.Array is not null ? segment : new ArraySegment<byte>(payload.ToArray());
        var input = new CodedInputStream(bytes.Array!, bytes.Offset, bytes.Count);
        string? json = null;
        ReadOnlyMemory<byte>? audio = null;
        List<int>? unknown = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            var lengthDelimited = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            if (field == proto.InputJsonField && lengthDelimited)
            {
                (json, audio) = (input.ReadString(), null);
            }
            else if (field == proto.InputAudioField && lengthDelimited)
            {
                (json, audio) = (null, input.ReadBytes().Memory);
            }
            else
            {
                if (!proto.InputFields.Contains(field))
                {
                    (unknown ??= []).Add(field);
                }

                input.SkipLastField();
            }
        }

        return new StreamMessage(json, audio, "", null) { UnknownFields = unknown ?? [] };
    }

    /// <summary>The response message: the JSON or the audio in its field.</summary>
    public byte[] EncodeOutput(GrpcProtoMapping proto)
    {
        var field = Audio is null ? proto.OutputJsonField : proto.OutputAudioField;
        var value = Audio is { } audio ? ByteString.CopyFrom(audio.Span) : null;
        var size = CodedOutputStream.ComputeTagSize(field) + (value is null ? CodedOutputStream.ComputeStringSize(Json ?? "") : CodedOutputStream.ComputeBytesSize(value));
        var buffer = new byte[size];
        var output = new CodedOutputStream(buffer);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        if (value is null)
        {
            output.WriteString(Json ?? "");
        }
        else
        {
            output.WriteBytes(value);
        }

        output.Flush();
        return buffer;
    }
}
