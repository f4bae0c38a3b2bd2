@stream-node
Feature: Transfer and disconnect
  transfer hands the call to data.destination (E.164); disconnect ends the stream and the IVR goes on; after
  either, the stream has left the Stream Node (003-V ch.2, ch.3 Pattern 5).

  Background:
    Given a Stream-Node call at 16000 Hz
    When the peer dials the bot
    And the bot's greeting has finished playing

  @KVS-027
  Scenario: Transfer destination is E.164
    When the caller says "transfer"
    Then the bot transfers the call to an E.164 number

  @KVS-028
  Scenario: The transfer is announced
    When the caller says "transfer"
    Then the bot announces the transfer before sending it

  @KVS-029
  Scenario: The bot ends the stream with disconnect
    When the caller says "goodbye"
    Then the bot ends the stream with disconnect

  @KVS-030
  Scenario Outline: Nothing after <control>
    When the caller says "<utterance>"
    Then the bot sends nothing after ending the stream

    Examples:
      | utterance | control    |
      | transfer  | transfer   |
      | goodbye   | disconnect |
