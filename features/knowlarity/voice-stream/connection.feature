@stream-node
Feature: Connection to the bot
  As Knowlarity's Stream Node, the peer dials the bot's WSS URL for every call.
  A bot must accept the upgrade on its configured path, over TLS, for many calls at once.

  Background:
    Given a Stream-Node call at 16000 Hz

  @KVS-001
  Scenario: The bot accepts the upgrade on the configured path
    When the peer dials the bot
    Then the bot accepts the WebSocket upgrade on the configured path

  @KVS-002
  Scenario: The bot serves the stream over TLS
    When the peer dials the bot
    Then the bot serves the stream over TLS

  @KVS-003
  Scenario: Concurrent calls to one SR number are kept apart
    When 4 calls to the same number are placed at once
    And the callers of calls 1 and 3 say "question" after the greeting
    Then every call gets its own greeting and only the callers who spoke get an answer

  @KVS-031
  Scenario: A call dropped without a close frame does not disturb the next call
    When the peer dials the bot
    And the bot has greeted the caller
    And the peer drops the connection without a close frame
    And the same caller calls again
    Then the bot greets the new call
