Feature: Reading all notifications at once
  In order to catch up with my inbox in one go
  As a salesperson
  I want to mark all my notifications as read, for me alone, and know how many that was

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead    |
      | Bob     | Initech |
      | Carol   | Globex  |

  Scenario: Reading all reads every notification of the reader
    When Alice reads all her notifications
    Then 2 notifications became read
    And every notification in Alice's inbox is read
    And Alice has 0 unread notifications

  Scenario: The reader is told at once, once the reads are saved
    When Alice reads all her notifications
    Then Alice is told at once that 2 notifications became read, with 0 unread
    And by the time Alice was told, every notification in Alice's inbox was already saved as read
    And only Alice is told anything

  Scenario: Only the notifications still unread are counted
    Given Alice has read her notification about "Globex"
    When Alice reads all her notifications
    Then 1 notification became read
    And Alice's notification about "Globex" is still read since the first time
    And Alice's notification about "Initech" is read

  Scenario Outline: With nothing unread, reading all changes nothing and tells nobody
    Given <person> has <nothing unread>
    When <person> reads all <pronoun> notifications
    Then 0 notifications became read
    And nobody is told anything

    Examples:
      | person | pronoun | nothing unread             |
      | Alice  | her     | read all her notifications |
      | Dave   | his     | signed in                  |

  Scenario Outline: One teammate reading all changes nothing for another
    When <reader> reads all <pronoun> notifications
    Then <other> has <count> unread notifications
    And <other>'s notification about "<lead>" is unread
    And <other> is told nothing

    Examples:
      | reader | pronoun | other | count | lead    |
      | Alice  | her     | Bob   | 1     | Globex  |
      | Alice  | her     | Carol | 1     | Initech |
      | Bob    | his     | Alice | 2     | Globex  |
