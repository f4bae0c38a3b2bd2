@stream-node
Feature: Bot audio
  playAudio carries base64 of a complete WAV file: 16-bit PCM, mono, at the Stream Node sampling-rate
  (003-V ch.2 Audio Format Requirements), sent as small chunks of about 100 ms that play back-to-back.

  Scenario Outline: The bot's audio conforms at <rate> Hz
    Given a Stream-Node call at <rate> Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    And the bot answers
    Then every playAudio the bot sent passes the audio checks

    @KVS-015 @KVS-016 @KVS-017 @KVS-018 @KVS-019 @rate-8000
    Examples: 8 kHz
      | rate  |
      | 8000  |

    @KVS-015 @KVS-016 @KVS-017 @KVS-018 @KVS-019 @rate-16000
    Examples: 16 kHz
      | rate  |
      | 16000 |

    @KVS-015 @KVS-016 @KVS-017 @KVS-018 @KVS-019 @rate-24000
    Examples: 24 kHz
      | rate  |
      | 24000 |

    @KVS-015 @KVS-016 @KVS-017 @KVS-018 @KVS-019 @rate-32000
    Examples: 32 kHz
      | rate  |
      | 32000 |

    @KVS-015 @KVS-016 @KVS-017 @KVS-018 @KVS-019 @rate-48000
    Examples: 48 kHz
      | rate  |
      | 48000 |

  @KVS-014
  Scenario: Every control message is a JSON text frame with a type
    Given a Stream-Node call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    And the bot answers
    And the bot's answer has finished playing
    Then every message the bot sent is a JSON text frame with a type

  @KVS-020
  Scenario: Replies are split into small chunks
    Given a Stream-Node call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    And the bot answers
    And the bot's answer has finished playing
    Then every playAudio the bot sent passes the audio checks

  @KVS-021
  Scenario: Chunks arrive in time to play back-to-back
    Given a Stream-Node call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing
    And the caller says "question"
    And the bot answers
    And the bot's answer has finished playing
    Then the bot's audio played back without gaps
