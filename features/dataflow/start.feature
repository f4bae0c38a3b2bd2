@dataflow
Feature: Opening a streaming session
  Start is the first message, a text frame with MessageName, Tenant, Token, Audio and ProjectName; the client waits
  for StartResponse Success (the project builds first) before it streams, and treats any other OperationResult as
  "not started" (000 §Start, §StartResponse; dataflow.md §3.2).

  Background:
    Given the Data Flow project "call-analytics"
    And the audio "question" as pcm at 8000 Hz mono

  @DFW-001 @DFW-003 @DFW-011 @DFW-024 @DFW-033 @DFW-034
  Scenario: Start first, with the documented fields
    When the client runs the task "stream-audio"
    Then the client opened the session as documented

  @DFW-002
  Scenario: JSON in text frames, audio in binary frames
    When the client runs the task "stream-audio"
    Then the client sent JSON in text frames and audio in binary frames

  @DFW-005 @DFW-035
  Scenario: The client waits while the project builds
    Given the project takes 3000 ms to build
    When the client runs the task "stream-audio"
    Then the client allowed time for the project build
    And the client waited for StartResponse before streaming

  @DFW-006 @DFW-023
  Scenario: A Failed StartResponse means the session did not start
    Given the server answers the first Start with Failed
    When the client runs the task "stream-audio"
    Then after the Failed StartResponse the client sent no audio and closed the connection

  Scenario Outline: StartResponse <result> means the session did not start
    Given the server answers the first Start with <result>
    When the client runs the task "stream-audio"
    Then after the <result> StartResponse the client sent no audio and closed the connection

    @DFW-023
    Examples:
      | result             |
      | Busy               |
      | NoActiveOperation  |
      | UnknownMessageName |
