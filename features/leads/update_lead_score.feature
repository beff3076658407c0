Feature: Scoring a lead tells its owner
  In order to know at once when one of my prospects warms up or cools down
  As the owner of a lead
  I want to be told when a teammate changes its score, but not when I change it myself

  Background:
    Given Alice, Bob and Carol have signed in
    And Alice has created the lead "Umbrella Corp" with a score of 40

  Scenario Outline: The owner is told at once when a teammate changes the score
    When <scorer> changes the score of "Umbrella Corp" to <score>
    Then Alice is told at once of a new notification "Score of Umbrella Corp: <score>" reading "<scorer> changed the score of Umbrella Corp from 40 to <score>", with 1 unread
    And <scorer> is told nothing
    And the lead "Umbrella Corp" has a score of <score>

    Examples:
      | scorer | score |
      | Bob    | 70    |
      | Carol  | 10    |
      | Bob    | 0     |
      | Bob    | 100   |

  Scenario: Teammates who set the same new score at the same moment tell the owner once
    When Bob and Carol change the score of "Umbrella Corp" to 70 at the same moment
    Then the lead "Umbrella Corp" has a score of 70
    And Alice has 1 unread notification

  Scenario: Only the owner is told
    When Bob changes the score of "Umbrella Corp" to 70
    Then the new notification "Score of Umbrella Corp: 70" reading "Bob changed the score of Umbrella Corp from 40 to 70" goes to Alice, and to nobody else
    And Carol has 1 unread notification

  Scenario: Each change is told, from the score the lead had just before
    Given Bob has changed the score of "Umbrella Corp" to 70
    When Carol changes the score of "Umbrella Corp" to 55
    Then Alice is told at once of a new notification "Score of Umbrella Corp: 55" reading "Carol changed the score of Umbrella Corp from 70 to 55", with 2 unread

  Scenario: The owner changing the score is told nothing
    When Alice changes the score of "Umbrella Corp" to 70
    Then the lead "Umbrella Corp" has a score of 70
    And nobody is told anything
    And Alice's inbox is empty

  Scenario: Setting the score the lead already has tells nobody
    When Bob changes the score of "Umbrella Corp" to 40
    Then the lead "Umbrella Corp" is unchanged
    And nobody is told anything
    And Alice's inbox is empty

  Scenario: Setting the same new score twice tells the owner once
    Given Bob has changed the score of "Umbrella Corp" to 70
    When Carol changes the score of "Umbrella Corp" to 70
    Then the lead "Umbrella Corp" is unchanged
    And nobody is told anything
    And Alice has 1 unread notification

  Scenario Outline: A score outside 0 to 100 is refused, and nothing changes
    When Bob tries to change the score of "Umbrella Corp" to <score>
    Then the score is refused
    And the lead "Umbrella Corp" is unchanged
    And nobody is told anything
    And Alice's inbox is empty

    Examples:
      | score |
      | 101   |
      | -1    |
      | 1000  |

  Scenario: A lead that does not exist cannot be scored
    When Bob tries to change the score of a lead that does not exist to 70
    Then there is no such lead
    And nobody is told anything
