namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>Who ended the call.</summary>
public enum CallEndedBy
{
    /// <summary>The peer (scenario hang-up, greeting timeout, after a control message).</summary>
    Peer,

    /// <summary>The bot sent a close frame.</summary>
    Bot,

    /// <summary>The connection broke (reset, abort, protocol error).</summary>
    Transport,
}
