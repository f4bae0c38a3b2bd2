using System.Text.Json.Nodes;

namespace ProtocolSim.Cti.Processor;

/// <summary>The optional command groups (TEL, MB): telephony and multimedia control, when the processor offers them.</summary>
public sealed partial class CtiSession
{
    /// <summary>What a dotted target names: a channel (with its group), an interaction, a conversation, or a group.</summary>
    private sealed record Resolved(ChannelModel? Channel, InteractionModel? Interaction, bool Conversation, GroupModel? Group);

    /// <summary>Resolves <c>session[.group].channel[.interaction[.conversation]]</c> or <c>session.group</c>.</summary>
    private Resolved? Resolve(string target)
    {
        var parts = target.Split('.');
        if (parts.Length < 2 || parts[0] != Id)
        {
            return null;
        }

        var index = 1;
        GroupModel? group = null;
        if (_groups.TryGetValue(parts[index], out var g))
        {
            group = g;
            index++;
            if (index == parts.Length)
            {
                return new Resolved(null, null, false, group);
            }
        }

        if (!_channels.TryGetValue(parts[index], out var channel) || channel.GroupId != group?.Id)
        {
            return null;
        }

        index++;
        if (index == parts.Length)
        {
            return new Resolved(channel, null, false, group);
        }

        if (!channel.Interactions.TryGetValue(parts[index], out var interaction))
        {
            return null;
        }

        index++;
        if (index == parts.Length)
        {
            return new Resolved(channel, interaction, false, group);
        }

        return index + 1 == parts.Length && parts[index] == interaction.ConversationId ? new Resolved(channel, interaction, true, group) : null;
    }

    private void Telephony(Reply r, CommandKind kind, string target, JsonObject data, string command)
    {
        var resolved = Resolve(target);
        var wants = kind switch
        {
            CommandKind.Dial or CommandKind.GetScripts => "channel",
            CommandKind.Answer => "conversation",
            CommandKind.Activate or CommandKind.DeactivateAll => "channel group",
            _ => "interaction",
        };
        var fits = resolved is not null && wants switch
        {
            "channel" => resolved.Channel is not null && resolved.Interaction is null,
            "conversation" => resolved.Conversation,
            "channel group" => resolved.Group is not null && resolved.Channel is null,
            _ => resolved.Interaction is not null && !resolved.Conversation,
        };
        if (!fits)
        {
            if (resolved is null && target.Split('.') is [_, var channelId, ..])
            {
                if (_partiallyRemoved.Contains(channelId))
                {
                    NotFoundChannel(r, channelId);
                    return;
                }
            }

            r.Finding("CTI-028", $"{command} targets \"{target}\"", $"the dotted id path of a {wants} of this session", target);
            r.Fail("InvalidTarget", $"Target '{target}' is not a {wants} of this session.");
            return;
        }

        var channel = resolved!.Channel;
        if (channel is { Initialized: false })
        {
            r.Finding("CTI-039", $"channel {channel.Id} was used before its channel.initialized", "use a channel only after channel.initialized", command);
        }

        switch (kind)
        {
            case CommandKind.Dial:
                Dial(r, channel!, data);
                break;
            case CommandKind.Answer:
            case CommandKind.Accept:
                Answer(r, channel!, resolved.Interaction!, kind, data);
                break;
            case CommandKind.ConsultTransfer:
            case CommandKind.ConsultConference:
                Consult(r, channel!, resolved.Interaction!, kind, data);
                break;
            case CommandKind.RecordingStop:
                // TEL: succeeds even when already stopped.
                r.Succeed(data.DeepClone(), [Event("state.updated", InteractionTarget(channel!, resolved.Interaction!), new JsonObject { ["state"] = resolved.Interaction!.State, ["recording"] = false })]);
                break;
            case CommandKind.RecordingPause:
                // TEL: platforms without pause return an "unsupported" error; the simulated platform has none.
                r.Fail("Unsupported", "This platform cannot pause recordings.");
                break;
            case CommandKind.GetScripts:
                if (_options.World.CtiVendor != "InContact")
                {
                    r.Fail("Unsupported", "channel.request.incontact.getscripts is only supported by InContact processors.");
                }
                else
                {
                    r.Succeed(new JsonObject { ["scripts"] = new JsonArray() }, []);
                }

                break;
            case CommandKind.Activate:
            case CommandKind.DeactivateAll:
                GroupState(r, resolved.Group!, kind, data);
                break;
        }
    }

    private void Dial(Reply r, ChannelModel channel, JsonObject data)
    {
        var destination = data["destination"] is JsonValue v && v.TryGetValue<string>(out var d) && d.Length > 0 ? d : null;
        if (destination is null || channel.Type != "Telephony")
        {
            r.Fail("InvalidRequest", destination is null ? "destination is required." : $"Channel '{channel.Id}' is not a Telephony channel.");
            return;
        }

        var interaction = NewInteraction(channel, "outbound", destination, TimeSpan.FromSeconds(1));
        interaction.State = "DIALING";
        var target = ChannelTarget(channel);
        var events = new List<Emission>
        {
            Event("channel.infochanged", target, new JsonObject { ["channel"] = channel.Describe() }),
            Event("state.updated", target, ChannelState(channel)),
        };
        events.AddRange(InteractionCreated(channel, interaction, preview: true));
        r.Succeed(data.DeepClone(), events);

        // The far end answers, then hangs up after the talk time.
        _ = AfterAsync(TimeSpan.FromMilliseconds(300), () =>
        {
            lock (_gate)
            {
                if (interaction.State != "DIALING" || State is not SessionState.Initialized)
                {
                    return;
                }

                interaction.State = "STARTED";
                Enqueue(Event("state.updated", ConversationTarget(channel, interaction), new JsonObject { ["state"] = "STARTED" }));
                Enqueue(Event("state.updated", InteractionTarget(channel, interaction), new JsonObject { ["state"] = "STARTED" }));
                ScheduleHangUp(channel, interaction, interaction.Talk);
            }
        });
    }

    private void Answer(Reply r, ChannelModel channel, InteractionModel interaction, CommandKind kind, JsonObject data)
    {
        if (kind == CommandKind.Accept && interaction.Type == "Telephony")
        {
            r.Finding("CTI-051", "a phone call was answered with interaction.accept", "conversation.answer for calls", "interaction.accept");
        }

        if (interaction.State != "ALERTING")
        {
            // TEL: accept "fails if it cannot be assigned".
            r.Fail("InvalidRequest", $"Interaction '{interaction.Id}' is {interaction.State}, not ALERTING.");
            return;
        }

        interaction.State = "STARTED";
        r.Succeed(data.DeepClone(),
        [
            Event("state.updated", ConversationTarget(channel, interaction), new JsonObject { ["state"] = "STARTED" }),
            Event("state.updated", InteractionTarget(channel, interaction), new JsonObject { ["state"] = "STARTED" }),
        ]);
        ScheduleHangUp(channel, interaction, interaction.Talk);
    }

    private void Consult(Reply r, ChannelModel channel, InteractionModel original, CommandKind kind, JsonObject data)
    {
        if (original.Type != "Telephony")
        {
            r.Fail("InvalidRequest", "Consult transfer and conference are for Telephony interactions only.");
            return;
        }

        // TEL: fails if the consult call is not connected.
        var consult = channel.Interactions.Values.FirstOrDefault(i => i != original && i.Direction == "outbound" && i.State == "STARTED");
        if (consult is null || original.State != "STARTED")
        {
            r.Fail("InvalidRequest", "The consult call is not connected.");
            return;
        }

        if (kind == CommandKind.ConsultConference)
        {
            r.Succeed(data.DeepClone(), [Event("conversation.member.added", ConversationTarget(channel, original), new JsonObject { ["member"] = new JsonObject { ["address"] = consult.Ani, ["role"] = "conference" } })]);
            return;
        }

        original.State = "ENDED";
        consult.State = "ENDED";
        original.Timer?.Cancel();
        consult.Timer?.Cancel();
        r.Succeed(data.DeepClone(),
        [
            Event("state.updated", ConversationTarget(channel, original), new JsonObject { ["state"] = "ENDED" }),
            Event("conversation.disposed", ConversationTarget(channel, original), new JsonObject()),
            Event("interaction.focuschanged", InteractionTarget(channel, consult), new JsonObject()),
            Event("state.updated", ConversationTarget(channel, consult), new JsonObject { ["state"] = "ENDED" }),
            Event("conversation.disposed", ConversationTarget(channel, consult), new JsonObject()),
            Event("interaction.ended", InteractionTarget(channel, original), new JsonObject()),
        ]);
    }

    /// <summary>MB: channels in turn, stop at the first error; deactivate fails on a channel with an ongoing interaction.</summary>
    private void GroupState(Reply r, GroupModel group, CommandKind kind, JsonObject data)
    {
        var events = new List<Emission>();
        foreach (var channel in group.ChannelIds.Where(_channels.ContainsKey).Select(id => _channels[id]))
        {
            if (kind == CommandKind.Activate)
            {
                // Activate: the agent logs in on the channel and is Ready.
                if (channel.LoginState != "Active" || channel.AgentState != "Ready")
                {
                    channel.LoginState = "Active";
                    channel.AgentState = "Ready";
                    events.Add(Event("state.updated", ChannelTarget(channel), ChannelState(channel)));
                }

                continue;
            }

            if (channel.HasActiveInteraction)
            {
                r.Fail("ActiveInteraction", $"Channel '{channel.Id}' has an ongoing interaction.", events);
                return;
            }

            // MB: deactivate moves a Ready channel to Not Ready first, then the agent leaves it (Inactive).
            if (channel.AgentState == "Ready")
            {
                channel.AgentState = "NotReady";
                events.Add(Event("state.updated", ChannelTarget(channel), ChannelState(channel)));
            }

            if (channel.LoginState == "Active")
            {
                channel.LoginState = "Inactive";
                events.Add(Event("channel.infochanged", ChannelTarget(channel), new JsonObject { ["channel"] = new JsonObject { ["id"] = channel.Id, ["endpoint"] = channel.Endpoint, ["type"] = channel.Type, ["loginState"] = "Inactive" } }));
                events.Add(Event("state.updated", ChannelTarget(channel), ChannelState(channel)));
            }
        }

        r.Succeed(data.DeepClone(), events);
    }
}
