Feature: Related notifications as one line
  In order to take in a busy inbox at a glance
  As a salesperson
  I want related notifications grouped, "4 new comments on Umbrella Corp" rather than four lines

  Background:
    Given Alice, Bob, Carol, Dave and Erin have signed in
    And Bob has created the lead "Umbrella Corp"

  Scenario: Comments on one lead are one group
    Given Alice, Carol, Dave and Erin have commented on "Umbrella Corp"
    When Bob looks at his inbox by group
    Then Bob's groups are, newest first:
      | group                           | notifications | unread |
      | 4 new comments on Umbrella Corp | 4             | 4      |
    And the group "4 new comments on Umbrella Corp" names Erin, Dave and Carol, of 4 people

  Scenario: A new comment moves its group to the top and makes it unread
    Given Alice, Carol, Dave and Erin have commented on "Umbrella Corp"
    And Bob has read the group of new comments on "Umbrella Corp"
    And Carol has created the lead "Globex"
    When Alice comments "One more thing" on "Umbrella Corp"
    And Bob looks at his inbox by group
    Then Bob's groups are, newest first:
      | group                           | notifications | unread |
      | 5 new comments on Umbrella Corp | 5             | 1      |
      | New lead: Globex                | 1             | 1      |

  Scenario: Reading a whole group at once
    Given Alice, Carol and Dave have commented on "Umbrella Corp"
    And Carol has created the lead "Globex"
    When Bob reads the group of new comments on "Umbrella Corp"
    Then 3 notifications became read
    And Bob has 1 unread notification
    And Bob is told at once that 3 notifications of the group became read, with 1 unread and 1 unseen
    And only Bob is told anything

  Scenario: Reading a group already read changes nothing
    Given Alice has commented on "Umbrella Corp"
    And Bob has read the group of new comments on "Umbrella Corp"
    When Bob reads the group of new comments on "Umbrella Corp"
    Then 0 notifications became read
    And nobody is told anything

  Scenario Outline: A group one does not have cannot be read
    Given Alice has commented on "Umbrella Corp"
    When <someone> tries to read the group of <kind> on "Umbrella Corp"
    Then there is no such group
    And Bob has 1 unread notification
    And nobody is told anything

    Examples:
      | someone | kind          | why                                  |
      | Carol   | new comments  | Bob's group: Carol was told of none  |
      | Bob     | score changes | no score of it ever changed          |

  Scenario: A group whose notifications are all archived cannot be read
    Given Alice has commented on "Umbrella Corp"
    And Bob has archived every notification of the group of new comments on "Umbrella Corp"
    When Bob tries to read the group of new comments on "Umbrella Corp"
    Then there is no such group

  Scenario: New leads are grouped by who created them and the day
    Given these leads were created, oldest first:
      | creator | lead    |
      | Alice   | Initech |
      | Carol   | Hooli   |
      | Alice   | Acme    |
    And a day has passed
    And Alice has created the lead "Globex"
    When Dave looks at his inbox by group
    Then Dave's groups are, newest first:
      | group                    | notifications | unread |
      | New lead: Globex         | 1             | 1      |
      | 2 new leads              | 2             | 2      |
      | New lead: Hooli          | 1             | 1      |
      | New lead: Umbrella Corp  | 1             | 1      |
