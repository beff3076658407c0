"""Use cases about tasks on leads."""
