@dataflow
Feature: What the server sends
  The client classifies server messages by their top-level member, accepts both incident shapes, keeps going on
  Warning and Debug incidents, accepts any event name and unknown Data members, channels -1 and -2, and output
  audio in binary frames between Start and End Of TTS Fragment (000 §Server Sourced Messages, §Incident; 001).

  Background:
    Given the audio "question" as pcm at 8000 Hz mono

  @DFW-025 @DFW-026
  Scenario: Incidents in the flat shape
    Given a Data Flow project defined as:
      """
      name: debug-flat
      script:
        - on: start
          emit:
            - incident: { level: Debug, message: "Project built in 112 ms" }
            - event: Language Detected
              channel: 0
              data: { Language: en-US }
        - on: audioTime
          at: 0.5s
          emit:
            - incident: { level: Debug, message: "SR node connected" }
      """
    And incidents are sent in the Flat shape
    When the client runs the task "stream-audio"
    Then the client completed the session normally

  @DFW-027
  Scenario: Warning and Debug incidents
    Given a Data Flow project defined as:
      """
      name: warnings
      script:
        - on: start
          emit:
            - incident: { level: Debug, message: "Project built in 112 ms" }
            - incident: { level: Warning, message: "Language model en-US is loading; first results may be late" }
        - on: audioTime
          at: 0.5s
          emit:
            - incident: { level: Warning, message: "Speech Quality below threshold on this channel" }
      """
    When the client runs the task "stream-audio"
    Then the client completed the session normally

  @DFW-028
  Scenario: Events the client does not know
    Given a Data Flow project defined as:
      """
      name: custom-nodes
      script:
        - on: start
          emit:
            - event: Fraud Score
              custom: true
              channel: 1
              data: { Score: 0.12, Model: { Name: voiceprint, Version: 3 } }
            - event: Sentiment
              channel: 0
              data: { score: 0.4, sentiment_phrases: [], vendorExtension: { raw: [1, 2, 3] } }
      """
    When the client runs the task "stream-audio"
    Then the client completed the session normally

  @DFW-029
  Scenario: Channels -1 and -2, times -1 and string incident channels
    Given a Data Flow project defined as:
      """
      name: odd-channels
      script:
        - on: start
          emit:
            - event: Language Detected
              channel: -1
              data: { Language: en-US }
            - event: Summarize
              channel: -2
              data: { Summary: "Both channels together" }
            - incident: { level: Debug, message: "Channel \"-1\" is written as a string in incidents" }
      """
    When the client runs the task "stream-audio"
    Then the client completed the session normally

  Scenario Outline: Output audio as <encoding> between TTS fragment events
    Given the Data Flow project "tts-echo"
    And the client asks for output audio as <encoding>
    And the event text is "Your order has shipped"
    When the client runs the task "send-event"
    Then the client saved every TTS fragment it received

    @DFW-031 @DFW-032
    Examples:
      | encoding |
      | pcm      |
      | ulaw     |
      | alaw     |

  Scenario Outline: Output audio with HasWaveHeader <header> as <encoding>
    Given a Data Flow project defined as:
      """
      name: tts-header
      script:
        - on: clientEvent
          emit:
            - tts: "{text}"
              waveHeader: <header>
      """
    And the client asks for output audio as <encoding>
    And the event text is "Your parcel arrives tomorrow"
    When the client runs the task "send-event"
    Then the client saved every TTS fragment it received

    @DFW-032
    Examples:
      | header | encoding |
      | true   | pcm      |
      | absent | alaw     |
