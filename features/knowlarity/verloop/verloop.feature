@verloop
Feature: Verloop dialect
  Verloop's bot receives a JSON first message (uuid, sample_rate, from, to, campaign, metadata), sends audio as
  playAudio with audioContentType "wave", and ends or transfers a call with audioContent "None" and a textContent
  of asr_disconnect pairs (002).

  @KVV-003
  Scenario: The bot accepts WSS connections on the registered URL
    Given a Verloop call at 16000 Hz
    When the peer dials the bot
    Then the bot accepts the WSS connection on the registered URL

  @KVV-004
  Scenario: The bot parses the first message
    Given a Verloop call at 16000 Hz
    When the peer dials the bot
    Then the bot accepts the metadata and keeps the call open

  @KVV-005
  Scenario: No playAudio before the first message
    Given a Verloop call at 16000 Hz
    And the first frame is sent 600 ms after the socket opens
    When the peer dials the bot
    Then the bot sends nothing before the first frame

  Scenario Outline: Bot audio at the announced sample_rate <rate> Hz
    Given a Verloop call at <rate> Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    And the bot answers
    Then every playAudio the bot sent passes the audio checks

    @KVV-007 @KVV-009 @KVV-010 @rate-8000
    Examples: 8 kHz
      | rate  |
      | 8000  |

    @KVV-007 @KVV-009 @KVV-010 @rate-16000
    Examples: 16 kHz
      | rate  |
      | 16000 |

    @KVV-007 @KVV-009 @KVV-010 @rate-24000
    Examples: 24 kHz
      | rate  |
      | 24000 |

  @KVV-008
  Scenario: The bot hears the caller
    Given a Verloop call at 8000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller stays silent for 1.5 seconds
    And the caller says "question"
    Then the bot answers the caller

  @KVV-011
  Scenario: Termination by bot
    Given a Verloop call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "goodbye"
    Then the bot ends the call with asr_disconnect

  @KVV-012 @KVV-013
  Scenario: Call transfer
    Given a Verloop call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "transfer"
    Then the bot transfers the call with asr_disconnect and parameter1=default
    And the transfer's textContent is written as canonical key=value pairs

  @KVV-014
  Scenario Outline: No audio after asr_disconnect (<utterance>)
    Given a Verloop call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "<utterance>"
    Then the bot sends nothing after ending the stream

    Examples:
      | utterance |
      | goodbye   |
      | transfer  |
