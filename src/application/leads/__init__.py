"""Use cases about leads."""
