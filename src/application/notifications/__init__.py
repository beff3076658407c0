"""Use cases about notifications."""
