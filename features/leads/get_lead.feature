Feature: Reading a lead
  In order to follow up on any prospect of the team
  As a salesperson
  I want to read any lead, whoever created it

  Background:
    Given Alice and Bob have signed in
    And Alice has created the lead "Umbrella Corp" at the company "Umbrella" with the email "ceo@umbrella.example" and a score of 40

  Scenario Outline: Any teammate may read any lead
    When <reader> reads the lead "Umbrella Corp"
    Then <reader> sees the lead "Umbrella Corp" at the company "Umbrella" with the email "ceo@umbrella.example" and a score of 40, owned by Alice

    Examples:
      | reader |
      | Alice  |
      | Bob    |

  Scenario: Reading a lead changes nothing and tells nobody anything
    When Bob reads the lead "Umbrella Corp"
    Then nobody is told anything
    And Bob has 1 unread notification

  Scenario: A lead that does not exist is not found
    When Bob looks for a lead that does not exist
    Then there is no such lead

  Scenario: A malformed lead reference is refused
    When Bob looks for a lead by a malformed reference
    Then the request is refused as malformed
