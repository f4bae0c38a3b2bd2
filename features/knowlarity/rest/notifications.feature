@knowlarity-rest
Feature: Knowlarity notifications stream consumers
  As a CRM that shows live calls, I register my SR number, read the Server-Sent Events stream one data: line at a time
  as it arrives, tell CDRs from telephony events, correlate them by uuid, and fetch each finished call's detailed log;
  when the stream drops I reconnect with a delay (document 003-N; knowlarity.md §2.4, §3.4). In each scenario the
  client first gets a plain call, then the call that tests the rule.

  @KNS-001 @KNS-002 @KNS-005 @KNS-007
  Scenario: Register, open the stream and follow each call to its CDR
    Given the SR number gets "an answered outbound call", then "an answered outbound call"
    And the stream ends 3 seconds after the last call
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-003
  Scenario: Events are acted on while the stream stays open
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call"
    And the stream ends 3 seconds after the last call
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-004
  Scenario: Comment, id and retry lines between events
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "a call framed with comments and ids"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-006 @KNS-015
  Scenario: A missed inbound call: nulls in the events, an Incoming CDR
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "a missed inbound call"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-008
  Scenario: Events with members the document does not list
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "a call with undocumented fields"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-011
  Scenario: customer_number is null on AGENT_CALL and AGENT_ANSWER
    Given the SR number is registered for notifications
    And the SR number gets "a missed inbound call", then "an answered outbound call"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-012
  Scenario: Two calls whose events interleave
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "two overlapping calls"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-013
  Scenario: Event types and business call types the document does not list
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "a call with unlisted event types"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-014
  Scenario: The customer's HANGUP before the agent's
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "an answered inbound call"
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-016 @KNS-017
  Scenario: The stream drops and the first reconnections are refused
    Given the SR number is registered for notifications
    And the SR number gets "an answered outbound call", then "an answered outbound call"
    And the stream drops after the first call and the next 2 connections are refused
    When the client runs the Knowlarity task "watch-notifications"
    Then the client consumed the stream as documented

  @KNS-018
  Scenario: Events of a call the client did not place arrive while it follows its own
    Given the SR number is registered for notifications
    And another caller's call is still going on when the client's call ends
    When the client runs the Knowlarity task "make-call"
    Then the client consumed the stream as documented
