Feature: Creating a task on a lead
  In order to plan the next step with a prospect
  As a salesperson
  I want to add a task to any lead, for myself or for a teammate, without disturbing anyone yet

  Background:
    Given Alice, Bob and Carol have signed in
    And Alice has created the lead "Umbrella Corp"

  Scenario: The task is saved on the lead, still to do, with who created it
    When Bob creates the task "Call back" on "Umbrella Corp"
    Then the task "Call back" is saved on "Umbrella Corp", still to do, created by Bob, for no one in particular

  Scenario: A task may be for a teammate
    When Bob creates the task "Send the offer" on "Umbrella Corp" for Carol
    Then the task "Send the offer" is saved on "Umbrella Corp", still to do, created by Bob, for Carol

  Scenario Outline: Creating a task tells nobody, not even the one it is for
    When Bob creates the task "Send the offer" on "Umbrella Corp" for <whom>
    Then nobody is told anything
    And Alice's inbox is empty
    And <whom> has 1 unread notification

    Examples:
      | whom  |
      | Carol |
      | Bob   |

  Scenario: Spaces around the title are left out
    When Bob creates the task "  Call back  " on "Umbrella Corp"
    Then the task "Call back" is saved on "Umbrella Corp", still to do, created by Bob, for no one in particular

  Scenario Outline: A title at the limits of the rules is accepted
    When Bob creates a task on "Umbrella Corp" with <an edge case>
    Then the task is saved with <an edge case>

    Examples:
      | an edge case              |
      | a title of 1 character    |
      | a title of 200 characters |

  Scenario Outline: A task without a proper title is refused
    When Bob tries to create a task on "Umbrella Corp" with <a flaw>
    Then the task is refused for its title
    And no task is saved
    And nobody is told anything

    Examples:
      | a flaw                    |
      | an empty title            |
      | a title of only spaces    |
      | a title of 201 characters |

  Scenario: A task cannot be for someone who never signed in
    When Bob tries to create the task "Call back" on "Umbrella Corp" for Erin, who never signed in
    Then the task is refused because Erin is unknown
    And no task is saved
    And nobody is told anything

  Scenario: A task cannot be created on a lead that does not exist
    When Bob tries to create the task "Call back" on a lead that does not exist
    Then there is no such lead
    And no task is saved
    And nobody is told anything
