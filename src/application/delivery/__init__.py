"""Delivery: publishing committed events, and replaying them to clients that come back."""
