Feature: Deleting a notification
  In order to keep in my inbox only what still matters
  As a salesperson
  I want to delete a notification from my inbox, without touching anyone else's

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead          |
      | Bob     | Initech       |
      | Bob     | Umbrella Corp |

  Scenario: Deleting removes the notification from the deleter's inbox
    When Alice deletes her notification about "Umbrella Corp"
    Then Alice's inbox holds only the notifications about "Initech"
    And Alice has 1 unread notification

  Scenario: The deleter is told at once, once the deletion is saved
    When Alice deletes her notification about "Umbrella Corp"
    Then Alice is told at once that the notification about "Umbrella Corp" is gone, with 1 unread
    And by the time Alice was told, the notification about "Umbrella Corp" was already gone from Alice's inbox
    And only Alice is told anything

  Scenario: Deleting a read notification leaves the unread count as it was
    Given Alice has read her notification about "Umbrella Corp"
    When Alice deletes her notification about "Umbrella Corp"
    Then Alice is told at once only that the notification about "Umbrella Corp" is gone
    And Alice's inbox holds only the notifications about "Initech"
    And Alice has 1 unread notification

  Scenario Outline: One teammate deleting changes nothing for another
    When <deleter> deletes <pronoun> notification about "Umbrella Corp"
    Then <other>'s inbox holds only the notifications about "Umbrella Corp" and "Initech"
    And <other>'s notification about "Umbrella Corp" is unread
    And <other> is told nothing

    Examples:
      | deleter | pronoun | other |
      | Alice   | her     | Carol |
      | Carol   | her     | Alice |

  Scenario Outline: A notification of another user cannot be deleted
    Given Dave has signed in
    When <someone> tries to delete the notification about "Umbrella Corp"
    Then the notification is not found
    And Alice's inbox holds only the notifications about "Umbrella Corp" and "Initech"
    And Carol's inbox holds only the notifications about "Umbrella Corp" and "Initech"
    And nobody is told anything

    Examples:
      | someone | who was never told          |
      | Bob     | because he created the lead |
      | Dave    | because he signed in after  |
      | Erin    | because she never signed in |

  Scenario: Deleting twice: the second time it is not found
    Given Alice has deleted her notification about "Umbrella Corp"
    When Alice tries to delete the notification about "Umbrella Corp"
    Then the notification is not found
    And Alice's inbox holds only the notifications about "Initech"
    And nobody is told anything

  Scenario: A malformed notification reference is refused
    When Alice tries to delete a notification by a malformed reference
    Then the request is refused as malformed
    And Alice's inbox holds only the notifications about "Umbrella Corp" and "Initech"
    And nobody is told anything
