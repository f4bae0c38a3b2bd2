@stream-node
Feature: Call metadata
  The first frame of a call is its metadata: the documented form is a JSON string wrapping a Python-style
  single-quoted dict (003-V ch.2 Parsing note). A bot must parse it, tolerate other encodings and extra keys,
  and read it before it speaks.

  Background:
    Given a Stream-Node call at 16000 Hz
    And the caller's audio starts only after the bot's first playAudio

  Scenario Outline: The bot accepts the metadata as <encoding>
    Given the metadata is sent as <encoding>
    When the peer dials the bot
    Then the bot accepts the metadata and keeps the call open

    @KVS-005
    Examples: the documented wire form
      | encoding           |
      | PyReprInJsonString |

    @KVS-006
    Examples: other encodings a bot should tolerate
      | encoding |
      | Json     |
      | PyRepr   |

  @KVS-007
  Scenario: The bot ignores unknown metadata keys
    Given the metadata carries these extra keys:
      | key             | value                     |
      | ivr_data        | {'lang': 'en'}            |
      | client_meta_id  | cm-20931                  |
      | event_timestamp | 2026-11-21T10:15:00+05:30 |
    When a plain call with the documented metadata is greeted first
    And the peer dials the bot
    Then the bot accepts the metadata and keeps the call open

  @KVS-009
  Scenario: The bot reads the metadata before it greets
    Given the first frame is sent 600 ms after the socket opens
    When the peer dials the bot
    Then the bot sends nothing before the first frame
