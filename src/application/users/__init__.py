"""Use cases about users."""
