@cti
Feature: Channels and channel groups
  As an agent desktop I add channels and channel groups with the documented data, use them only once they are
  initialized, remove them by id (a group's id under data.channel, as 004 writes it) only when they have no active
  interaction, read failures and expect no events from them, and after a removal that failed part-way take the state
  from the events (004 §session.addchannel … §session.removechannelgroup; MB; cti.md §2.7).

  @CTI-038 @CTI-039 @CTI-040
  Scenario: Add a chat channel and remove it
    Given the desktop adds the "Chat" channel "chat-1001"
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-039
  Scenario: channel.initialized comes late
    Given events are 200 ms apart
    And the desktop adds the "Email" channel "mail-1001"
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-031
  Scenario: The platform does not know the channel
    Given the desktop adds the "Telephony" channel "9999"
    And the desktop has 10 seconds
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-041
  Scenario: A call rings on the new channel before the user removes it
    Given the desktop adds the "Telephony" channel "5002"
    And a call rings on "5002" 200 ms after the channel is ready, for 2000 ms
    And the user keeps the channel 1 second before removing it
    When the client runs the CTI task "login-add-channel"
    Then the desktop followed the CTI documents

  @CTI-043 @CTI-044 @CTI-045
  Scenario: Add a channel group and remove it
    Given the desktop adds the channel group "Sales"
    When the client runs the CTI task "add-channel-group"
    Then the desktop followed the CTI documents

  @CTI-044
  Scenario: channelgroup.initialized comes late
    Given events are 100 ms apart
    And the desktop adds the channel group "Sales"
    When the client runs the CTI task "add-channel-group"
    Then the desktop followed the CTI documents

  @CTI-046
  Scenario: A call reaches the group as it is removed
    Given the desktop adds the channel group "Sales"
    And a call reaches a member of the group as the group is removed
    When the client runs the CTI task "add-channel-group"
    Then the desktop followed the CTI documents

  @CTI-004
  Scenario: A group whose name holds the socket's boundary token
    Given the desktop adds the channel group "Support~!OM"
    When the client runs the CTI task "add-channel-group"
    Then the desktop followed the CTI documents

  @CTI-003 @CTI-053
  Scenario: A group whose name is not ASCII
    Given the desktop adds the channel group "Ventes-Québec"
    When the client runs the CTI task "add-channel-group"
    Then the desktop followed the CTI documents
