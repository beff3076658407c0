Feature: Marking a notification unread
  In order to come back later to something I already opened
  As a salesperson
  I want to mark a read notification unread again, for me alone

  Background:
    Given Alice, Bob and Carol have signed in
    And Alice has created the lead "Umbrella Corp"
    And Bob has read his notification about "Umbrella Corp"

  Scenario: A read notification becomes unread and stays seen
    When Bob marks his notification about "Umbrella Corp" as unread
    Then Bob's notification about "Umbrella Corp" is unread
    And Bob's notification about "Umbrella Corp" is seen
    And Bob has 1 unread notification
    And Bob has 0 unseen notifications
    And Bob is told at once that the notification about "Umbrella Corp" is unread again, with 1 unread
    And only Bob is told anything

  Scenario: Marking unread what is unread changes nothing
    Given Bob has marked his notification about "Umbrella Corp" as unread
    When Bob marks his notification about "Umbrella Corp" as unread
    Then Bob has 1 unread notification
    And nobody is told anything

  Scenario: It is unread for Bob alone
    Given Carol has read her notification about "Umbrella Corp"
    When Bob marks his notification about "Umbrella Corp" as unread
    Then Carol's notification about "Umbrella Corp" is still read since the first time
    And Carol is told nothing

  Scenario: A notification of another user cannot be marked unread
    When Alice tries to mark the notification about "Umbrella Corp" as unread
    Then the notification is not found
    And nobody is told anything
