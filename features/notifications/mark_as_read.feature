Feature: Reading one notification
  In order to keep track of what I have already seen
  As a salesperson
  I want to mark a notification as read, for me alone

  Background:
    Given Alice, Bob and Carol have signed in
    And Bob has created the lead "Umbrella Corp"

  Scenario: Reading a notification marks it read for the reader
    When Alice reads her notification about "Umbrella Corp"
    Then Alice's notification about "Umbrella Corp" is read
    And Alice has 0 unread notifications

  Scenario: The reader is told at once, once the read is saved
    When Alice reads her notification about "Umbrella Corp"
    Then Alice is told at once that the notification about "Umbrella Corp" is read, with 0 unread
    And by the time Alice was told, the notification about "Umbrella Corp" was already saved as read in Alice's inbox
    And only Alice is told anything

  Scenario Outline: One teammate reading changes nothing for another
    When <reader> reads <pronoun> notification about "Umbrella Corp"
    Then <other>'s notification about "Umbrella Corp" is unread
    And <other> has 1 unread notification
    And <other> is told nothing

    Examples:
      | reader | pronoun | other |
      | Alice  | her     | Carol |
      | Carol  | her     | Alice |

  Scenario Outline: Reading twice changes nothing
    Given Alice has <already read it>
    When Alice reads her notification about "Umbrella Corp"
    Then Alice's notification about "Umbrella Corp" is still read since the first time
    And Alice has 0 unread notifications
    And nobody is told anything

    Examples:
      | already read it                             |
      | read her notification about "Umbrella Corp" |
      | read all her notifications                  |

  Scenario Outline: A notification of another user cannot be read
    Given Dave has signed in
    When <someone> tries to read the notification about "Umbrella Corp"
    Then the notification is not found
    And Alice's notification about "Umbrella Corp" is unread
    And Carol's notification about "Umbrella Corp" is unread
    And nobody is told anything

    Examples:
      | someone | who was never told                  |
      | Bob     | because he created the lead         |
      | Dave    | because he signed in after it       |
      | Erin    | because she never signed in         |

  Scenario: A deleted notification can no longer be read
    Given Alice has deleted her notification about "Umbrella Corp"
    When Alice tries to read the notification about "Umbrella Corp"
    Then the notification is not found
    And Alice's inbox is empty
    And nobody is told anything

  Scenario: A malformed notification reference is refused
    When Alice tries to read a notification by a malformed reference
    Then the request is refused as malformed
    And Alice has 1 unread notification
    And nobody is told anything
