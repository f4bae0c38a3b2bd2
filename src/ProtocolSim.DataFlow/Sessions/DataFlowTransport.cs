namespace ProtocolSim.DataFlow.Sessions;

/// <summary>The Data Flow integration a session runs on (dataflow.md §2.6–2.8).</summary>
public enum DataFlowTransport
{
    WebSocket,
    Grpc,
    Http,
}
