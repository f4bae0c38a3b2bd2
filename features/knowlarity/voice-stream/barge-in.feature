@stream-node
Feature: Barge-in
  When the caller speaks over the bot, the bot sends killAudio, which flushes the peer's queue; it triggers on
  the start of speech, about 300 ms (003-V ch.3 Pattern 4), and sends nothing more of the interrupted reply.

  Background:
    Given a Stream-Node call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    And the bot answers

  @KVS-023
  Scenario: The bot sends killAudio when the caller speaks over it
    When the caller barges in with "bargein" while the bot is still sending its answer
    Then the bot sends killAudio within the barge-in deadline

  @KVS-024
  Scenario: Barge-in is fast
    When the caller barges in with "bargein" while the bot is still sending its answer
    Then the barge-in latency is within the target

  @KVS-025
  Scenario: No stale chunks after killAudio
    When the caller barges in with "bargein" while the bot is still sending its answer
    Then the bot sends no audio of the interrupted answer after killAudio

  @KVS-026
  Scenario: Playback, not sending, decides whether the bot is talking
    When the caller barges in with "bargein" while the bot is still sending its answer
    And the bot interrupts itself with killAudio
    And the bot answers
    And the caller barges in with "bargein" after the bot has sent its whole answer but while it is still playing
    Then the bot sends killAudio within the barge-in deadline
