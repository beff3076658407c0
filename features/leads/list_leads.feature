Feature: The team's leads, newest first
  In order to see first the prospects that came in last
  As a salesperson
  I want to list all the team's leads, newest first, as many at a time as I choose

  Background:
    Given Alice and Bob have signed in
    And these leads were created, oldest first:
      | creator | lead          |
      | Alice   | Initech       |
      | Bob     | Globex        |
      | Alice   | Umbrella Corp |

  Scenario Outline: Every teammate sees every lead of the team, newest first
    When <person> lists the leads
    Then <person> sees the leads "Umbrella Corp", "Globex" and "Initech", in that order

    Examples:
      | person |
      | Alice  |
      | Bob    |

  Scenario: Each lead is shown as it is now, in the place its creation gave it
    Given Bob has changed the score of "Initech" to 90
    And Alice has handed the lead "Umbrella Corp" to Bob
    When Alice lists the leads
    Then Alice sees these leads, newest first:
      | lead          | score | owner |
      | Umbrella Corp | 0     | Bob   |
      | Globex        | 0     | Bob   |
      | Initech       | 90    | Alice |

  Scenario Outline: Asking for fewer shows only the newest few
    When Alice lists at most <how many> leads
    Then Alice sees the leads <leads>, in that order

    Examples:
      | how many | leads                                   |
      | 1        | "Umbrella Corp"                         |
      | 2        | "Umbrella Corp" and "Globex"            |
      | 3        | "Umbrella Corp", "Globex" and "Initech" |
      | 100      | "Umbrella Corp", "Globex" and "Initech" |

  Scenario: Without saying how many, the 50 newest are shown
    Given Bob has created 50 more leads
    When Alice lists the leads
    Then Alice sees the 50 newest leads, newest first

  Scenario Outline: The list shows between 1 and 100 leads at a time
    When Alice tries to list at most <how many> leads
    Then the request is refused for its page size

    Examples:
      | how many |
      | 0        |
      | 101      |
      | -1       |

  Scenario: Listing the leads changes nothing and tells nobody anything
    When Alice lists the leads
    Then nobody is told anything
    And Alice has 1 unread notification
