Feature: Choosing which notifications I receive
  In order to be told only about what matters to me
  As a salesperson
  I want to turn a kind of notification off, and on again, for me alone

  Background:
    Given Alice, Bob and Carol have signed in
    And Alice has created the lead "Umbrella Corp"
    And Alice has created the task "Call back" on "Umbrella Corp"

  Scenario: Everything is on by default
    When Alice looks at her notification preferences
    Then Alice's preferences read:
      | kind of notification | received |
      | new leads            | yes      |
      | completed tasks      | yes      |
      | score changes        | yes      |
      | new comments         | yes      |

  Scenario: Turning a kind off shows in one's own preferences only
    When Alice turns off score changes
    Then Alice's preferences read:
      | kind of notification | received |
      | new leads            | yes      |
      | completed tasks      | yes      |
      | score changes        | no       |
      | new comments         | yes      |
    And Bob receives every kind of notification
    And nobody is told anything

  Scenario Outline: A muted kind is not delivered
    Given Alice has turned off <kind>
    When <something happens>
    Then Alice is told nothing
    And Alice's inbox is empty
    And Alice has 0 unread notifications

    Examples:
      | kind            | something happens                                     |
      | new leads       | Bob creates the lead "Globex"                         |
      | completed tasks | Bob completes the task "Call back"                    |
      | score changes   | Bob changes the score of "Umbrella Corp" to 70        |
      | new comments    | Bob comments "They want a demo" on "Umbrella Corp"    |

  Scenario Outline: A muted kind is delivered again once turned back on
    Given Alice has turned off <kind>
    And Alice has turned <kind> back on
    When <something happens>
    Then Alice is told at once of a new notification "<title>" reading "<message>", with 1 unread

    Examples:
      | kind            | something happens                                  | title                        | message                                              |
      | new leads       | Bob creates the lead "Globex"                      | New lead: Globex             | Bob created the lead “Globex”                        |
      | completed tasks | Bob completes the task "Call back"                 | Task completed: Call back    | Bob completed “Call back” on Umbrella Corp           |
      | score changes   | Bob changes the score of "Umbrella Corp" to 70     | Score of Umbrella Corp: 70   | Bob changed the score of Umbrella Corp from 0 to 70  |
      | new comments    | Bob comments "They want a demo" on "Umbrella Corp" | New comment on Umbrella Corp | Bob commented on Umbrella Corp: “They want a demo”   |

  Scenario Outline: Other kinds are still delivered
    Given Alice has turned off every kind of notification but <kind>
    When <something happens>
    Then Alice is told at once of a new notification "<title>" reading "<message>", with 1 unread

    Examples:
      | kind            | something happens                                  | title                        | message                                              |
      | new leads       | Bob creates the lead "Globex"                      | New lead: Globex             | Bob created the lead “Globex”                        |
      | completed tasks | Bob completes the task "Call back"                 | Task completed: Call back    | Bob completed “Call back” on Umbrella Corp           |
      | score changes   | Bob changes the score of "Umbrella Corp" to 70     | Score of Umbrella Corp: 70   | Bob changed the score of Umbrella Corp from 0 to 70  |
      | new comments    | Bob comments "They want a demo" on "Umbrella Corp" | New comment on Umbrella Corp | Bob commented on Umbrella Corp: “They want a demo”   |

  Scenario: Muting is for oneself alone
    Given Alice has turned off new leads
    When Bob creates the lead "Globex"
    Then the new notification "New lead: Globex" reading "Bob created the lead “Globex”" goes to Carol, and to nobody else

  Scenario: What happened while muted does not come back when turned on again
    Given Alice has turned off new comments
    And Bob has commented "They want a demo" on "Umbrella Corp"
    When Alice turns new comments back on
    Then nobody is told anything
    And Alice's inbox is empty
    And Alice receives every kind of notification
