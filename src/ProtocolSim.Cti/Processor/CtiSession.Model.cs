using System.Globalization;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Processor;

public sealed partial class CtiSession
{
    // ------------------------------------------------------------------ model and event sequences

    private ChannelModel NewChannel(string endpoint, string type, string? groupId)
    {
        var channel = new ChannelModel { Id = "C" + (++_nextChannel).ToString(CultureInfo.InvariantCulture), Endpoint = endpoint, Type = type, GroupId = groupId };
        _channels[channel.Id] = channel;
        return channel;
    }

    private InteractionModel NewInteraction(ChannelModel channel, string direction, string ani, TimeSpan talk)
    {
        var n = (++_nextInteraction).ToString(CultureInfo.InvariantCulture);
        var interaction = new InteractionModel { Id = "I" + n, ConversationId = "V" + n, ChannelId = channel.Id, Direction = direction, Ani = ani, Dnis = channel.Endpoint, Talk = talk };
        channel.Interactions[interaction.Id] = interaction;
        return interaction;
    }

    private string ChannelTarget(ChannelModel channel) => channel.GroupId is null ? $"{Id}.{channel.Id}" : $"{Id}.{channel.GroupId}.{channel.Id}";

    private string InteractionTarget(ChannelModel channel, InteractionModel interaction) => $"{ChannelTarget(channel)}.{interaction.Id}";

    private string ConversationTarget(ChannelModel channel, InteractionModel interaction) => $"{InteractionTarget(channel, interaction)}.{interaction.ConversationId}";

    /// <summary>004 §session.addchannel: channel.created, state.updated, channel.initialized.</summary>
    private IEnumerable<Emission> ChannelCreated(ChannelModel channel)
    {
        var target = ChannelTarget(channel);
        yield return Event("channel.created", target, new JsonObject { ["channel"] = channel.Describe() });
        yield return Event("state.updated", target, ChannelState(channel));
        yield return Event("channel.initialized", target, new JsonObject { ["channel"] = channel.Describe() }, onSent: () =>
        {
            lock (_gate)
            {
                channel.Initialized = true;
                ScheduleInbound();
            }
        });
    }

    /// <summary>004 §session.removechannel: channel.infochanged and state.updated if still active, then channel.disposed.</summary>
    private IEnumerable<Emission> Dispose(ChannelModel channel)
    {
        var target = ChannelTarget(channel);
        _channels.Remove(channel.Id);
        if (channel.LoginState == "Active")
        {
            channel.LoginState = "Inactive";
            yield return Event("channel.infochanged", target, new JsonObject { ["channel"] = new JsonObject { ["id"] = channel.Id, ["endpoint"] = channel.Endpoint, ["type"] = channel.Type, ["loginState"] = "Inactive" } });
            yield return Event("state.updated", target, ChannelState(channel));
        }

        yield return Event("channel.disposed", target, new JsonObject { ["channel"] = new JsonObject { ["id"] = channel.Id } });
    }

    private static JsonObject ChannelState(ChannelModel channel) => new() { ["loginState"] = channel.LoginState, ["agentState"] = channel.AgentState };

    /// <summary>The inbound-call sequence (TEL, as channel.dial's without the channel's own changes).</summary>
    private IEnumerable<Emission> InteractionCreated(ChannelModel channel, InteractionModel interaction, bool preview)
    {
        var target = InteractionTarget(channel, interaction);
        var conversation = ConversationTarget(channel, interaction);
        yield return Event("interaction.created", target, new JsonObject { ["interaction"] = interaction.Describe() }, onSent: () =>
        {
            lock (_gate)
            {
                interaction.AnnouncedAt = _time.GetTimestamp();
            }
        });
        yield return Event("state.updated", target, new JsonObject { ["state"] = interaction.State });
        yield return Event("conversation.created", conversation, new JsonObject { ["conversation"] = new JsonObject { ["id"] = interaction.ConversationId } });
        yield return Event("state.updated", conversation, new JsonObject { ["state"] = interaction.State });
        yield return Event("conversation.member.added", conversation, new JsonObject { ["member"] = new JsonObject { ["address"] = interaction.Ani, ["role"] = interaction.Direction == "inbound" ? "customer" : "destination" } });
        yield return Event("conversation.initialized", conversation, new JsonObject());
        yield return Event("interaction.datachanged", target, new JsonObject { ["data"] = new JsonObject { ["ani"] = interaction.Ani, ["dnis"] = interaction.Dnis, ["queue"] = "Support" } });
        if (preview)
        {
            yield return Event("interaction.preview", target, new JsonObject { ["interaction"] = interaction.Describe() });
        }

        yield return Event("interaction.initialized", target, new JsonObject());
    }

    /// <summary>The caller hangs up: conversation ended and disposed, interaction ended.</summary>
    private IEnumerable<Emission> InteractionEnded(ChannelModel channel, InteractionModel interaction)
    {
        interaction.State = "ENDED";
        interaction.Timer?.Cancel();
        channel.Interactions.Remove(interaction.Id);
        var target = InteractionTarget(channel, interaction);
        var conversation = ConversationTarget(channel, interaction);
        yield return Event("state.updated", conversation, new JsonObject { ["state"] = "ENDED" });
        yield return Event("conversation.disposed", conversation, new JsonObject());
        yield return Event("state.updated", target, new JsonObject { ["state"] = "ENDED" });
        yield return Event("interaction.ended", target, new JsonObject());
    }

    // ------------------------------------------------------------------ inbound calls

    /// <summary>Scripted inbound calls of this agent whose channel is now initialized (called under the lock).</summary>
    private void ScheduleInbound()
    {
        if (State != SessionState.Initialized)
        {
            return;
        }

        foreach (var call in _options.World.Inbound.Where(c => c.Agent == Agent.Id && !_rung.Contains(c)))
        {
            if (_channels.Values.FirstOrDefault(ch => ch.Endpoint == call.Endpoint && ch.Initialized) is not null)
            {
                _rung.Add(call);
                _ = AfterAsync(call.After, () => Ring(call.Endpoint, call.Ani, call.Talk, call.Ring));
            }
        }
    }

    /// <summary>An inbound call rings on the channel with <paramref name="endpoint"/> (first Telephony channel when null).</summary>
    public string? Ring(string? endpoint, string ani, TimeSpan talk, TimeSpan ring)
    {
        lock (_gate)
        {
            if (State is not (SessionState.Initialized or SessionState.Initializing))
            {
                return null;
            }

            var channel = _channels.Values.FirstOrDefault(c => endpoint is null ? c.Type == "Telephony" : c.Endpoint == endpoint);
            if (channel is null)
            {
                return null;
            }

            var interaction = NewInteraction(channel, "inbound", ani, talk);
            BoundBy?.Journal.Append(Direction.Internal, FrameKind.Note, $"an inbound call from {ani} rings on {channel.Endpoint} ({InteractionTarget(channel, interaction)})");
            foreach (var e in InteractionCreated(channel, interaction, preview: true))
            {
                Enqueue(e);
            }

            ScheduleHangUp(channel, interaction, ring);
            return interaction.Id;
        }
    }

    private void ScheduleHangUp(ChannelModel channel, InteractionModel interaction, TimeSpan after)
    {
        interaction.Timer?.Cancel();
        // Not linked to the session's life (AfterAsync links both): no registration is left behind per call.
        var timer = new CancellationTokenSource();
        interaction.Timer = timer;
        _ = AfterAsync(after, () =>
        {
            lock (_gate)
            {
                if (interaction.State == "ENDED" || !_channels.ContainsKey(channel.Id) || State is SessionState.Inactive or SessionState.LoggingOut)
                {
                    return;
                }

                foreach (var e in InteractionEnded(channel, interaction))
                {
                    Enqueue(e);
                }
            }
        }, timer.Token);
    }

    private async Task AfterAsync(TimeSpan delay, Action action, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_life.Token, cancellationToken);
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, linked.Token);
            }

            action();
        }
        catch (OperationCanceledException)
        {
        }
    }
}
