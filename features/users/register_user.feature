Feature: Signing in registers a user
  In order to reach the whole team with the CRM's news
  As a sales manager
  I want everyone who signs in to be known to Herald, under the name and email the identity service gives them

  Scenario: The first sign-in registers the user
    When Alice signs in as "Alice Martin" with the email "alice@example.com"
    Then Alice is registered as "Alice Martin" with the email "alice@example.com"

  Scenario: A later sign-in takes the newest name and email
    Given Alice has signed in as "Alice Martin" with the email "alice@example.com"
    When Alice signs in as "Alice Dupont" with the email "alice.dupont@example.com"
    Then Alice is registered as "Alice Dupont" with the email "alice.dupont@example.com"

  Scenario: Signing in again with the same name and email changes nothing
    Given Alice has signed in as "Alice Martin" with the email "alice@example.com"
    When Alice signs in as "Alice Martin" with the email "alice@example.com"
    Then Alice's registration is unchanged since her first sign-in

  Scenario: An overlong name is shortened, not refused
    When Alice signs in with a name of 250 characters
    Then Alice is registered under the first 200 characters of that name

  Scenario Outline: An identity without a usable user id is refused
    When someone tries to sign in with <a bad user id>
    Then the sign-in is refused
    And nobody is registered

    Examples:
      | a bad user id             |
      | no user id                |
      | a user id of 256 characters |

  Scenario: Only those who signed in hear about the team's new leads
    Given Alice and Bob have signed in
    When Bob creates the lead "Umbrella Corp"
    Then Alice has an unread notification about "Umbrella Corp"
    And Dave, who never signed in, has no notification

  Scenario: Who signs in late hears about what comes next, not about what came before
    Given Alice and Bob have signed in
    And Bob has created the lead "Initech"
    When Carol signs in as "Carol Smith" with the email "carol@example.com"
    And Bob creates the lead "Umbrella Corp"
    Then Carol's inbox holds only the notifications about "Umbrella Corp"

  Scenario: Notifications name the actor as the identity service names them
    Given Alice has signed in
    And Bob has signed in as "Bob Stone" with the email "bob@example.com"
    When Bob creates the lead "Umbrella Corp"
    Then Alice has an unread notification "New lead: Umbrella Corp" reading "Bob Stone created the lead “Umbrella Corp”"

  Scenario: An actor without a name is named by their user id
    Given Alice has signed in
    And Bob has signed in without a name
    When Bob creates the lead "Umbrella Corp"
    Then Alice's notification about "Umbrella Corp" names Bob by his user id
