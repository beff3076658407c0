"""Herald's benchmark: seeds a PostgreSQL database, loads a real server, writes the figures."""
