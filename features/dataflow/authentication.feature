@dataflow
Feature: Authentication against the Data Flow identity server
  The client gets an access token from the identity server with a form-encoded client-credentials request (scope
  Wagtail), puts it in Start.Token with the tenant in Start.Tenant, reuses it until it expires, and never sends its
  client secret to Data Flow itself (dataflow.md §2.9, §3.1).

  Background:
    Given the Data Flow project "call-analytics"
    And the audio "question" as pcm at 8000 Hz mono

  @DFA-001 @DFA-002 @DFA-003
  Scenario: The token comes from the configured identity server with client credentials
    When the client runs the task "stream-audio"
    Then the client obtained its token with client credentials from the configured identity server

  @DFA-004 @DFA-005
  Scenario: Start carries the token and the tenant
    When the client runs the task "stream-audio"
    Then Start carried the token and the tenant

  @DFA-006
  Scenario: One token serves consecutive sessions
    Given the task runs 2 sessions
    When the client runs the task "stream-audio"
    Then one token served every session

  @DFA-007
  Scenario: The client secret stays with the identity server
    When the client runs the task "stream-audio"
    Then the client secret never reached Data Flow
