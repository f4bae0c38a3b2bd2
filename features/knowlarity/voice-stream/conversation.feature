@stream-node
Feature: Conversation
  Caller audio is pcm_s16le mono at the configured rate, streamed continuously in frames of any size; the bot
  answers when the caller stops speaking, within about 1.2 s (003-V ch.3 Time to First Audio).

  Background:
    Given a Stream-Node call at 16000 Hz

  @KVS-010
  Scenario: The bot hears the caller: line noise is not speech, a question is
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller stays silent for 1.5 seconds
    And the caller says "question"
    Then the bot does not take line noise for speech
    And the bot answers the caller

  @KVS-011
  Scenario Outline: The bot handles caller frames of <ms> ms
    Given caller frames of <ms> ms
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    Then the bot answers the caller

    Examples:
      | ms |
      | 10 |
      | 30 |

  @KVS-022
  Scenario: The first answer audio arrives soon after the caller stops speaking
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    Then the first answer audio arrives within the time-to-first-audio target

  @KVS-032
  Scenario: Unexpected text frames from the peer are ignored
    When the peer dials the bot
    And the bot has greeted the caller
    And the peer sends the text frame:
      """
      {"event": "dtmf", "digit": "5"}
      """
    And the peer sends the text frame:
      """
      keep-alive
      """
    Then the bot keeps the call going and answers the caller
