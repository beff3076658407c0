"""Adapters: the outside world (databases, sockets, tokens, clocks) behind Herald's ports."""
