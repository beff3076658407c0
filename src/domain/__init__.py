"""Herald's domain: users, leads, notifications and who is told, in plain Python."""
