Feature: Receipts on a lead
  In order to know whether my team got word of what happened on a lead
  As a salesperson
  I want to see, for each notification about the lead, who got it, who saw it and who read it

  Background:
    Given Alice, Bob, Carol and Dave have signed in
    And Bob has created the lead "Umbrella Corp"

  Scenario: Who got it, who saw it, who read it
    Given Alice's screen has confirmed it received her notification about "Umbrella Corp"
    And Carol has opened her notifications
    And Dave has read his notification about "Umbrella Corp"
    When Bob looks at what the team was told about "Umbrella Corp"
    Then "New lead: Umbrella Corp" went to 3 people: 1 got it, 2 saw it, 1 read it
    And the receipts of "New lead: Umbrella Corp" are, by user id:
      | person | got it | saw it | read it |
      | Alice  | yes    | no     | no      |
      | Carol  | no     | yes    | no      |
      | Dave   | no     | yes    | yes     |

  Scenario: Everyone on the team sees the same receipts
    Given Dave has read his notification about "Umbrella Corp"
    When Carol looks at what the team was told about "Umbrella Corp"
    Then "New lead: Umbrella Corp" went to 3 people: 0 got it, 1 saw it, 1 read it

  Scenario: Every notification about the lead is listed, newest first
    Given Alice has commented "Call me" on "Umbrella Corp"
    And Bob has changed the score of "Umbrella Corp" to 40
    When Bob looks at what the team was told about "Umbrella Corp"
    Then the team was told, newest first, "New comment on Umbrella Corp" and "New lead: Umbrella Corp"

  Scenario: Deleting takes the recipient out of the counts
    Given Dave has read his notification about "Umbrella Corp"
    And Dave has deleted his notification about "Umbrella Corp"
    When Bob looks at what the team was told about "Umbrella Corp"
    Then "New lead: Umbrella Corp" went to 2 people: 0 got it, 0 saw it, 0 read it
    And the receipts of "New lead: Umbrella Corp" are, by user id:
      | person | got it | saw it | read it |
      | Alice  | no     | no     | no      |
      | Carol  | no     | no     | no      |

  Scenario: Archiving keeps the recipient in the counts
    Given Dave has read his notification about "Umbrella Corp"
    And Dave has archived his notification about "Umbrella Corp"
    When Bob looks at what the team was told about "Umbrella Corp"
    Then "New lead: Umbrella Corp" went to 3 people: 0 got it, 1 saw it, 1 read it

  Scenario: Looking tells nobody anything
    When Bob looks at what the team was told about "Umbrella Corp"
    Then nobody is told anything
