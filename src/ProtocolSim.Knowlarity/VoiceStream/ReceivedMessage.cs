namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>A message received from the bot, in order.</summary>
public sealed record ReceivedMessage(long Seq, TimeSpan At, BotMessage Message);
