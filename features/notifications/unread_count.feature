Feature: The unread count
  In order to know at a glance whether something needs my attention
  As a salesperson
  I want to see how many of my notifications I have not read yet

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead    |
      | Bob     | Initech |
      | Carol   | Globex  |

  Scenario Outline: Each teammate counts only their own unread notifications
    When <person> checks <pronoun> unread count
    Then <person>'s unread count is <count>

    Examples:
      | person | pronoun | count |
      | Alice  | her     | 2     |
      | Bob    | his     | 1     |
      | Carol  | her     | 1     |

  Scenario: A teammate told of nothing yet has nothing unread
    Given Dave has signed in
    When Dave checks his unread count
    Then Dave's unread count is 0

  Scenario: Reading a notification lowers only the reader's count
    Given Alice has read her notification about "Globex"
    When Alice checks her unread count
    Then Alice's unread count is 1
    And Bob has 1 unread notification

  Scenario: A new lead adds one to the count of everyone but its creator
    Given Alice has created the lead "Umbrella Corp"
    When Bob checks his unread count
    Then Bob's unread count is 2
    And Carol has 2 unread notifications
    And Alice has 2 unread notifications

  Scenario: Reading all brings the reader's count to zero
    Given Alice has read all her notifications
    When Alice checks her unread count
    Then Alice's unread count is 0
    And Carol has 1 unread notification

  Scenario: Deleting an unread notification lowers the count
    Given Alice has deleted her notification about "Globex"
    When Alice checks her unread count
    Then Alice's unread count is 1
    And Bob has 1 unread notification

  Scenario: Deleting a read notification leaves the count as it was
    Given Alice has read her notification about "Globex"
    And Alice has deleted her notification about "Globex"
    When Alice checks her unread count
    Then Alice's unread count is 1

  Scenario: Checking the count changes nothing and tells nobody anything
    When Alice checks her unread count
    Then nobody is told anything
    And Alice has 2 unread notifications
