using ProtocolSim.Conformance;
using Reqnroll;
using ProtocolSim.Knowlarity.VoiceStream;
using static ProtocolSim.Knowlarity.Steps.VoiceStreamDriver;

namespace ProtocolSim.Knowlarity.Steps;

public sealed partial class VoiceStreamSteps
{
    // ---------------------------------------------------------------- Then: control

    [Then("the bot transfers the call to an E.164 number")]
    public async Task ThenTheBotTransfersToE164()
    {
        var control = await RequireControlAsync(BotMessageKind.Transfer, "transfer");
        JudgeFindings(driver.Call, "KVS-027", 1, $"transfer to {control.Message.Destination}", "no transfer");
    }

    [Then("the bot announces the transfer before sending it")]
    public async Task ThenTheBotAnnouncesTheTransfer()
    {
        var control = await RequireControlAsync(BotMessageKind.Transfer, "transfer");
        var end = driver.LastUtterance().SpeechEndAt ?? TimeSpan.Zero;
        var prompt = PlayAudioAfter(driver.Call, end).Where(m => m.At < control.At).ToList();
        if (prompt.Count > 0)
        {
            Rules.Pass("KVS-028", $"{prompt.Sum(p => p.Message.AudioDuration.TotalMilliseconds):0} ms of audio announced the transfer");
        }
        else
        {
            Rules.Info("KVS-028", "The bot transferred without a spoken announcement.");
        }
    }

    [Then("the bot ends the stream with disconnect")]
    public async Task ThenTheBotEndsWithDisconnect()
    {
        var control = await driver.WaitForControlAsync(ControlLimit);
        var call = driver.Call;
        if (control is null && call.EndedBy is not (CallEndedBy.Bot or CallEndedBy.Transport))
        {
            // Judged is how the bot ends the stream; a bot that does not end it here shows nothing to judge.
            throw new InconclusiveException($"The bot did not end the call within {ControlLimit.TotalSeconds:0} s of the caller's goodbye ({DescribeEnd(call)}).");
        }

        if (control?.Message.Kind == BotMessageKind.Transfer)
        {
            throw new InconclusiveException($"The bot transferred the call instead of ending it ({control.Message.Summary}).");
        }

        Rules.Check("KVS-029", control?.Message.Kind == BotMessageKind.Disconnect, "{\"type\":\"disconnect\"} to end the stream after the caller said goodbye",
            control is not null ? control.Message.Summary : $"no disconnect: {DescribeEnd(call)}",
            control is not null ? $"{control.Message.Summary} at {At(control.At)} (journal #{control.Seq})" : null);
    }

    [Then("the bot sends nothing after ending the stream")]
    public async Task ThenNothingAfterTheEnd()
    {
        var call = driver.Call;
        var control = await driver.WaitForControlAsync(ControlLimit);
        if (control is null)
        {
            throw new InconclusiveException($"The bot did not end the stream within {ControlLimit.TotalSeconds:0} s ({DescribeEnd(call)}); see KVS-029/KVV-011.");
        }

        await call.WaitUntilAsync(c => c.EndedAt is not null, call.Options.ControlGrace + TimeSpan.FromSeconds(3), driver.Token);
        var rule = call.Options.Dialect == VoiceDialect.StreamNode ? "KVS-030" : "KVV-014";
        JudgeFindings(call, rule, 1, $"nothing in the {call.Options.ControlGrace.TotalMilliseconds:0} ms after {control.Message.Summary}", "no control message");
    }

    [Then("the bot ends the call with asr_disconnect")]
    public async Task ThenTheBotEndsWithAsrDisconnect()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.Control is not null || c.EndedAt is not null || c.Journal.FindingsFor("KVV-011").Count > 0, ControlLimit, driver.Token);
        var findings = call.Journal.FindingsFor("KVV-011");
        var wrong = findings.Count > 0 ? findings[0] : null;
        if (wrong is null && call.Control?.Message.Kind == BotMessageKind.Transfer)
        {
            throw new InconclusiveException($"The bot transferred the call instead of ending it ({call.Control.Message.Summary}).");
        }

        if (wrong is null && call.Control is null && call.EndedBy is not (CallEndedBy.Bot or CallEndedBy.Transport))
        {
            throw new InconclusiveException($"The bot did not end the call within {ControlLimit.TotalSeconds:0} s of the caller's goodbye ({DescribeEnd(call)}).");
        }

        var ok = call.Control?.Message.Kind == BotMessageKind.Disconnect && wrong is null;
        Rules.Check("KVV-011", ok, "playAudio with audioContent \"None\" and textContent \"asr_disconnect=true\"",
            wrong?.Actual ?? call.Control?.Message.Summary ?? $"nothing within {ControlLimit.TotalSeconds:0} s; {DescribeEnd(call)}",
            call.Control is { } c ? $"{c.Message.Summary} at {At(c.At)} (journal #{c.Seq})" : null);
    }

    [Then("the bot transfers the call with asr_disconnect and parameter1=default")]
    public async Task ThenTheBotTransfersWithAsrDisconnect()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.Control is not null || c.EndedAt is not null || c.Journal.FindingsFor("KVV-012").Count > 0, ControlLimit, driver.Token);
        var findings = call.Journal.FindingsFor("KVV-012");
        var wrong = findings.Count > 0 ? findings[0] : null;
        if (wrong is null && call.Control is null)
        {
            throw new InconclusiveException($"The bot did not transfer within {ControlLimit.TotalSeconds:0} s ({DescribeEnd(call)}).");
        }

        if (wrong is null && call.Control!.Message.Kind == BotMessageKind.Disconnect)
        {
            throw new InconclusiveException($"The bot ended the call instead of transferring it ({call.Control.Message.Summary}).");
        }

        Rules.Check("KVV-012", wrong is null && call.Control?.Message.Kind == BotMessageKind.Transfer,
            "playAudio with audioContent \"None\" and textContent asr_disconnect=true,parameter1=default",
            wrong?.Actual ?? call.Control!.Message.Summary,
            call.Control is { } c ? $"{c.Message.Summary} at {At(c.At)} (journal #{c.Seq})" : null);
    }

    [Then("the transfer's textContent is written as canonical key=value pairs")]
    public async Task ThenTheTextContentIsCanonical()
    {
        var control = await RequireControlAsync(BotMessageKind.Transfer, "asr_disconnect transfer");
        JudgeFindings(driver.Call, "KVV-013", 1, $"textContent \"{control.Message.TextContent}\"", "no transfer");
    }
}
