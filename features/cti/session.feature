@cti
Feature: Logging in to the session resource and out of it
  As an agent desktop I discover the interaction processor, bind it, prepare a session with the agent's credentials
  (asking the user before I replace a session the agent has elsewhere), bind the session resource, start it at once,
  build my model from the events before session.initialized, and log out waiting for the answer however long it takes
  (documents 004 and IPS; cti.md §2.4–§2.7).

  @CTI-014 @CTI-015 @CTI-016 @CTI-017 @CTI-019 @CTI-020 @CTI-021 @CTI-022 @CTI-023 @CTI-024 @CTI-027 @CTI-028 @CTI-032 @CTI-036 @CTI-037 @CTI-047 @CTI-048 @CTI-052
  Scenario: Log in, read the directory and the reason lists, log out
    When the client runs the CTI task "login"
    Then the desktop followed the CTI documents

  @CTI-018
  Scenario: The agent is logged in on another desktop and the user takes over
    Given the agent is logged in on another desktop and the user answers "yes" to the takeover
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents

  @CTI-018
  Scenario: The agent is logged in on another desktop and the user declines
    Given the agent is logged in on another desktop and the user answers "no" to the takeover
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents

  @CTI-024
  Scenario: An Avaya processor takes the agent's extension
    Given the processor fronts an Avaya switch
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents

  @CTI-036 @CTI-037
  Scenario: Logout takes its time
    Given logout takes 2500 ms
    When the client runs the CTI task "logout"
    Then the desktop followed the CTI documents

  @CTI-026
  Scenario: Initialization takes its time
    Given events are 150 ms apart
    And the desktop adds the "Chat" channel "chat-1001"
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-029 @CTI-030
  Scenario: A slow platform sends its events before the answers
    Given responses take 300 ms
    And secondary events come before their response
    When the client runs the CTI task "login"
    Then the desktop followed the CTI documents

  @CTI-033
  Scenario: Messages carry a debugging context and undocumented members
    Given messages carry a debugging context and undocumented members
    And the desktop adds the "Chat" channel "chat-1001"
    And the desktop has 10 seconds
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-034
  Scenario: Secondary events come before their response
    Given secondary events come before their response
    And the desktop adds the "Chat" channel "chat-1001"
    And the desktop has 10 seconds
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-035
  Scenario: Events no document lists
    Given the processor sends events no document lists
    And the desktop adds the "Chat" channel "chat-1001"
    And the desktop has 10 seconds
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-049
  Scenario: The platform has no reason lists
    Given the platform has no reason lists
    And the desktop has 10 seconds
    When the client runs the CTI task "login"
    Then the desktop followed the CTI documents

  @CTI-052
  Scenario: The processor takes the later command names
    Given the processor takes only the "current" command names
    And the desktop adds the "Chat" channel "chat-1001"
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents
