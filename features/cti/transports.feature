@cti
Feature: CTI transports: the ~!OM socket, HTTP with polling
  As an agent desktop I reach the interaction processor over its TCP socket transport (~!OM frames, handshake and
  protocol negotiation first, one persistent connection) or its HTTP transport (startSession, processRequest that only
  queues, a polling service I keep polling, endSession), as the Harmony transport pages describe (cti.md §2.2, §2.3).
  Each scenario runs one desktop task; the verdicts come from the frames and requests the processor received.

  @CTI-002 @CTI-003 @CTI-006 @CTI-007 @CTI-053
  Scenario: Log in and out over the socket with a desktop name in several scripts
    Given the desktop is called "Poste d'accueil — Zoë"
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents

  @CTI-005
  Scenario: The processor breaks a message boundary
    Given the processor breaks the socket boundary after "session.initialized"
    And the desktop has 10 seconds
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents

  @CTI-008 @CTI-009 @CTI-010 @CTI-012 @CTI-013
  Scenario: Log in over HTTP, polling for every response and event
    Given the processor takes 300 ms to answer bindings and prepareSession
    When the client runs the CTI task "login"
    Then the desktop followed the CTI documents

  @CTI-010 @CTI-011
  Scenario: A desktop that pauses keeps its HTTP client alive
    Given the HTTP session timeout is 2 seconds
    And the desktop pauses 3 seconds after log-in
    When the client runs the CTI task "login"
    Then the desktop followed the CTI documents

  @CTI-012
  Scenario: The processor has already ended the HTTP client
    Given the processor ends the HTTP client when its session logs out
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents
