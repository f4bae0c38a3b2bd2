using System.Text.Json.Nodes;

namespace ProtocolSim.Core.Hosting;

/// <summary>
/// An admin action of a fake, offered by the dashboard as a button: the dashboard calls the fake's admin API itself (the browser
/// stays on the dashboard's origin) with a JSON body built from the form's fields, or runs <see cref="Handler"/>.
/// </summary>
public sealed record AdminAction(string Id, string Fake, string Title, string Description)
{

    /// <summary>The admin API the body is posted to.</summary>
    public Uri? Url { get; init; }

    /// <summary>Runs the action here instead (the voice stream, which has no admin API: we dial the bot).</summary>
    public Func<JsonObject, CancellationToken, Task<ActionResult>>? Handler { get; init; }

    /// <summary>The form's fields; none: the action posts an empty JSON object.</summary>
    public IReadOnlyList<ActionField> Fields { get; init; } = [];

    /// <summary>When set, the body is this field's value as it is (a JSON document typed or loaded by the user).</summary>
    public string? RawBodyField { get; init; }

    /// <summary>The request body for the submitted values; an error when a value is not what the field takes.</summary>
    public (string? Body, string? Error) Body(JsonObject values)
    {
        if (RawBodyField is { } raw)
        {
            var text = values[raw]?.GetValue<string>() ?? "";
            try
            {
                JsonNode.Parse(text);
                return (text, null);
            }
            catch (System.Text.Json.JsonException e)
            {
                return (null, $"{raw}: not JSON ({e.Message})");
            }
        }

        var body = new JsonObject();
        foreach (var field in Fields)
        {
            var value = values[field.Name];
            switch (field.Kind)
            {
                case ActionFieldKind.Checkbox:
                    body[field.Name] = value is JsonValue b && b.TryGetValue<bool>(out var on) && on;
                    break;
                case ActionFieldKind.Number when value is JsonValue n && n.ToString() is { Length: > 0 } s:
                    if (!int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number))
                    {
                        return (null, $"{field.Label}: not a whole number");
                    }

                    body[field.Name] = number;
                    break;
                case ActionFieldKind.Choice or ActionFieldKind.Text when value is JsonValue t && t.ToString() is { Length: > 0 } text:
                    if (field.Choices.Count > 0 && !field.Choices.Contains(text))
                    {
                        return (null, $"{field.Label}: one of {string.Join(", ", field.Choices)}");
                    }

                    body[field.Name] = text;
                    break;
            }
        }

        return (body.ToJsonString(JsonDefaults.Relaxed), null);
    }
}

public enum ActionFieldKind
{
    Text,
    Number,
    Checkbox,
    Choice,
    Json,
}

/// <summary>One input of an action's form.</summary>
public sealed record ActionField(string Name, string Label, ActionFieldKind Kind = ActionFieldKind.Text, string Default = "")
{
    public IReadOnlyList<string> Choices { get; init; } = [];
}

/// <summary>What an action answered: an HTTP status and a body (JSON or text) shown under its button.</summary>
public sealed record ActionResult(int Status, string Body);
