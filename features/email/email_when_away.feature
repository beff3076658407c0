Feature: An email for the people who are away
  In order to hear of what happened while I was not looking at Herald
  As a salesperson
  I want one email that gathers the notifications I have not seen after a while

  Background:
    Given Alice, Bob and Carol have signed in
    And email goes out for notifications unseen after 10 minutes

  Scenario: Nothing goes before the delay
    When Alice creates the lead "Umbrella Corp"
    And 9 minutes pass
    Then nobody gets an email

  Scenario: One waiting notification makes an email titled after it
    When Alice creates the lead "Umbrella Corp"
    And 10 minutes pass
    Then Bob gets one email "New lead: Umbrella Corp" listing "New lead: Umbrella Corp"
    And Carol gets one email "New lead: Umbrella Corp" listing "New lead: Umbrella Corp"
    And Alice gets no email

  Scenario: Everything that waited goes in one email, newest first
    When Alice creates the lead "Umbrella Corp"
    And Alice creates the lead "Globex"
    And 10 minutes pass
    Then Bob gets one email "2 new notifications" listing "New lead: Globex" and "New lead: Umbrella Corp"

  Scenario: A notification goes by email once
    Given Alice has created the lead "Umbrella Corp"
    And 10 minutes have passed
    When Alice creates the lead "Globex"
    And 10 minutes pass
    Then Bob gets one email "New lead: Globex" listing "New lead: Globex"

  Scenario: What was read in time is not emailed
    Given Alice has created the lead "Umbrella Corp"
    And Bob has read his notification about "Umbrella Corp"
    When 10 minutes pass
    Then Bob gets no email
    And Carol gets one email "New lead: Umbrella Corp" listing "New lead: Umbrella Corp"

  Scenario: Who opened the bell before it fell due gets no email
    Given Alice has created the lead "Umbrella Corp"
    And Bob has opened his notifications
    When 10 minutes pass
    Then Bob gets no email
    And Bob has an unread notification about "Umbrella Corp"
    And Carol gets one email "New lead: Umbrella Corp" listing "New lead: Umbrella Corp"

  Scenario: What came after the bell was opened is still emailed
    Given Alice has created the lead "Umbrella Corp"
    And Bob has opened his notifications
    When Alice creates the lead "Globex"
    And 10 minutes pass
    Then Bob gets one email "New lead: Globex" listing "New lead: Globex"

  Scenario: What was archived in time is not emailed
    Given Alice has created the lead "Umbrella Corp"
    And Bob has archived his notification about "Umbrella Corp"
    When 10 minutes pass
    Then Bob gets no email
    And Carol gets one email "New lead: Umbrella Corp" listing "New lead: Umbrella Corp"

  Scenario: What was deleted in time is not emailed
    Given Alice has created the lead "Umbrella Corp"
    And Alice has created the lead "Globex"
    And Bob has deleted his notification about "Umbrella Corp"
    When 10 minutes pass
    Then Bob gets one email "New lead: Globex" listing "New lead: Globex"

  Scenario: Nobody without an email address gets an email
    Given Dave has signed in without a name
    When Alice creates the lead "Umbrella Corp"
    And 10 minutes pass
    Then Dave gets no email
    And Bob gets one email "New lead: Umbrella Corp" listing "New lead: Umbrella Corp"

  Scenario: Email turned off for a kind, the notification still comes
    Given Bob has turned off email for new leads
    When Alice creates the lead "Umbrella Corp"
    And 10 minutes pass
    Then Bob gets no email
    And Bob has an unread notification about "Umbrella Corp"

  Scenario: The email leads back to Herald and lets one stop them in one click
    When Alice creates the lead "Umbrella Corp"
    And 10 minutes pass
    Then Bob's email opens with his name, tells "Alice created the lead “Umbrella Corp”" and links to Herald
    And Bob can stop these emails in one click from his email

  Scenario: Unsubscribing stops every email and keeps the notifications
    Given Bob has unsubscribed from these emails
    When Alice creates the lead "Umbrella Corp"
    And 10 minutes pass
    Then Bob gets no email
    And Bob has an unread notification about "Umbrella Corp"
    And Bob still receives every kind of notification, none by email
