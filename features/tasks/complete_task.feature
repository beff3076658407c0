Feature: Completing a task tells the lead's owner and the task's creator
  In order to know when work I care about on a prospect is done
  As the owner of a lead, or the teammate who asked for a task
  I want to be told, once, when someone else completes a task on that lead

  Background:
    Given Alice, Bob, Carol and Dave have signed in
    And Alice has created the lead "Umbrella Corp"
    And Bob has created the task "Call back" on "Umbrella Corp"

  Scenario: The lead's owner and the task's creator are told at once
    When Carol completes the task "Call back"
    Then Alice is told at once of a new notification "Task completed: Call back" reading "Carol completed “Call back” on Umbrella Corp", with 1 unread
    And Bob is told at once of a new notification "Task completed: Call back" reading "Carol completed “Call back” on Umbrella Corp", with 2 unread
    And the task "Call back" is completed

  Scenario Outline: Whoever completes the task is never told of it; the others once each
    When <completer> completes the task "Call back"
    Then the new notification "Task completed: Call back" reading "<completer> completed “Call back” on Umbrella Corp" goes to <told>, and to nobody else
    And <completer> is told nothing

    Examples:
      | completer | told          | who completes it       |
      | Carol     | Alice and Bob | a teammate             |
      | Alice     | Bob           | the lead's owner       |
      | Bob       | Alice         | the task's creator     |

  Scenario: Someone who is both the owner and the creator is told once
    Given Alice has created the task "Send the offer" on "Umbrella Corp"
    When Carol completes the task "Send the offer"
    Then the new notification "Task completed: Send the offer" reading "Carol completed “Send the offer” on Umbrella Corp" goes to Alice, and to nobody else
    And Alice has 1 unread notification

  Scenario: The owner completing their own task tells nobody
    Given Alice has created the task "Send the offer" on "Umbrella Corp"
    When Alice completes the task "Send the offer"
    Then the task "Send the offer" is completed
    And nobody is told anything

  Scenario: The one a task was for is not told for that alone
    Given Bob has created the task "Send the offer" on "Umbrella Corp" for Dave
    When Carol completes the task "Send the offer"
    Then the new notification "Task completed: Send the offer" reading "Carol completed “Send the offer” on Umbrella Corp" goes to Alice and Bob, and to nobody else
    And Dave is told nothing

  Scenario: Once a lead is handed over, its new owner is the one told
    Given Alice has handed the lead "Umbrella Corp" to Carol
    When Dave completes the task "Call back"
    Then the new notification "Task completed: Call back" reading "Dave completed “Call back” on Umbrella Corp" goes to Bob and Carol, and to nobody else

  Scenario Outline: Completing a task already completed changes nothing and tells nobody
    Given Carol has completed the task "Call back"
    When <someone> completes the task "Call back"
    Then the task "Call back" is still completed since the first time
    And nobody is told anything
    And Alice has 1 unread notification
    And Bob has 2 unread notifications

    Examples:
      | someone |
      | Carol   |
      | Dave    |
      | Alice   |

  Scenario: Teammates who complete the task at the same moment tell the others once
    When Carol and Dave complete the task "Call back" at the same moment
    Then both are answered that the task "Call back" was completed, at one and the same moment
    And Alice has 1 unread notification
    And Bob has 2 unread notifications

  Scenario Outline: A task that does not exist cannot be completed
    When Carol tries to complete <a task that is not there>
    Then <the refusal>
    And nobody is told anything

    Examples:
      | a task that is not there        | the refusal                         |
      | a task that does not exist      | there is no such task               |
      | a task by a malformed reference | the request is refused as malformed |
