@stream-node
Feature: Greeting
  "Your server MUST send a playAudio event within a few seconds of Knowlarity connecting, or the stream will be
  terminated" (003-V ch.1). Caller audio may arrive before the greeting (003-V ch.1 sample log).

  Background:
    Given a Stream-Node call at 16000 Hz

  @KVS-008
  Scenario: The greeting arrives within the greeting timeout without waiting for the caller
    Given the caller's audio starts only after the bot's first playAudio
    When the peer dials the bot
    Then the bot sends its greeting within the greeting timeout

  @KVS-013
  Scenario: Caller audio that arrives before the greeting is accepted
    Given the caller's audio starts right after the first frame
    When a plain call with the documented metadata is greeted first
    And the peer dials the bot
    Then the bot greets the caller although caller audio arrived first
