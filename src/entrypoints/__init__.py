"""Entrypoints: the container, the ASGI app, GraphQL, Socket.IO and the CLI."""
