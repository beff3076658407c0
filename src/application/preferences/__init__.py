"""Use cases about notification preferences."""
