Feature: Commenting on a lead tells those who follow it
  In order to keep everyone who cares about a prospect in the conversation
  As a salesperson
  I want the lead's owner and everyone who commented on it before to be told of a new comment

  Background:
    Given Alice, Bob, Carol and Dave have signed in
    And Alice has created the lead "Umbrella Corp"

  Scenario: The first comment on a lead tells its owner at once
    When Bob comments "Met them at the fair" on "Umbrella Corp"
    Then Alice is told at once of a new notification "New comment on Umbrella Corp" reading "Bob commented on Umbrella Corp: “Met them at the fair”", with 1 unread
    And Bob is told nothing

  Scenario Outline: The owner and everyone who commented before are told, never the commenter
    Given Bob has commented "Met them at the fair" on "Umbrella Corp"
    And Carol has commented "They want a demo" on "Umbrella Corp"
    When <commenter> comments "Demo booked for Monday" on "Umbrella Corp"
    Then the new notification "New comment on Umbrella Corp" reading "<commenter> commented on Umbrella Corp: “Demo booked for Monday”" goes to <told>, and to nobody else
    And <commenter> is told nothing

    Examples:
      | commenter | told                 | who comments                  |
      | Dave      | Alice, Bob and Carol | someone new to the thread     |
      | Bob       | Alice and Carol      | someone who commented before  |
      | Alice     | Bob and Carol        | the lead's owner              |

  Scenario: Nobody is told twice, however often they commented
    Given Alice has commented "Keen on the premium plan" on "Umbrella Corp"
    And Bob has commented "Met them at the fair" on "Umbrella Corp"
    And Bob has commented "Sent the brochure" on "Umbrella Corp"
    When Carol comments "They want a demo" on "Umbrella Corp"
    Then the new notification "New comment on Umbrella Corp" reading "Carol commented on Umbrella Corp: “They want a demo”" goes to Alice and Bob, and to nobody else

  Scenario: Comments on another lead do not count
    Given Bob has created the lead "Initech"
    And Carol has commented "Wrong number" on "Initech"
    When Dave comments "Demo booked for Monday" on "Umbrella Corp"
    Then the new notification "New comment on Umbrella Corp" reading "Dave commented on Umbrella Corp: “Demo booked for Monday”" goes to Alice, and to nobody else

  Scenario: Once a lead is handed over, its new owner is told, and the old one no more
    Given Alice has handed the lead "Umbrella Corp" to Dave
    When Bob comments "Met them at the fair" on "Umbrella Corp"
    Then the new notification "New comment on Umbrella Corp" reading "Bob commented on Umbrella Corp: “Met them at the fair”" goes to Dave, and to nobody else

  Scenario Outline: A comment at the limits of the rules is accepted
    When Bob comments on "Umbrella Corp" with <an edge case>
    Then the comment is saved with <an edge case>
    And Bob is among those who commented on "Umbrella Corp"
    And Alice is told at once of a new notification quoting <the quote>, with 1 unread

    Examples:
      | an edge case                  | the quote                                      |
      | a comment of 1 character      | the whole comment                              |
      | a comment of 140 characters   | the whole comment                              |
      | a comment of 5,000 characters | only its first 139 characters, and an ellipsis |

  Scenario Outline: An empty or overlong comment is refused
    When Bob tries to comment on "Umbrella Corp" with <a flaw>
    Then the comment is refused
    And nobody is told anything
    And Alice's inbox is empty
    And Bob is not among those who commented on "Umbrella Corp"

    Examples:
      | a flaw                        |
      | an empty comment              |
      | a comment of only spaces      |
      | a comment of 5,001 characters |

  Scenario: A refused comment does not make its author someone to tell
    Given Bob has tried to comment on "Umbrella Corp" with an empty comment
    When Carol comments "They want a demo" on "Umbrella Corp"
    Then the new notification "New comment on Umbrella Corp" reading "Carol commented on Umbrella Corp: “They want a demo”" goes to Alice, and to nobody else

  Scenario: A comment on a lead that does not exist is refused
    When Bob tries to comment "Hello" on a lead that does not exist
    Then there is no such lead
    And nobody is told anything
