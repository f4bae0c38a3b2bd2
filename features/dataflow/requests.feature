@dataflow
Feature: Client events and Update during a session
  Client events are {"Event":{…}} messages without MessageName, with every member; Update is
  {"MessageName":"Update","Parameters":{…}} with primitive values, only in an active session (000 §Event, §Update).

  Background:
    Given the Data Flow project "call-analytics"
    And the audio "question" as pcm at 8000 Hz mono

  @DFW-012
  Scenario: A client event
    Given the event text is "Please hold the line"
    When the client runs the task "send-event"
    Then the client sent its event as documented

  @DFW-013 @DFW-014 @DFW-024
  Scenario: An Update of the settings
    Given the update parameters are '{"Punctuation": false, "MinConfidence": 0.4}'
    When the client runs the task "update-settings"
    Then the client opened the session as documented
    And the client updated the settings as documented
