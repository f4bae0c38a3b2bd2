@knowlarity-rest
Feature: Knowlarity REST API clients
  As a CRM or dialer that calls Knowlarity's SuperReceptionist API, I place calls, run campaigns, buy numbers and sync
  call logs exactly as the API reference (document 003-R) describes, so that my integration works against the real
  service: both keys on every request, JSON bodies, E.164 numbers, paging within limits, and error bodies read as
  failures whatever their status (knowlarity.md §2.3, §3.3).

  @KRS-001 @KRS-002 @KRS-003 @KRS-004 @KRS-005 @KRS-006 @KRS-007 @KRS-008 @KRS-009 @KRS-014 @KRS-029
  Scenario: Place a call after registering for notifications and follow it by its call_id
    Given another call to the SR number is missed while the client's call rings
    When the client runs the Knowlarity task "make-call"
    Then every request followed the documented form

  @KRS-009 @KRS-029
  Scenario: The SR number is registered but its notifications are disabled
    Given the SR number is registered for notifications but disabled
    When the client runs the Knowlarity task "make-call"
    Then every request followed the documented form

  @KRS-010
  Scenario: A WhatsApp call names the channel and the permission request as strings
    Given the SR number is registered for notifications
    And the call goes over WhatsApp
    When the client runs the Knowlarity task "make-call"
    Then every request followed the documented form

  @KRS-011
  Scenario: An error body with status 200 is a failure
    Given the SR number is registered for notifications
    And makecall errors come with status 200
    And the customer is "+919876543210"
    When the client runs the Knowlarity task "make-call"
    Then the client handled the answers as documented

  @KRS-013
  Scenario: An error in another shape and wording is still an error
    Given the SR number is registered for notifications
    And the API answers makecall with status 400 and the body:
      """
      {"error": "Customer number is blocked for outbound calls."}
      """
    When the client runs the Knowlarity task "make-call"
    Then the client handled the answers as documented

  @KRS-012
  Scenario: After a WhatsApp permission request the client does not retry at once
    Given the SR number is registered for notifications
    And the call goes over WhatsApp
    And the customer is "+919900000007"
    And the customer grants call permission 6 seconds after a request
    And the client has 10 seconds
    When the client runs the Knowlarity task "make-call"
    Then the client handled the answers as documented

  @KRS-004 @KRS-016 @KRS-018 @KRS-019 @KRS-020 @KRS-022 @KRS-023 @KRS-030
  Scenario: Create a campaign with an approved sound, then pause it
    Given the numbers are "+919900000001 +919900000004"
    And the campaign starts at "2026-12-01T10:30:00+05:30"
    When the client runs the Knowlarity task "create-campaign"
    Then every request followed the documented form

  @KRS-015 @KRS-018 @KRS-019 @KRS-022 @KRS-023 @KRS-030
  Scenario: Create a call-center order
    Given the numbers are "+919900000001 +919900000004"
    And the campaign starts at "2026-12-02T09:00:00+05:30"
    When the client runs the Knowlarity task "create-order"
    Then every request followed the documented form

  @KRS-021
  Scenario: Numbers are not added to a completed campaign
    Given the order is "171"
    And the numbers are "+919900000004"
    When the client runs the Knowlarity task "add-to-campaign"
    Then every request followed the documented form

  @KRS-021 @KRS-022
  Scenario: Numbers are added to a pending campaign
    Given the order is "170"
    And the numbers are "+919900000004 +919900000005"
    When the client runs the Knowlarity task "add-to-campaign"
    Then every request followed the documented form

  @KRS-007 @KRS-017
  Scenario: An OTP call with encoded E.164 numbers in the query
    Given the IVR is "1000000001"
    When the client runs the Knowlarity task "otp-call"
    Then every request followed the documented form

  @KRS-024 @KRS-025
  Scenario: Buy a number offered in a circle
    Given the number is bought in the circle "Karnataka"
    When the client runs the Knowlarity task "buy-number"
    Then every request followed the documented form

  @KRS-026 @KRS-027 @KRS-028
  Scenario: Sync five months of call logs, the follow-up tasks and the agents
    Given the call logs are synced from "2026-07-01T00:00:00+05:30" to "2026-11-30T00:00:00+05:30"
    And list pages hold 1 item
    When the client runs the Knowlarity task "sync-call-logs"
    Then every request followed the documented form
