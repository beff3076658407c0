Feature: Confirming delivery
  In order that the team knows a notification reached my screen
  As a salesperson's browser
  I want to confirm what I received, up to the latest, in one go

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead          |
      | Alice   | Umbrella Corp |
      | Alice   | Globex        |
      | Alice   | Initech       |

  Scenario: A confirmation covers everything up to the notification it names
    When Bob's screen confirms it received his notifications up to the one about "Globex"
    Then 2 notifications became delivered
    And Bob's notifications about "Umbrella Corp" and "Globex" are delivered
    And Bob's notification about "Initech" is not delivered yet
    And nobody is told anything

  Scenario: Confirmations add up, and each delivery keeps its first time
    Given Bob's screen has confirmed it received his notifications up to the one about "Umbrella Corp"
    When Bob's screen confirms it received his notifications up to the one about "Initech"
    Then 2 notifications became delivered
    And Bob's notifications about "Umbrella Corp", "Globex" and "Initech" are delivered
    And Bob's notification about "Umbrella Corp" is still delivered since the first time

  Scenario: Confirming again, or less, changes nothing
    Given Bob's screen has confirmed it received his notifications up to the one about "Initech"
    When Bob's screen confirms it received his notifications up to the one about "Globex"
    Then 0 notifications became delivered
    And Bob's notification about "Globex" is still delivered since the first time

  Scenario: One person's confirmation delivers nothing to another
    When Bob's screen confirms it received his notifications up to the one about "Initech"
    Then Carol's notifications about "Umbrella Corp", "Globex" and "Initech" are not delivered yet
