@cti
Feature: Calls on the agent's channels
  As an agent desktop I answer a call that rings on a channel I learnt about during initialization, with
  conversation.answer, and I treat telephony control as optional: an "Unsupported" failure ends the attempt, it is
  not retried (SR optional command groups; TEL; cti.md §2.8).

  @CTI-025 @CTI-051
  Scenario: A call rings on the channel the agent had at log-in
    Given a call rings on "5001" 300 ms after the channel is ready, for 5000 ms
    When the client runs the CTI task "answer-inbound"
    Then the desktop followed the CTI documents

  @CTI-050
  Scenario: The processor has no telephony control
    Given the processor has no telephony control
    And the desktop dials "+15550199"
    When the client runs the CTI task "dial"
    Then the desktop followed the CTI documents
