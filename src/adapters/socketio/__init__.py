"""Socket.IO: pushing committed inbox events to the sockets of their users."""
