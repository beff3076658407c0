"""The email channel's adapters: the message as mail clients read it, and the SMTP client."""
