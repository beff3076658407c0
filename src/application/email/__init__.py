"""Use cases of the email channel: due emails written with their notification, sent later."""
