using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace ProtocolSim.DataFlow.Projects;

/// <summary>
/// The documented <c>Data</c> of every event in the 001 catalogue (dataflow.md §2.4), used when a script emits an
/// event without <c>data:</c>. Members, casing and value kinds are the document's, with its invalid JSON corrected
/// as dataflow.md gives it (RTG Notification, RTG State, Conversation Analyzer Result, VAAsyncOutput's
/// <c>serviceUrl</c>). String values may hold the script placeholders <c>{text}</c>, <c>{channel}</c>,
/// <c>{startMsec}</c>, <c>{endMsec}</c>. Events documented without Data map to null.
/// </summary>
internal static class EventTemplates
{
    private static readonly FrozenDictionary<string, string?> Templates = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["Age Change"] = """{"Age":34}""",
        ["CallStateUpdate"] = """{"CallProperties":{"ExternalId":"a_valid_external_id_for_call","Direction":1,"CallerNumber":"5336563494","CalledNumber":"123123","CallStartTime":"2024-11-06 00:00:01"},"EventTime":"2025-04-28T07:53:40.638Z","EventType":1}""",
        ["Change Insights"] = """{"Insights":"Churn Risk;Upsell Opportunity"}""",
        ["Chat Message"] = """{"Text":"{text}"}""",
        ["Chat Response"] = """{"Text":"{text}","ChatGPTResult":{"choices":[{"index":0,"message":{"role":"assistant","content":"{text}"},"finish_reason":"stop"}]}}""",
        ["Conversation Analyzer Result"] = """
            {"Agent":{"AngerDurationMsec":0.0,"AverageSentimentResult":0.0,
              "Blocks":{"BlockCount":0,"BlockPerMinute":0.0,"BlockRatio":0.0,"Blocks":null,"TotalBlockDurationMsec":0.0},
              "Confidence":0,"Hesitation":{"Hesitations":null,"HesitationsPerMinute":0.0},
              "Interrupt":{"Interrupts":null,"InterruptsPerMinute":null},"MaxAngerProbability":0.0,"MonotonicityRatio":0,
              "SR":[{"AngerProbability":0.0,"Confidence":0.95,"EndTimeMsec":4500,"Monotonicity":0.0,
                     "Sentiment":{"SentimentPhrases":null,"SentimentScore":0.0},"StartTimeMsec":37,
                     "Text":"good morning ","TurnId":"","Words":null}],
              "SpeechDurationMsec":0.0,"SpeedLetterPerSecond":0.0},
             "Customer":{"AngerDurationMsec":0.0,"AverageSentimentResult":0.0,
              "Blocks":{"BlockCount":0,"BlockPerMinute":0.0,"BlockRatio":0.0,"Blocks":null,"TotalBlockDurationMsec":0.0},
              "Confidence":0,"Hesitation":{"Hesitations":null,"HesitationsPerMinute":0.0},
              "Interrupt":{"Interrupts":null,"InterruptsPerMinute":null},"MaxAngerProbability":0.0,"MonotonicityRatio":0,
              "SR":[],"SpeechDurationMsec":0.0,"SpeedLetterPerSecond":0.0},
             "CallDurationMsec":39361,"ConclusionSentiment":0.0}
            """,
        ["Conversation Insights"] = """{"ServiceResult":{"results":[{"actions":["Check the order status"],"conversation_result":"resolved","follow_up_actions":[],"id":"1","improvement_areas":[],"negative_feedbacks":[],"non_resolution_risk":"low","positive_feedbacks":["Polite greeting"],"summary":"{text}","topic":"Order status"}]}}""",
        ["Early Speech Ended"] = null,
        ["Emotion"] = """{"AngerProbability":0.05,"MonotonicityScore":0.3,"Prediction":"normal","Predictions":[{"Label":"normal","Confidence":0.95},{"Label":"angry","Confidence":0.05}]}""",
        ["End Of Segment"] = null,
        ["Start Of Segment"] = null,
        ["End Of TTS Fragment"] = null,
        ["Gender Change"] = """{"Gender":"female"}""",
        ["Language Change"] = """{"Language":"en-US"}""",
        ["Language Detected"] = """{"Language":"en-US"}""",
        ["Merge Audio Started"] = null,
        ["Merge Audio Ended"] = null,
        ["RTG Notification"] = """{"externalConversationId":"string","scenarioId":123,"agentId":"a_valid_agent_id","typeId":"1","notificationTime":"2025-04-28T08:44:33.308Z","value":"appreciate","sentence":"{text}","hasTriggeredAChecklist":false,"checklistId":291,"checkedStatus":false}""",
        ["RTG Scenarios"] = """{"Scenarios":[]}""",
        ["RTG State"] = """{"externalConversationId":"cd74c7b315384ca0","agentId":"a_valid_agent_id","eventType":1,"eventTime":"2025-04-28T07:53:40.638Z","payload":"{\"languageCode\":\"en-US\",\"textBased\":false,\"caStartMessage\":null}"}""",
        ["RTG Supervisor Message"] = """{"message":"{text}","messageTime":"2025-04-28T08:44:33.308Z","supervisorName":"Jane","supervisorSurname":"Doe","supervisorId":"a_valid_supervisor_id"}""",
        ["RTG Transcript"] = """{"agentId":"a_valid_agent_id","channel":2,"externalConversationId":"cd74c7b315384ca0","sentence":"{text}","sentimentResult":3,"transcriptTime":"2025-04-28T08:44:33.308Z"}""",
        ["Sentiment"] = """{"score":0.4,"sentiment_phrases":[{"content":"{text}","sentiment":"positive","severity":"low"}]}""",
        ["Speech Started"] = null,
        ["Speech Ended"] = null,
        ["Speech Quality"] = """{"Mos":4.1}""",
        ["SR Milestone"] = """{"Text":"{text}","TextAttributes":"recognized,punctuated","Confidence":0.92,"Words":[]}""",
        ["SR Partial"] = """{"PartialText":"{text}","Confidence":0.5}""",
        ["Start Of TTS Fragment"] = """{"Text":"{text}","HasWaveHeader":false}""",
        ["Subtitle Generated"] = """{"Subtitle Format":"1\n00:00:00,000 --> 00:00:02,000\n{text}\n"}""",
        ["Summarize"] = """{"Summary":"{text}"}""",
        ["Topic Detected"] = """{"Topics":[{"Topic":"Order status"},{"Topic":"Delivery"},{"Topic":"Billing"}]}""",
        ["Translation"] = """{"Text":"{text}","SourceText":"{text}","SourceLanguage":"en-US","TargetLanguage":"de-DE"}""",
        ["VAAsyncOutput"] = """{"type":"message","id":"a_valid_activity_id","timestamp":"2025-04-28T08:44:33.308Z","serviceUrl":null,"channelId":"dataflow","from":{"id":"bot","name":"Bot"},"conversation":{"id":"a_valid_conversation_id"},"recipient":{"id":"user"},"text":"{text}"}""",
        ["VA Activity Object"] = """{"ActivityObject":{"type":"message","text":"{text}","serviceUrl":"https://dataflow.example/va","channelId":"dataflow","conversation":{"id":"a_valid_conversation_id"}}}""",
        ["VA External"] = """{"ActivityObject":{"type":"message","text":"{text}"},"Text":"{text}"}""",
        ["VBCallEvent"] = """{"AgentIdentifier":"a_valid_agent_id","CallIdentifier":"a_valid_call_id","CallMetaData":"","CustomerPhoneNumber":"+0123456789","EventType":"CallStarted","TenantId":"a_valid_tenant_id","UserCode":"a_valid_user_code"}""",
        ["VBStreamState"] = """{"State":"Start","TransactionId":"a_valid_transaction_id"}""",
        ["VBTransactionEvent"] = """{"AgentIdentifier":"a_valid_agent_id","CallIdentifier":"a_valid_call_id","CallMetaData":"","CustomerPhoneNumber":"+0123456789","OperationResult":{"ResultText":"Verified","ResultType":"Success","TransactionDetails":{"IsComplete":true,"Status":"Completed","TransactionId":"a_valid_transaction_id","TransactionType":"Verification"},"VoiceDetails":{"DiscardedSpeech":0,"ProcessResult":"Verified","SpeechResult":"Match","StoredSpeech":12000,"TotalRequiredSpeech":10000,"TotalSpeech":12000}},"TenantId":"a_valid_tenant_id"}""",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every event name that has a template (the whole 001 catalogue).</summary>
    public static IEnumerable<string> Names => Templates.Keys;

    /// <summary>The documented Data of <paramref name="eventName"/> (a fresh object), null when it has none or is not in 001.</summary>
    public static JsonNode? DataFor(string eventName) =>
        Templates.TryGetValue(eventName, out var json) && json is not null ? JsonNode.Parse(json) : null;
}
