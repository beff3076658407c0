Feature: Nothing is lost while a teammate is away
  In order to trust what my screen tells me, even after my laptop slept or my connection dropped
  As a salesperson
  I want to be told, when I come back, everything I missed in the order it happened, then what happens next

  Background:
    Given Alice, Bob, Carol and Dave have signed in
    And Alice is online
    And Bob has created the lead "Initech"

  Scenario: A teammate who was away is told everything they missed, in order, then what happens next
    Given Alice has created the lead "Acme"
    And Alice has gone offline
    And Bob has changed the score of "Acme" to 70
    And Carol has commented "Call them on Monday" on "Acme"
    And Carol has created the lead "Globex"
    When Alice comes back online
    And Dave creates the lead "Umbrella Corp"
    Then Alice is told, in this order:
      | news             | about                   |
      | new notification | Score of Acme: 70       |
      | unread count     | 2                       |
      | new notification | New comment on Acme     |
      | unread count     | 3                       |
      | new notification | New lead: Globex        |
      | unread count     | 4                       |
      | new notification | New lead: Umbrella Corp |
      | unread count     | 5                       |

  Scenario: What a teammate did elsewhere while away comes back too
    Given Alice has gone offline
    And Bob has created the lead "Globex"
    And Alice has read her notification about "Initech"
    And Alice has deleted her notification about "Globex"
    When Alice comes back online
    Then Alice is told, in this order:
      | news             | about             |
      | new notification | New lead: Globex  |
      | unread count     | 2                 |
      | marked read      | New lead: Initech |
      | unread count     | 1                 |
      | deleted          | New lead: Globex  |
      | unread count     | 0                 |

  Scenario: A teammate is told only their own news
    Given Alice has gone offline
    And Bob has created the lead "Acme"
    And Carol has read her notification about "Acme"
    And Carol has commented "Call them on Monday" on "Acme"
    When Alice comes back online
    Then Alice is told, in this order:
      | news             | about         |
      | new notification | New lead: Acme |
      | unread count     | 2             |

  Scenario: A teammate who comes back to nothing new is told nothing
    Given Alice has gone offline
    When Alice comes back online
    Then Alice is told nothing since coming back

  Scenario: Nobody is told of anything before it is saved
    When Bob creates the lead "Globex"
    Then by the time Alice was told, the notification about "Globex" was already saved, unread, in Alice's inbox
    And had Alice been offline, she would be told the same when coming back

  Scenario: A teammate away for longer than the history is kept is asked to refresh their inbox
    Given Alice has gone offline
    And Bob has created the lead "Globex"
    And Herald has since let go of the history of all that, as it does after the retention period
    When Alice comes back online
    And Bob creates the lead "Umbrella Corp"
    Then Alice is told, in this order:
      | news              | about                   |
      | refresh the inbox | history expired         |
      | new notification  | New lead: Umbrella Corp |
      | unread count      | 3                       |

  Scenario: A teammate whose last news is still kept is not asked to refresh
    Given Herald has since let go of the history of all that, as it does after the retention period
    And Alice has gone offline
    And Bob has created the lead "Globex"
    When Alice comes back online
    Then Alice is told, in this order:
      | news             | about            |
      | new notification | New lead: Globex |
      | unread count     | 2                |

  Scenario: Someone who was never away is told only what happens after they arrived
    When Dave comes online
    And Bob creates the lead "Globex"
    Then Dave is told, in this order:
      | news             | about            |
      | new notification | New lead: Globex |
      | unread count     | 2                |
