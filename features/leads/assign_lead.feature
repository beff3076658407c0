Feature: Handing a lead to a teammate
  In order that every prospect has someone to follow it up
  As a salesperson
  I want to hand any lead to a teammate, who from then on is the one told about it

  Background:
    Given Alice, Bob and Carol have signed in
    And Alice has created the lead "Umbrella Corp" with a score of 40

  Scenario Outline: Any teammate may hand any lead to a teammate
    When <giver> hands the lead "Umbrella Corp" to <new owner>
    Then the lead "Umbrella Corp" is owned by <new owner>

    Examples:
      | giver | new owner | who hands it over              |
      | Alice | Bob       | its owner, to someone else     |
      | Bob   | Carol     | a teammate, to someone else    |
      | Carol | Carol     | a teammate, to themselves      |

  Scenario: Handing a lead over is not news in itself
    When Alice hands the lead "Umbrella Corp" to Bob
    Then nobody is told anything
    And Bob has 1 unread notification

  Scenario Outline: From then on, the new owner is the one told about score changes
    Given Alice has handed the lead "Umbrella Corp" to Bob
    When <scorer> changes the score of "Umbrella Corp" to 70
    Then the new notification "Score of Umbrella Corp: 70" reading "<scorer> changed the score of Umbrella Corp from 40 to 70" goes to Bob, and to nobody else
    And Alice's inbox is empty

    Examples:
      | scorer |
      | Alice  |
      | Carol  |

  Scenario: The new owner changing the score is told nothing
    Given Alice has handed the lead "Umbrella Corp" to Bob
    When Bob changes the score of "Umbrella Corp" to 70
    Then the lead "Umbrella Corp" has a score of 70
    And nobody is told anything

  Scenario: The new owner is also the one told of new comments
    Given Alice has handed the lead "Umbrella Corp" to Bob
    When Carol comments "They want a demo" on "Umbrella Corp"
    Then the new notification "New comment on Umbrella Corp" reading "Carol commented on Umbrella Corp: “They want a demo”" goes to Bob, and to nobody else

  Scenario: Handing a lead to its owner changes nothing
    When Bob hands the lead "Umbrella Corp" to Alice
    Then the lead "Umbrella Corp" is unchanged
    And nobody is told anything

  Scenario: A lead can only be handed to someone who has signed in
    When Bob tries to hand the lead "Umbrella Corp" to Erin, who never signed in
    Then the hand-over is refused because Erin is unknown
    And the lead "Umbrella Corp" is unchanged
    And the lead "Umbrella Corp" is owned by Alice
    And nobody is told anything

  Scenario: A lead that does not exist cannot be handed over
    When Bob tries to hand a lead that does not exist to Carol
    Then there is no such lead
    And nobody is told anything
