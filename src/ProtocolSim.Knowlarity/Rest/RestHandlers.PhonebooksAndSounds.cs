using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
    // ---- phonebooks, sounds ---------------------------------------------------------------------------------

    public static ApiResult ListPhonebooks(RestCall call)
    {
        lock (call.Account.Gate)
        {
            return Envelope(call, call.Account.Phonebooks.OfType<JsonObject>(), defaultLimit: 1000);
        }
    }

    public static ApiResult PostPhonebook(RestCall call)
    {
        var name = call.Text("phonebookname");
        var numbers = call.PhoneList("numbers", call.Text("numbers"));
        if (string.IsNullOrWhiteSpace(name) || numbers is null || numbers.Count == 0)
        {
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            var id = call.Account.Phonebooks.OfType<JsonObject>().Select(p => p["id"]?.GetValue<int>() ?? 0).DefaultIfEmpty(0).Max() + 1;
            call.Account.Phonebooks.Add(new JsonObject
            {
                ["description"] = call.Text("description") ?? "",
                ["duplicates_count"] = numbers.Count - numbers.Distinct().Count(),
                ["id"] = id,
                ["invalid_count"] = 0,
                ["ndnc_count"] = numbers.Count(n => call.Account.Behaviour(n) == NumberBehaviour.Dnd),
                ["phonebookfile"] = "",
                ["phonebookname"] = name,
                ["row_count"] = numbers.Distinct().Count(),
                ["timestamp"] = KnowlarityAccount.Rfc2822(call.Now),
                ["_numbers"] = new JsonArray(numbers.Distinct().Select(n => (JsonNode?)n).ToArray()),
            });
            return ApiResult.Ok(new JsonObject { ["msg"] = new JsonArray("Successfully added phonebook"), ["id"] = id });
        }
    }

    public static ApiResult ListSounds(RestCall call)
    {
        lock (call.Account.Gate)
        {
            foreach (var sound in call.Account.Sounds.OfType<JsonObject>())
            {
                call.Account.SoundStatus(sound, call.Options.SoundReviewAfter);
            }

            return Envelope(call, call.Account.Sounds.OfType<JsonObject>(), defaultLimit: 1000);
        }
    }

    public static ApiResult PostSound(RestCall call)
    {
        var name = call.Text("soundname");
        var file = call.Text("soundfile");
        if (string.IsNullOrWhiteSpace(name) || file is null)
        {
            return ApiResult.IncorrectInput;
        }

        // 003-R Post Sound API: soundfile is a public mp3 or wav URL.
        if (!Uri.TryCreate(file, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || !(uri.AbsolutePath.EndsWith(".mp3", StringComparison.OrdinalIgnoreCase) || uri.AbsolutePath.EndsWith(".wav", StringComparison.OrdinalIgnoreCase)))
        {
            call.Finding("KRS-023", "soundfile is not a public mp3 or wav URL", "https://…/name.mp3 or .wav", file);
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            var id = Math.Max(157776, call.Account.Sounds.OfType<JsonObject>().Select(s => int.TryParse(s["id"]?.ToString(), CultureInfo.InvariantCulture, out var i) ? i : 0).DefaultIfEmpty(0).Max()) + 1;
            var idText = id.ToString(CultureInfo.InvariantCulture);
            call.Account.Sounds.Add(new JsonObject
            {
                ["comment"] = "",
                ["date"] = KnowlarityAccount.Rfc2822(call.Now),
                ["description"] = call.Text("description") ?? "",
                ["id"] = idText,
                ["language"] = (call.Text("language") ?? "english").ToLowerInvariant(),
                ["soundfile"] = file,
                ["soundname"] = name,
                ["status"] = "0",
            });
            call.Account.SoundUploads[idText] = call.Now;
            return ApiResult.Ok(new JsonObject { ["msg"] = new JsonArray("Successfully added sound"), ["status"] = "0", ["id"] = id });
        }
    }
}
