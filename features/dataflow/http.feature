@dataflow
Feature: The HTTP batch integration
  An HTTP client posts the whole file once: a multipart/form-data body with a Parameters part (Start-shaped JSON, no
  token) and an Audio part (a WAV file in pcm, alaw or ulaw), the token in Authorization: Bearer and the Tenant and
  ProjectName headers. The answer comes only when every node is done, so the client's timeout allows for it; the body
  holds the events and the incidents, and an Error incident in a 200 answer still means trouble (dataflow.md §2.8,
  §3.4, §4.2). The task fails (non-zero exit) when the answer is not 200 or holds an Error incident. A client of
  another integration is not judged here.

  Background:
    Given the Data Flow project "call-analytics"

  @DFH-001 @DFH-002 @DFH-003 @DFH-004 @DFH-005 @DFH-006 @DFH-010 @DFA-004 @DFA-005 @DFW-013 @DFW-033
  Scenario: A pcm mono file posted as documented
    Given the audio "question" as pcm at 8000 Hz mono
    When the client runs the task "stream-audio"
    Then the client posted the audio file as documented

  @DFH-005 @DFH-006
  Scenario: A mu-law stereo file
    Given the audio "goodbye" as ulaw at 8000 Hz stereo
    When the client runs the task "stream-audio"
    Then the client posted the audio file as documented

  @DFH-005 @DFH-006
  Scenario: An A-law file at 16 kHz
    Given the audio "question" as alaw at 16000 Hz mono
    When the client runs the task "stream-audio"
    Then the client posted the audio file as documented

  @DFH-007
  Scenario: An initial event goes in Parameters.Events
    Given the Data Flow project "tts-echo"
    And the audio "question" as pcm at 8000 Hz mono
    And the event text is "Welcome to the batch"
    When the client runs the task "send-event"
    Then the client sent its initial event in Parameters.Events

  @DFH-008
  Scenario: The answer takes a while: every node finishes first
    Given the audio "question" as pcm at 8000 Hz mono
    And the project takes 2000 ms to build
    And finishing takes 7000 ms
    When the client runs the task "stream-audio"
    Then the client waited for the whole file to be processed

  @DFH-009
  Scenario: A 200 answer with an Error incident
    Given a Data Flow project defined as:
      """
      name: batch-trouble
      script:
        - on: start
          emit:
            - incident: { level: Warning, message: "Language model en-US is loading; first results may be late" }
        - on: audioTime
          at: 0.5s
          emit:
            - event: SR Milestone
              channel: 0
              data: { Text: "hello", TextAttributes: recognized, Confidence: 0.61, Words: [] }
            - incident: { level: Error, message: "Could not connect to SR Service" }
      """
    And the audio "question" as pcm at 8000 Hz mono
    When the client runs the task "stream-audio"
    Then the client reported the Error incident of the 200 answer
