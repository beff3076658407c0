"""Use cases about comments on leads."""
