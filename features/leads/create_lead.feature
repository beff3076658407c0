Feature: Creating a lead notifies the team
  In order that no new prospect goes unnoticed
  As a salesperson
  I want everyone else on the team to be told at once when I create a lead

  Background:
    Given Alice, Bob, Carol and Dave have signed in

  Scenario: The new lead is saved, owned by its creator
    When Alice creates the lead "Umbrella Corp" at the company "Umbrella" with the email "ceo@umbrella.example" and a score of 40
    Then the lead "Umbrella Corp" is saved at the company "Umbrella" with the email "ceo@umbrella.example" and a score of 40
    And the lead "Umbrella Corp" is owned by Alice

  Scenario Outline: The creator is never told about their own lead
    When <creator> creates the lead "Umbrella Corp"
    Then <creator> is told nothing
    And <creator>'s inbox is empty
    And <creator> has 0 unread notifications

    Examples:
      | creator |
      | Alice   |
      | Dave    |

  Scenario Outline: Every other teammate is told at once, in their own inbox
    When <creator> creates the lead "Umbrella Corp"
    Then <teammate> is told at once of a new notification about "Umbrella Corp", with 1 unread
    And by the time <teammate> was told, the notification about "Umbrella Corp" was already saved, unread, in <teammate>'s inbox
    And <teammate> has an unread notification "New lead: Umbrella Corp" reading "<creator> created the lead “Umbrella Corp”"

    Examples:
      | creator | teammate |
      | Alice   | Bob      |
      | Alice   | Carol    |
      | Alice   | Dave     |
      | Carol   | Alice    |

  Scenario: The team is told of one notification, each teammate once
    When Alice creates the lead "Umbrella Corp" at the company "Umbrella"
    Then only Bob, Carol and Dave are told of the new notification "New lead: Umbrella Corp" reading "Alice created the lead “Umbrella Corp” at Umbrella"

  Scenario: Each teammate's count of unread notifications is their own
    Given Bob has created the lead "Initech"
    When Alice creates the lead "Umbrella Corp"
    Then Bob is told at once of a new notification about "Umbrella Corp", with 1 unread
    And Carol is told at once of a new notification about "Umbrella Corp", with 2 unread
    And Bob has 1 unread notification
    And Carol has 2 unread notifications

  Scenario Outline: A lead at the limits of the rules is accepted
    When Alice creates a lead with <an edge case>
    Then the lead is saved with <an edge case>
    And Bob is told at once of a new notification about that lead, with 1 unread

    Examples:
      | an edge case                     |
      | a name of 1 character            |
      | a name of 200 characters         |
      | a company name of 200 characters |
      | an email of 254 characters       |
      | a score of 0                     |
      | a score of 100                   |

  Scenario: Spaces around the name are left out
    When Alice creates the lead "  Umbrella Corp  "
    Then Bob has an unread notification "New lead: Umbrella Corp" reading "Alice created the lead “Umbrella Corp”"

  Scenario Outline: An invalid lead is refused and nobody is told
    When Alice tries to create a lead with <a flaw>
    Then the lead is refused for its <part>
    And no lead is saved
    And nobody is told anything
    And Bob's inbox is empty

    Examples:
      | a flaw                           | part    |
      | an empty name                    | name    |
      | a name of only spaces            | name    |
      | a name of 201 characters         | name    |
      | a company name of 201 characters | company |
      | an email without an at sign      | email   |
      | an email with two at signs       | email   |
      | an email of 255 characters       | email   |
      | a score of 101                   | score   |
      | a negative score                 | score   |

  Scenario: Someone who never signed in cannot create a lead
    When Erin, who never signed in, tries to create the lead "Umbrella Corp"
    Then the lead is refused because Erin is unknown
    And no lead is saved
    And nobody is told anything
    And Alice's inbox is empty
