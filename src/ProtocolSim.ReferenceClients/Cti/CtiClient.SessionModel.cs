using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

internal sealed partial class CtiClient
{
    // ---------------------------------------------------------------- the session model

    private static string Parent(string target) => target.LastIndexOf('.') is var dot and >= 0 ? target[..dot] : "";

    private static string Last(string target) => target[(target.LastIndexOf('.') + 1)..];

    /// <summary>The target of the object an event is about: most name the object itself; one naming its owner gets the id appended.</summary>
    private static string Own(string target, string? id) =>
        id is null || target == id || target.EndsWith("." + id, StringComparison.Ordinal) ? target : target + "." + id;

    private static bool IsTelephony(string? type) => string.Equals(type, "Telephony", StringComparison.OrdinalIgnoreCase);

    private sealed class ChannelState(string target, string? endpoint, string? type, long seq)
    {
        public string Target => target;

        public string Id => Last(target);

        /// <summary>The session, or the group a group's channel belongs to.</summary>
        public string Owner => Parent(target);

        public string? Endpoint => endpoint;

        public string? Type => type;

        public long Seq => seq;

        public bool Initialized { get; set; }

        public long DisposedAt { get; set; }
    }

    private sealed class GroupState(string target, string? name, long seq)
    {
        public string Target => target;

        public string Id => Last(target);

        public string? Name => name;

        public long Seq => seq;

        public bool Initialized { get; set; }

        public long DisposedAt { get; set; }
    }

    private sealed class InteractionState(string target, string? type, string? direction, long seq)
    {
        public string Target => target;

        public string Id => Last(target);

        public string ChannelTarget => Parent(target);

        public string? Type => type;

        public string? Direction => direction;

        public long Seq => seq;

        public string? State { get; set; }

        public string? ConversationTarget { get; set; }

        public bool Initialized { get; set; }

        public bool Ended { get; set; }
    }

    /// <summary>Channels, groups and interactions as the events describe them (004 secondary events; docs/cti.md). Used under the client's lock.</summary>
    private sealed class SessionModel
    {
        private long _seq;

        public bool Initialized { get; private set; }

        /// <summary>The number of events applied so far: objects created after a request have a higher <c>Seq</c>.</summary>
        public long Mark => _seq;

        public List<ChannelState> Channels { get; } = [];

        public List<GroupState> Groups { get; } = [];

        public List<InteractionState> Interactions { get; } = [];

        public HashSet<string> SessionUpdates { get; } = new(StringComparer.Ordinal);

        public void Apply(string name, string target, JsonObject? data)
        {
            var seq = ++_seq;
            switch (name)
            {
                case "session.initialized":
                    Initialized = true;
                    break;
                case "channel.created":
                    var channel = data?["channel"];
                    Channels.Add(new ChannelState(Own(target, CtiJson.Str(channel, "id")), CtiJson.Str(channel, "endpoint"), CtiJson.Str(channel, "type"), seq));
                    break;
                case "channel.initialized":
                    if (FindChannel(target, data) is { } initialized)
                    {
                        initialized.Initialized = true;
                    }

                    break;
                case "channel.disposed":
                    if (FindChannel(target, data) is { } disposed)
                    {
                        disposed.DisposedAt = seq;
                    }

                    break;
                case "channelgroup.created":
                    var group = data?["channelgroup"];
                    Groups.Add(new GroupState(Own(target, CtiJson.Str(group, "id")), CtiJson.Str(group, "name"), seq));
                    break;
                case "channelgroup.initialized":
                    if (FindGroup(target, data) is { } ready)
                    {
                        ready.Initialized = true;
                    }

                    break;
                case "channelgroup.disposed" or "channelgruop.disposed":
                    // The document's typo (cti.md §6.2) names the same event.
                    if (FindGroup(target, data) is { } gone)
                    {
                        gone.DisposedAt = seq;
                    }

                    break;
                case "interaction.created":
                    var interaction = data?["interaction"];
                    Interactions.Add(new InteractionState(Own(target, CtiJson.Str(interaction, "id")), CtiJson.Str(interaction, "type"), CtiJson.Str(interaction, "direction"), seq));
                    break;
                case "interaction.initialized":
                    if (FindInteraction(target, data) is { } complete)
                    {
                        complete.Initialized = true;
                    }

                    break;
                case "interaction.ended":
                    if (FindInteraction(target, data) is { } ended)
                    {
                        ended.Ended = true;
                    }

                    break;
                case "conversation.created":
                    var conversation = CtiJson.Str(data?["conversation"], "id");
                    if (conversation is not null && Interactions.FindLast(i => i.Target == target) is { } owner)
                    {
                        owner.ConversationTarget = target + "." + conversation;
                    }
                    else if (Interactions.FindLast(i => i.Target == Parent(target)) is { } parent)
                    {
                        parent.ConversationTarget = target;
                    }

                    break;
                case "state.updated":
                    if (CtiJson.Str(data, "state") is { } state && Interactions.FindLast(i => i.Target == target) is { } changed)
                    {
                        changed.State = state;
                    }

                    break;
                default:
                    if (name.StartsWith("session.", StringComparison.Ordinal) && name.EndsWith(".updated", StringComparison.Ordinal))
                    {
                        SessionUpdates.Add(name);
                    }

                    // Other events (infochanged, datachanged, preview, members, unknown names) change nothing used here (CTI-035).
                    break;
            }
        }

        public bool Busy(ChannelState channel) => Interactions.Exists(i => !i.Ended && i.ChannelTarget == channel.Target);

        public IEnumerable<ChannelState> Members(GroupState group) => Channels.Where(c => c.DisposedAt == 0 && c.Owner == group.Target);

        public ChannelState? FirstTelephony() => Channels.Find(c => c.DisposedAt == 0 && IsTelephony(c.Type));

        /// <summary>An inbound call alerting on a telephony channel of the model, with its conversation known.</summary>
        public InteractionState? AlertingCall() => Interactions.Find(i =>
            !i.Ended
            && string.Equals(i.State, "ALERTING", StringComparison.OrdinalIgnoreCase)
            && i.ConversationTarget is not null
            && (i.Direction is null || string.Equals(i.Direction, "inbound", StringComparison.OrdinalIgnoreCase))
            && Channels.FindLast(c => c.Target == i.ChannelTarget) is { DisposedAt: 0 } channel
            && IsTelephony(channel.Type ?? i.Type));

        public string Summary() =>
            $"{Channels.Count(c => c.DisposedAt == 0)} channel(s), {Groups.Count(g => g.DisposedAt == 0)} group(s), {Interactions.Count(i => !i.Ended)} active interaction(s)";

        private ChannelState? FindChannel(string target, JsonObject? data)
        {
            var own = Own(target, CtiJson.Str(data?["channel"], "id"));
            return Channels.FindLast(c => c.Target == own);
        }

        private GroupState? FindGroup(string target, JsonObject? data)
        {
            var own = Own(target, CtiJson.Str(data?["channelgroup"], "id"));
            return Groups.FindLast(g => g.Target == own);
        }

        private InteractionState? FindInteraction(string target, JsonObject? data)
        {
            var own = Own(target, CtiJson.Str(data?["interaction"], "id"));
            return Interactions.FindLast(i => i.Target == own);
        }
    }
}
