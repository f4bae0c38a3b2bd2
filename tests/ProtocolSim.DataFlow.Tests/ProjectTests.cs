using System.Text.Json.Nodes;
using ProtocolSim.Audio;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void LoadDirectory_ShippedProjects_LoadWithoutErrors()
    {
        var (projects, errors) = ProjectLoader.LoadDirectory(DataFlowTestHost.FixturesDirectory());
        Assert.Empty(errors);
        Assert.Contains(projects, p => p.Name == "call-analytics" && p.SpeechEvents);
    }

    [Fact]
    public void Load_BrokenProject_ReportsEveryErrorWithItsLine()
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("bad.yaml", """
            name: bad
            colour: blue
            script:
              - on: whenever
                emit: [ { event: Sentiment } ]
              - on: audioTime
                emit: [ { event: sr milestone } ]
              - on: speechEnd
                emit:
                  - incident: { level: Fatal, message: "" }
            """, errors);
        Assert.Null(project);
        Assert.Contains(errors, e => e.StartsWith("bad.yaml:2:", StringComparison.Ordinal) && e.Contains("unknown key \"colour\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("bad.yaml:4:", StringComparison.Ordinal) && e.Contains("whenever", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("audioTime needs at:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("did you mean \"SR Milestone\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("level \"Fatal\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("incident message is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Runner_SpeechInRealAudio_EmitsSpeechEventsAndScriptedTranscriptInOrder()
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("p.yaml", """
            name: p
            speechEvents: true
            script:
              - on: speechEnd
                texts: [first words, second words]
                emit:
                  - event: SR Milestone
                    data: { Text: "{text}", Confidence: 0.9 }
              - on: finalize
                emit:
                  - event: Summarize
                    channel: 0
                    data: { Summary: done }
            """, errors);
        Assert.Empty(errors);
        var runner = new ScriptRunner(project!, new AudioFormat("ulaw", 8000, 1));

        // 0.5 s silence, 1 s of tone, 1 s silence, 0.8 s tone, 1 s silence, sent as 20 ms mu-law frames.
        var pcm = new List<short>();
        void Silence(double s) => pcm.AddRange(new short[(int)(8000 * s)]);
        void Tone(double s)
        {
            for (var i = 0; i < (int)(8000 * s); i++)
            {
                pcm.Add((short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 8000)));
            }
        }

        Silence(0.5); Tone(1); Silence(1); Tone(0.8); Silence(1);
        var codes = G711.EncodeMuLaw(pcm.ToArray());
        var events = new List<JsonObject>();
        for (var i = 0; i < codes.Length; i += 160)
        {
            events.AddRange(runner.OnAudio(codes.AsSpan(i, Math.Min(160, codes.Length - i))).Select(o => o.Event!));
        }

        events.AddRange(runner.OnFinish(stop: false).Select(o => o.Event!));
        var names = events.Select(e => e["Event"]!["Name"]!.GetValue<string>()).ToList();
        Assert.Equal(["Speech Started", "Speech Ended", "SR Milestone", "Speech Started", "Speech Ended", "SR Milestone", "Summarize"], names);
        var firstStart = events[0]["Event"]!;
        Assert.InRange(firstStart["StartMsec"]!.GetValue<int>(), 480, 540);
        Assert.Equal(-1, firstStart["EndMsec"]!.GetValue<int>());
        var firstEnd = events[1]["Event"]!;
        Assert.InRange(firstEnd["EndMsec"]!.GetValue<int>(), 1480, 1540);
        Assert.Equal(firstStart["GroupId"]!.GetValue<string>(), firstEnd["GroupId"]!.GetValue<string>());
        Assert.Equal("first words", events[2]["Event"]!["Data"]!["Text"]!.GetValue<string>());
        Assert.Equal("second words", events[5]["Event"]!["Data"]!["Text"]!.GetValue<string>());
        Assert.NotEqual(firstStart["GroupId"]!.GetValue<string>(), events[3]["Event"]!["GroupId"]!.GetValue<string>());
    }

    [Fact]
    public void Runner_StereoAudio_FindsSpeechOnTheRightChannel()
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("p.yaml", "name: p\nspeechEvents: true\n", errors)!;
        var runner = new ScriptRunner(project, new AudioFormat("pcm", 16000, 2));
        var frames = new short[16000 * 2 * 2]; // 2 s stereo
        for (var i = 8000; i < 24000; i++)
        {
            frames[(i * 2) + 1] = (short)(8000 * Math.Sin(2 * Math.PI * 300 * i / 16000)); // channel 1 only
        }

        var events = runner.OnAudio(Pcm.ToBytes(frames)).Concat(runner.OnFinish(stop: false)).Select(o => o.Event!["Event"]!).ToList();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(1, e["Channel"]!.GetValue<int>()));
    }
}

public sealed class FaultTests
{
    private static ProjectDefinition Load(string yaml)
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("f.yaml", yaml, errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return project!;
    }

    [Fact]
    public void Runner_DuplicateAndOutOfOrder_ChangeTheEventSequence()
    {
        var project = Load("""
            name: f
            script:
              - on: start
                emit:
                  - event: Summarize
                    data: { Summary: one }
                  - fault: { outOfOrder: true }
                  - event: Summarize
                    data: { Summary: two }
                  - fault: { duplicate: true }
                  - event: Summarize
                    data: { Summary: three }
            """);
        var runner = new ScriptRunner(project, new AudioFormat("pcm", 16000, 1));
        var summaries = runner.OnStart().Select(o => o.Event!["Event"]!["Data"]!["Summary"]!.GetValue<string>()).ToList();
        Assert.Equal(["two", "one", "three", "three"], summaries);
    }

    [Fact]
    public void Runner_DelayAndDrop_AreOutputsTheSessionActsOn()
    {
        var project = Load("""
            name: f
            script:
              - on: finalize
                emit:
                  - fault: { delay: 250 }
                  - event: Summarize
                    data: { Summary: late }
                  - fault: { drop: true }
            """);
        var outputs = new ScriptRunner(project, new AudioFormat("pcm", 16000, 1)).OnFinish(stop: false);
        Assert.Equal(TimeSpan.FromMilliseconds(250), outputs[0].Delay);
        Assert.NotNull(outputs[1].Event);
        Assert.True(outputs[2].Drop);
    }

    [Fact]
    public void Runner_ScriptedResponse_IsUsedOnce()
    {
        var project = Load("name: f\nresponses:\n  Finalize: Busy\n");
        var runner = new ScriptRunner(project, new AudioFormat("pcm", 16000, 1));
        Assert.Equal("Busy", runner.TakeResponseOverride("Finalize"));
        Assert.Null(runner.TakeResponseOverride("Finalize"));
        Assert.Null(runner.TakeResponseOverride("Update"));
    }

    [Fact]
    public void Load_BadFaultsAndResponses_AreReported()
    {
        var errors = new List<string>();
        ProjectLoader.Load("f.yaml", """
            name: f
            responses: { Finalise: Busy, Stop: Success }
            script:
              - on: start
                emit:
                  - fault: { delay: soon }
                  - fault: { explode: true }
            """, errors);
        Assert.Contains(errors, e => e.Contains("\"Finalise\" is not a request", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("\"Success\" is not a non-Success", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("fault delay: \"soon\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown key \"explode\"", StringComparison.Ordinal));
    }
    [Fact]
    public void CallAnalytics_MonoAudioPastAChannelOneRule_DoesNotFireIt()
    {
        // call-analytics has an audioTime rule for channel 1 (the customer); mono audio has no channel 1.
        var project = DataFlowTestHost.ShippedProjects().Single(p => p.Name == "call-analytics");
        var runner = new ScriptRunner(project, new AudioFormat("pcm", 8000, 1));
        var outputs = runner.OnAudio(new byte[8000 * 2 * 4]);
        Assert.DoesNotContain(outputs, o => o.Event?["Event"]?["Name"]?.GetValue<string>() is "Gender Change" or "Age Change");
    }

    [Fact]
    public void ScriptedEvents_RenderedAsText_AreWhatSessionMessagesSerializes()
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("r.yaml", """
            name: r
            script:
              - on: clientEvent
                emit:
                  - event: SR Milestone
                    channel: 1
                    data: { Text: "{text}", Words: [], Nested: { At: "{startMsec}-{endMsec} on {channel}" }, Confidence: 0.5 }
            """, errors)!;
        Assert.Empty(errors);
        var runner = new ScriptRunner(project, new AudioFormat("pcm", 8000, 2));
        var text = "say \"hi\" <b> & ü";
        var output = Assert.Single(runner.OnClientEvent(text));
        var expected = System.Text.Json.Nodes.JsonNode.Parse("""{"Text":"","Words":[],"Nested":{"At":"-1--1 on 1"},"Confidence":0.5}""")!;
        expected["Text"] = text;
        Assert.Equal(
            ProtocolSim.DataFlow.Sessions.SessionMessages.Event("SR Milestone", 1, -1, -1, string.Empty, expected).ToJsonString(),
            System.Text.Encoding.UTF8.GetString(output.EventUtf8!.Value.Span));
    }
    [Fact]
    public void EventTemplates_CoverTheWhole001Catalogue()
    {
        Assert.Equal(ProjectLoader.KnownEvents.Order(StringComparer.Ordinal), EventTemplates.Names.Order(StringComparer.Ordinal));
        foreach (var name in EventTemplates.Names)
        {
            // Every template parses (the documents' invalid JSON is corrected as dataflow.md gives it).
            _ = EventTemplates.DataFor(name);
        }

        Assert.Equal("1", EventTemplates.DataFor("RTG Notification")!["typeId"]!.GetValue<string>());
        Assert.Equal("en-US", System.Text.Json.Nodes.JsonNode.Parse(EventTemplates.DataFor("RTG State")!["payload"]!.GetValue<string>())!["languageCode"]!.GetValue<string>());
        Assert.Null(EventTemplates.DataFor("Speech Started"));
    }

    [Fact]
    public void Emit_WithoutData_SendsTheDocumentedDataOfTheEvent()
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("t.yaml", """
            name: t
            script:
              - on: clientEvent
                emit:
                  - event: SR Milestone
                    channel: 0
                  - event: Speech Quality
                    channel: 1
            """, errors)!;
        Assert.Empty(errors);
        var outputs = new ScriptRunner(project, new AudioFormat("pcm", 8000, 2)).OnClientEvent("where is my parcel");
        Assert.Equal("where is my parcel", outputs[0].Event!["Event"]!["Data"]!["Text"]!.GetValue<string>());
        Assert.Equal(4.1, outputs[1].Event!["Event"]!["Data"]!["Mos"]!.GetValue<double>());
    }
    [Fact]
    public void ReadmeProjectExample_Loads()
    {
        var readme = File.ReadAllText(Path.Combine(DataFlowTestHost.FixturesDirectory(), "..", "..", "..", "README.md"));
        var section = readme[readme.IndexOf("### Data Flow projects", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml", StringComparison.Ordinal) + "```yaml".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var errors = new List<string>();
        var project = ProjectLoader.Load("README.md", yaml, errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal("my-project", project!.Name);
    }
    [Theory]
    [InlineData("true", true)]
    [InlineData("absent", null)]
    [InlineData("false", false)]
    public void Tts_WaveHeader_SetsHasWaveHeaderAndPrefixesAWavFile(string setting, bool? expected)
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("h.yaml", $"name: h\nscript:\n  - on: clientEvent\n    emit:\n      - tts: \"{{text}}\"\n        waveHeader: {setting}\n", errors)!;
        Assert.Empty(errors);
        var outputs = new ScriptRunner(project, new AudioFormat("pcm", 8000, 1, "ulaw")).OnClientEvent("hello there");
        var start = outputs[0].Event!["Event"]!["Data"]!.AsObject();
        Assert.Equal(expected, start.ContainsKey("HasWaveHeader") ? start["HasWaveHeader"]!.GetValue<bool>() : null);
        var audio = outputs.Where(o => o.Binary is not null).SelectMany(o => o.Binary!).ToArray();
        var wav = ProtocolSim.Audio.Wav.Parse(audio);
        Assert.Equal(expected != false, wav.IsValid && wav.Format!.FormatTag == ProtocolSim.Audio.WavFormat.MuLawTag);
    }

    [Fact]
    public void Tts_BadWaveHeader_IsALoadError()
    {
        var errors = new List<string>();
        ProjectLoader.Load("h.yaml", "name: h\nscript:\n  - on: clientEvent\n    emit:\n      - tts: hi\n        waveHeader: maybe\n", errors);
        Assert.Contains(errors, e => e.Contains("waveHeader", StringComparison.Ordinal) && e.StartsWith("h.yaml:", StringComparison.Ordinal));
    }
}
