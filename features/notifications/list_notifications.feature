Feature: The inbox, newest first
  In order to see first what happened last
  As a salesperson
  I want my inbox to list my own notifications, newest first

  Background:
    Given Alice, Bob and Carol have signed in
    And these leads were created, oldest first:
      | creator | lead          |
      | Bob     | Initech       |
      | Carol   | Globex        |
      | Bob     | Umbrella Corp |

  Scenario: The newest notification comes first
    When Alice opens her inbox
    Then Alice sees, newest first:
      | title                   | message                              | state  |
      | New lead: Umbrella Corp | Bob created the lead “Umbrella Corp” | unread |
      | New lead: Globex        | Carol created the lead “Globex”      | unread |
      | New lead: Initech       | Bob created the lead “Initech”       | unread |

  Scenario Outline: Each teammate has their own inbox
    When <person> opens <pronoun> inbox
    Then <person> sees only the notifications about <leads>, newest first

    Examples:
      | person | pronoun | leads                                   |
      | Alice  | her     | "Umbrella Corp", "Globex" and "Initech" |
      | Bob    | his     | "Globex"                                |
      | Carol  | her     | "Umbrella Corp" and "Initech"           |

  Scenario Outline: The inbox shows only the newest few when asked for fewer
    When Alice opens her inbox showing at most <size>
    Then Alice sees only the notifications about <leads>, newest first

    Examples:
      | size | leads                                   |
      | 1    | "Umbrella Corp"                         |
      | 2    | "Umbrella Corp" and "Globex"            |
      | 100  | "Umbrella Corp", "Globex" and "Initech" |

  Scenario: Each teammate's inbox shows their own read state
    Given Alice has read her notification about "Globex"
    When Bob opens his inbox
    Then Bob sees, newest first:
      | title            | message                         | state  |
      | New lead: Globex | Carol created the lead “Globex” | unread |
    And Alice's notification about "Globex" is still read since the first time

  Scenario: A teammate told of nothing yet has an empty inbox
    Given Dave has signed in
    When Dave opens his inbox
    Then Dave sees an empty inbox

  Scenario: Opening the inbox changes nothing and tells nobody anything
    When Alice opens her inbox
    Then nobody is told anything
    And Alice has 3 unread notifications

  Scenario Outline: The inbox shows between 1 and 100 notifications at a time
    When Alice tries to open her inbox showing at most <size>
    Then the request is refused for its page size

    Examples:
      | size |
      | 0    |
      | 101  |
      | -1   |
