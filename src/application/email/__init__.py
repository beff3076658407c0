"""Use cases of the email channel: emails scheduled with their notification, written per
recipient and sent later."""
