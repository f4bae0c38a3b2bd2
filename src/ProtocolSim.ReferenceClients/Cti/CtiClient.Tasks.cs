using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

internal sealed partial class CtiClient
{
    // ---------------------------------------------------------------- tasks

    /// <summary><c>login</c>: the directory, then both reason lists, each answered (CTI-047..-049).</summary>
    private async Task<int> QueriesAsync(CancellationToken cancellationToken)
    {
        // CTI-028: session.* requests target the session.
        var target = _fault == CtiClientFault.AgentTarget ? S.AgentId : _sessionId;
        var failed = 0;
        if (_fault == CtiClientFault.DuplicateRequests)
        {
            var first = await SendAsync(Transport, Resource(GetDirectory, target, DirectoryData()), RequestKind.Resource, target, cancellationToken);
            var second = await SendAsync(Transport, Resource(GetDirectory, target, DirectoryData()), RequestKind.Resource, target, cancellationToken);
            failed += IsSuccess(await AnsweredAsync(GetDirectory, first, cancellationToken)) ? 0 : 1;
            failed += IsSuccess(await AnsweredAsync(GetDirectory, second, cancellationToken)) ? 0 : 1;
        }
        else
        {
            failed += IsSuccess(await ResourceAsync(GetDirectory, target, DirectoryData(), cancellationToken)) ? 0 : 1;
        }

        // CTI-048: the spelling of the responses, not the request example's typo.
        var notReady = _fault == CtiClientFault.DocumentTypo ? "session.request.externalnotredyreasons" : "session.request.externalnotreadyreasons";
        foreach (var (command, updated) in new[] { (notReady, "session.externalnotreadyreasons.updated"), ("session.request.externallogoutreasons", "session.externallogoutreasons.updated") })
        {
            failed += IsSuccess(await ResourceAsync(command, target, new JsonObject(), cancellationToken)) ? 0 : 1;
            // CTI-049: the lists come as events only where the platform supports them; never wait for them.
            if (_fault == CtiClientFault.WaitsForReasons)
            {
                await WaitUntilAsync(updated, () => _model.SessionUpdates.Contains(updated), cancellationToken);
            }
        }

        return failed == 0 || _fault == CtiClientFault.AgentTarget ? 0 : 3;
    }

    private JsonObject DirectoryData() => _fault == CtiClientFault.DirectoryWithData ? new JsonObject { ["filter"] = "*" } : new JsonObject();

    /// <summary><c>login-add-channel</c>: add, wait for channel.initialized, wait for no active interaction, remove, wait for channel.disposed.</summary>
    private async Task<int> AddChannelAsync(CancellationToken cancellationToken)
    {
        var endpoint = S.ChannelEndpoint ?? "";
        // CTI-038: the type as documented (Telephony, Chat, Email).
        var type = _fault == CtiClientFault.LowercaseType ? new string(S.ChannelType.Select(char.ToLowerInvariant).ToArray()) : S.ChannelType;
        var mark = Read(() => _model.Mark);
        var added = await ResourceAsync(AddChannelCommand, _sessionId, new JsonObject { ["channel"] = new JsonObject { ["endpoint"] = endpoint, ["type"] = type } }, cancellationToken);
        if (!IsSuccess(added))
        {
            // CTI-031: a failed add has no channel and no events; the task ends.
            return 3;
        }

        if (_fault == CtiClientFault.IgnoresFailure && CtiJson.Str(added, "result") != "success")
        {
            // CTI-031 (the fault): a failure taken for a success; the only key at hand is the endpoint.
            await ResourceAsync("session.removechannel", _sessionId, new JsonObject { ["channel"] = new JsonObject { ["id"] = endpoint } }, cancellationToken);
            await WaitForAsync("channel.disposed", () => _model.Channels.Find(c => c.DisposedAt > mark), IgnoredFailureWait, cancellationToken);
            return 0;
        }

        // The new channel is the one created after the request with this endpoint (its events may precede the answer).
        var channel = await WaitForAsync($"channel.created for {endpoint}", () => _model.Channels.Find(c => c.Seq > mark && c.Endpoint == endpoint), EffectWait, cancellationToken);
        if (channel is null)
        {
            return 0;
        }

        // CTI-039: use the channel only after its channel.initialized.
        if (_fault != CtiClientFault.EarlyChannelUse)
        {
            await WaitForAsync($"channel.initialized {channel.Id}", () => channel.Initialized || channel.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        }

        // PROTOSIM_HOLD_SECONDS: the user keeps the channel a while before removing it.
        if (S.Hold > TimeSpan.Zero)
        {
            Log($"the user keeps {channel.Id} {S.Hold.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            await Task.Delay(S.Hold, cancellationToken);
        }

        return await RemoveChannelAsync(channel, endpoint, cancellationToken);
    }

    private async Task<int> RemoveChannelAsync(ChannelState channel, string endpoint, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            // CTI-041: never remove a channel with an active interaction (the fault tries first and waits after ActiveInteraction).
            if (_fault != CtiClientFault.RemovesBusyChannel || attempt > 0)
            {
                await WaitUntilAsync($"no active interaction on {channel.Id}", () => !_model.Busy(channel), cancellationToken);
            }

            // CTI-040: the channel by its id.
            var key = _fault == CtiClientFault.RemoveByEndpoint ? new JsonObject { ["endpoint"] = endpoint } : new JsonObject { ["id"] = channel.Id };
            var removed = await ResourceAsync("session.removechannel", _sessionId, new JsonObject { ["channel"] = key }, cancellationToken);
            if (IsSuccess(removed))
            {
                break;
            }

            // A call may have come between the wait and the request: one more try once it ended.
            if (attempt > 0 || FailureCode(removed) != "ActiveInteraction")
            {
                return 3;
            }
        }

        // CTI-042: the channel leaves the model at channel.disposed.
        await WaitForAsync($"channel.disposed {channel.Id}", () => channel.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        return 0;
    }

    /// <summary><c>add-channel-group</c>: add, wait for channelgroup.initialized, wait for idle members, remove (resynchronising after a partial failure).</summary>
    private async Task<int> AddChannelGroupAsync(CancellationToken cancellationToken)
    {
        var name = S.Group ?? "";
        // CTI-043: the name and the three flags.
        var spec = new JsonObject { ["name"] = name };
        if (_fault != CtiClientFault.GroupWithoutFlags)
        {
            spec["chat"] = S.GroupChat;
            spec["email"] = S.GroupEmail;
            spec["callback"] = S.GroupCallback;
        }

        var mark = Read(() => _model.Mark);
        var added = await ResourceAsync("session.addchannelgroup", _sessionId, new JsonObject { ["channelgroup"] = spec }, cancellationToken);
        if (!IsSuccess(added))
        {
            return 3;
        }

        var group = await WaitForAsync($"channelgroup.created for {name}", () => _model.Groups.Find(g => g.Seq > mark && (g.Name is null || g.Name == name)), EffectWait, cancellationToken);
        if (group is null)
        {
            return 0;
        }

        // CTI-044: use the group only after channelgroup.initialized (which follows its members' channel.initialized).
        if (_fault != CtiClientFault.EarlyGroupUse)
        {
            await WaitForAsync($"channelgroup.initialized {group.Id}", () => group.Initialized || group.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        }

        for (var attempt = 0; ; attempt++)
        {
            // CTI-041, CTI-046: wait for the members the model still has (after a partial removal, the ones not disposed).
            if (_fault != CtiClientFault.RemovesBusyChannel || attempt > 0)
            {
                await WaitUntilAsync($"no active interaction in group {group.Id}", () => !_model.Members(group).Any(_model.Busy), cancellationToken);
            }

            var known = Read(() => _model.Members(group).ToList());
            // CTI-045: the group id under "channel", as documented.
            var key = _fault == CtiClientFault.GroupKey ? "channelgroup" : "channel";
            var removed = await ResourceAsync("session.removechannelgroup", _sessionId, new JsonObject { [key] = new JsonObject { ["id"] = group.Id } }, cancellationToken);
            if (IsSuccess(removed))
            {
                break;
            }

            if (attempt > 0 || FailureCode(removed) != "ActiveInteraction")
            {
                return 3;
            }

            if (_fault == CtiClientFault.NoResync)
            {
                // CTI-046 (the fault): the members as they were before the partial removal, disposed or not.
                foreach (var member in known)
                {
                    await ResourceAsync("session.removechannel", _sessionId, new JsonObject { ["channel"] = new JsonObject { ["id"] = member.Id } }, cancellationToken);
                }
            }
        }

        await WaitForAsync($"channelgroup.disposed {group.Id}", () => group.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        return 0;
    }

    /// <summary><c>answer-inbound</c>: an alerting inbound call on a telephony channel of the model, answered, then its end.</summary>
    private async Task<int> AnswerInboundAsync(CancellationToken cancellationToken)
    {
        var call = await WaitForAsync<InteractionState>("an alerting inbound call", _model.AlertingCall, null, cancellationToken) ?? throw new InvalidOperationException("no call");
        var conversation = Read(() => call.ConversationTarget) ?? "";
        var outcome = 0;
        for (var attempt = 0; ; attempt++)
        {
            // CTI-051: a phone call is answered on its conversation.
            var answer = _fault == CtiClientFault.AcceptsCalls
                ? await ResourceAsync("interaction.accept", call.Target, new JsonObject(), cancellationToken)
                : await ResourceAsync("conversation.answer", conversation, new JsonObject(), cancellationToken);
            if (IsSuccess(answer))
            {
                break;
            }

            if (!RetriesAfter(answer, attempt))
            {
                outcome = 3;
                break;
            }
        }

        await WaitUntilAsync($"interaction.ended {call.Id}", () => call.Ended, cancellationToken);
        return outcome;
    }

    /// <summary><c>dial</c>: channel.dial on the first telephony channel, then the call's initialization and end.</summary>
    private async Task<int> DialAsync(CancellationToken cancellationToken)
    {
        if (_fault == CtiClientFault.EarlyChannelRequest)
        {
            await WaitUntilAsync("a telephony channel", () => _model.Initialized || _model.FirstTelephony() is not null, cancellationToken);
        }

        var channel = Read(_model.FirstTelephony);
        if (channel is null)
        {
            Log("no telephony channel in the session");
            return 1;
        }

        var mark = Read(() => _model.Mark);
        for (var attempt = 0; ; attempt++)
        {
            var dialled = await ResourceAsync("channel.dial", channel.Target, new JsonObject { ["destination"] = S.DialDestination, ["extensions"] = new JsonObject() }, cancellationToken);
            if (IsSuccess(dialled))
            {
                break;
            }

            if (!RetriesAfter(dialled, attempt))
            {
                return 3;
            }
        }

        var call = await WaitForAsync("interaction.initialized", () => _model.Interactions.Find(i => i.Seq > mark && i.ChannelTarget == channel.Target && (i.Initialized || i.Ended)), EffectWait, cancellationToken);
        if (call is not null)
        {
            await WaitUntilAsync($"interaction.ended {call.Id}", () => call.Ended, cancellationToken);
        }

        return 0;
    }

    /// <summary>CTI-050: telephony is optional; Unsupported is an answer, not a reason to try again (the fault retries 3 times).</summary>
    private bool RetriesAfter(JsonObject answer, int attempt)
    {
        if (_fault == CtiClientFault.RetriesUnsupported && attempt < 3 && FailureCode(answer) == "Unsupported")
        {
            Log("retrying after Unsupported");
            return true;
        }

        return false;
    }
}
