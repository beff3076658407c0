Feature: Seeing what is new
  In order to know whether anything happened since I last looked
  As a salesperson
  I want the bell to count what I have not seen yet, and opening it to see everything, without reading it

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead          |
      | Alice   | Umbrella Corp |
      | Alice   | Globex        |

  Scenario: The bell counts what has not been seen yet
    Then Bob has 2 unseen notifications
    And Bob has 2 unread notifications

  Scenario: Opening the bell sees everything and reads nothing
    When Bob opens his notifications
    Then 2 notifications became seen
    And Bob has 0 unseen notifications
    And Bob has 2 unread notifications
    And Bob's notification about "Umbrella Corp" is seen
    And Bob's notification about "Umbrella Corp" is unread
    And Bob is told at once that 2 notifications became seen, with 2 unread and 0 unseen
    And only Bob is told anything

  Scenario: A notification arriving after the bell was opened is new again
    Given Bob has opened his notifications
    When Alice creates the lead "Initech"
    Then Bob has 1 unseen notification
    And Bob's notification about "Initech" is unseen
    And Bob's notification about "Globex" is seen
    And Bob is told his unseen count is 1

  Scenario: Opening the bell again with nothing new tells nobody anything
    Given Bob has opened his notifications
    When Bob opens his notifications
    Then 0 notifications became seen
    And Bob has 0 unseen notifications
    And nobody is told anything

  Scenario: Reading a notification sees it
    When Bob reads his notification about "Globex"
    Then Bob's notification about "Globex" is seen
    And Bob's notification about "Umbrella Corp" is unseen
    And Bob has 1 unseen notification
    And Bob is told his unseen count is 1

  Scenario: Opening one's bell sees nothing for a teammate
    When Bob opens his notifications
    Then Carol has 2 unseen notifications
    And Carol is told nothing

  Scenario: What was archived is not counted nor seen by opening the bell
    Given Bob has archived his notification about "Umbrella Corp"
    When Bob opens his notifications
    Then 1 notification became seen
    And Bob's notification about "Umbrella Corp" is unseen
    And Bob has 0 unseen notifications
