"""Retention: what is old enough to go, and its removal."""
