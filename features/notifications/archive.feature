Feature: Archiving notifications
  In order to keep my inbox to what still needs me
  As a salesperson
  I want to put notifications away, find them in the Archived view, and bring them back as they were

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead          |
      | Alice   | Umbrella Corp |
      | Alice   | Globex        |

  Scenario: An archived notification leaves the inbox and its counts
    When Bob archives his notification about "Umbrella Corp"
    Then Bob's inbox holds only the notifications about "Globex"
    And Bob has 1 unread notification
    And Bob has 1 unseen notification
    And Bob's inbox counts 1 unread, 1 unseen, 1 in all
    And Bob is told at once that the notification about "Umbrella Corp" is archived, with 1 unread and 1 unseen
    And only Bob is told anything

  Scenario: The Archived view holds what was put away, and only that
    Given Bob has archived his notification about "Umbrella Corp"
    When Bob opens his archived notifications
    Then Bob's archive holds only the notifications about "Umbrella Corp"

  Scenario: Archiving keeps what was read read, and moves no count
    Given Bob has read his notification about "Umbrella Corp"
    When Bob archives his notification about "Umbrella Corp"
    Then Bob's notification about "Umbrella Corp" is still read since the first time
    And Bob's notification about "Umbrella Corp" is seen
    And Bob is told at once that the notification about "Umbrella Corp" is archived, and nothing of his counts

  Scenario: Unarchiving brings a notification back as it was
    Given Bob has read his notification about "Umbrella Corp"
    And Bob has archived his notification about "Umbrella Corp"
    When Bob unarchives his notification about "Umbrella Corp"
    Then Bob's inbox holds only the notifications about "Globex" and "Umbrella Corp"
    And Bob's notification about "Umbrella Corp" is still read since the first time
    And Bob has 1 unread notification
    And Bob's archive is empty

  Scenario: Unarchiving an unread notification counts it again
    Given Bob has archived his notification about "Umbrella Corp"
    When Bob unarchives his notification about "Umbrella Corp"
    Then Bob's inbox counts 2 unread, 2 unseen, 2 in all
    And Bob is told his unseen count is 2

  Scenario: Archiving twice changes nothing
    Given Bob has archived his notification about "Umbrella Corp"
    When Bob archives his notification about "Umbrella Corp"
    Then Bob's archive holds only the notifications about "Umbrella Corp"
    And nobody is told anything

  Scenario: Reading all leaves the archive alone
    Given Bob has archived his notification about "Umbrella Corp"
    When Bob reads all his notifications
    Then 1 notification became read
    And Bob's notification about "Umbrella Corp" is unread

  Scenario: Archiving is for the archiver alone
    When Bob archives his notification about "Umbrella Corp"
    Then Carol's inbox holds only the notifications about "Globex" and "Umbrella Corp"
    And Carol has 2 unread notifications

  Scenario: A notification of another user cannot be archived
    When Alice tries to archive the notification about "Umbrella Corp"
    Then the notification is not found
    And nobody is told anything
