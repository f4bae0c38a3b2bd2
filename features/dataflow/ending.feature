@dataflow
Feature: Ending a session
  A normal session ends with Finalize after the last audio; after FinalizeResponse (or StopResponse) Success the client
  reads until the FinalResult event, then closes. Busy means another Finalize/Stop is running: its FinalResult still
  comes. NoActiveOperation means the session is over (000 §Finalize, §Stop; dataflow.md §3.2).

  Background:
    Given the Data Flow project "call-analytics"
    And the audio "question" as pcm at 8000 Hz mono
    And finishing takes 1500 ms

  @DFW-016 @DFW-017 @DFW-019 @DFW-020 @DFW-030
  Scenario: Finalize, then FinalResult, then close
    When the client runs the task "stream-audio"
    Then the client finalized after its last audio and read until FinalResult

  @DFW-018 @DFW-019 @DFW-030
  Scenario: Stop, then FinalResult, then close
    When the client runs the task "stream-and-stop"
    Then the client stopped and read until FinalResult

  @DFW-020 @DFW-021
  Scenario: Busy: another operation is finishing the session
    Given the server answers the first Finalize with Busy
    When the client runs the task "stream-audio"
    Then after Busy the client waited for the running operation's FinalResult

  @DFW-022
  Scenario: NoActiveOperation: the session is already over
    Given the server answers the first Finalize with NoActiveOperation
    And the client is given 20 seconds
    When the client runs the task "stream-audio"
    Then after NoActiveOperation the client treated the session as ended
