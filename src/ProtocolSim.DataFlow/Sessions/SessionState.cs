namespace ProtocolSim.DataFlow.Sessions;

/// <summary>States of a streaming session (dataflow.md §4.1).</summary>
public enum SessionState
{
    Idle,
    Active,
    Finishing,
    Ended,
}
