using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Google.Protobuf;
using ProtocolSim.DataFlow.Grpc;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>Another .proto file (the official one) served without code changes: the method and fields mapped by type and name.</summary>
public sealed class GrpcProtoMappingTests : IDisposable
{
    private const string OfficialLike = """
        // A proto shaped differently from the assumed one: a package, other names and numbers, options, comments.
        syntax = "proto3";
        package knovvu.dataflow;
        option csharp_namespace = "Knovvu.DataFlow";
        import "google/protobuf/empty.proto";

        /* The streaming service. */
        service DataFlowService {
          rpc Health (google.protobuf.Empty) returns (google.protobuf.Empty);
          rpc Stream (stream StreamRequest) returns (stream StreamResponse) {}
        }

        message StreamRequest {
          string session_hint = 1 [deprecated = true];
          oneof content {
            string message = 3;
            bytes audio_chunk = 4;
          }
          map<string, string> headers = 7;
        }

        message StreamResponse {
          enum Kind { TEXT = 0; AUDIO = 1; }
          Kind kind = 1;
          oneof content {
            string json_text = 5;
            bytes audio = 6;
          }
        }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("protosim-proto-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_directory, $"p{Guid.NewGuid():N}.proto");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void TheAssumedProto_MapsToTheDefault()
    {
        var root = Path.GetDirectoryName(Path.GetDirectoryName(DataFlowTestHost.FixturesDirectory()))!;
        var mapping = GrpcProtoMapping.Load(Path.Combine(root, "dataflow", "grpcDataFlow.proto"));
        Assert.Equal(("/dataflow/Stream", 1, 2, 1, 2), (mapping.MethodPath, mapping.InputJsonField, mapping.InputAudioField, mapping.OutputJsonField, mapping.OutputAudioField));
    }

    [Fact]
    public void AnotherProto_MapsByTypeAndName()
    {
        var mapping = GrpcProtoMapping.Load(Write(OfficialLike));
        Assert.Equal(("/knovvu.dataflow.DataFlowService/Stream", 3, 4, 5, 6), (mapping.MethodPath, mapping.InputJsonField, mapping.InputAudioField, mapping.OutputJsonField, mapping.OutputAudioField));
        Assert.Equal([1, 3, 4, 7], mapping.InputFields.Order());
    }

    [Theory]
    [InlineData("syntax = \"proto3\"; service S { rpc Stream (In) returns (Out); } message In { string json = 1; bytes audio = 2; } message Out { string json = 1; bytes audio = 2; }", "no bidirectional streaming method")]
    [InlineData("service S { rpc Stream (stream In) returns (stream Out); } message In { string a = 1; string b = 2; bytes audio = 3; } message Out { string json = 1; bytes audio = 2; }", "more than one string field")]
    [InlineData("service S { rpc Stream (stream In) returns (stream Missing); } message In { string json = 1; bytes audio = 2; }", "message Missing is not defined")]
    [InlineData("service S { rpc Stream (stream In) (stream Out); } message In { string json = 1; } message Out { string json = 1; }", "has no returns clause")]
    [InlineData("service S { rpc Stream (stream In", "not a .proto file the mock can read")]
    public void AnUnmappableProto_IsRefusedWithTheReason(string proto, string reason) =>
        Assert.Contains(reason, Assert.Throws<InvalidDataException>(() => GrpcProtoMapping.Load(Write(proto))).Message, StringComparison.Ordinal);

    [Fact]
    public void CommentMarkersInStrings_AndHexNumbers_AreRead()
    {
        const string proto = """
            syntax = "proto3";
            option go_package = "https://example.com/dataflow;dataflow"; // a URL with // inside a string
            service DataFlow { rpc Stream (stream In) returns (stream Out) { option (google.api.http) = { post: "/v1/{name=projects/*}/stream" }; } }
            message In { string json = 0x1; bytes audio = 0x2; }
            /* the answer */ message Out { string json = 010; bytes audio = 2; }
            """;
        var mapping = GrpcProtoMapping.Load(Write(proto));
        Assert.Equal(("/DataFlow/Stream", 1, 2, 8, 2), (mapping.MethodPath, mapping.InputJsonField, mapping.InputAudioField, mapping.OutputJsonField, mapping.OutputAudioField));
    }

    [Fact]
    public async Task TheMock_ServesTheLoadedProto()
    {
        var mapping = GrpcProtoMapping.Load(Write(OfficialLike));
        await using var host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects(), configure: o => o.GrpcProto = mapping);
        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["ProjectName"] = "call-analytics",
            ["Token"] = host.Token,
            ["Tenant"] = DataFlowTestHost.Tenant,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 8000, ["ChannelCount"] = 1 },
        }.ToJsonString();

        // StreamRequest { message (3) = Start } then half-close: the mock answers StreamResponse { json_text (5) = StartResponse }.
        var request = new MemoryStream();
        var output = new CodedOutputStream(request);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString(start);
        output.Flush();
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await http.PostAsync(host.App.GrpcCleartextUrl + mapping.MethodPath,
            new ByteArrayContent(RawFrames.Encode(request.ToArray())) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } });
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length > 5, "no StreamResponse");
        var input = new CodedInputStream(body, 5, body.Length - 5);
        Assert.Equal(WireFormat.MakeTag(5, WireFormat.WireType.LengthDelimited), input.ReadTag());
        Assert.Contains("StartResponse", input.ReadString(), StringComparison.Ordinal);

        // The assumed method is not served any more.
        using var old = await http.PostAsync(host.App.GrpcCleartextUrl + "/dataflow/Stream", new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } });
        Assert.Equal("12", old.Headers.GetValues("grpc-status").Single());

        // Reflection lists the loaded proto's service and describes its Stream method and the messages' scalar fields.
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(host.App.GrpcCleartextUrl);
        var reflection = new global::Grpc.Reflection.V1.ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1.ServerReflectionRequest { FileContainingSymbol = "knovvu.dataflow.DataFlowService" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(["grpc.health.v1.Health", "knovvu.dataflow.DataFlowService"], call.ResponseStream.Current.ListServicesResponse.Service.Select(x => x.Name).Order(StringComparer.Ordinal));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var file = Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto[0]);
        var method = Assert.Single(Assert.Single(file.Service).Method);
        Assert.Equal(("Stream", ".knovvu.dataflow.StreamRequest", ".knovvu.dataflow.StreamResponse", true, true), (method.Name, method.InputType, method.OutputType, method.ClientStreaming, method.ServerStreaming));
        var fields = file.MessageType.Single(m => m.Name == "StreamRequest").Field.Select(f => (f.Name, f.Number, f.Type)).ToList();
        Assert.Equal([("session_hint", 1, Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.String), ("message", 3, Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.String), ("audio_chunk", 4, Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Bytes)], fields);
    }
}
