using System.Net.WebSockets;

namespace ProtocolSim.ReferenceClients;

/// <summary>Log messages of the reference bots (event ids 1xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Reference bot {Bot} listening on {Url}")]
    public static partial void Listening(ILogger logger, string bot, Uri url);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "{Bot} call {CallId} started ({Dialect}, caller {CallerRate} Hz, bot {BotRate} Hz)")]
    public static partial void CallStarted(ILogger logger, string bot, string callId, BotDialect dialect, int callerRate, int botRate);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "{Bot} call {CallId} ended: {End}")]
    public static partial void CallEnded(ILogger logger, string bot, string callId, CallEnd end);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "{Bot} call {CallId} closing with {CloseStatus}: {Reason}")]
    public static partial void BotClosing(ILogger logger, string bot, string callId, WebSocketCloseStatus closeStatus, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "{Bot} call {CallId}: {Event} at {At}")]
    public static partial void Speech(ILogger logger, string bot, string callId, string @event, TimeSpan at);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "{Bot} call {CallId}: {Prompt} reply started")]
    public static partial void ReplyStarted(ILogger logger, string bot, string callId, Prompt prompt);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "{Bot} call {CallId}: barge-in (killAudio {KillAudio})")]
    public static partial void BargeIn(ILogger logger, string bot, string callId, bool killAudio);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Debug, Message = "{Bot} call {CallId}: ignored {What}")]
    public static partial void Ignored(ILogger logger, string bot, string callId, string what);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Error, Message = "{Bot} call {CallId}: reply task failed")]
    public static partial void ReplyFailed(ILogger logger, Exception exception, string bot, string callId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "{Bot} call {CallId}: send loop stopped")]
    public static partial void SendStopped(ILogger logger, Exception exception, string bot, string callId);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Debug, Message = "{Bot}: refused {Path}: {Reason}")]
    public static partial void Refused(ILogger logger, string bot, string path, string reason);
}
