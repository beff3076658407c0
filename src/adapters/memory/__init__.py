"""In-memory adapters: real implementations of the ports, for tests and demos."""

from adapters.memory.emails import RecordingEmailSender
from adapters.memory.publisher import RecordingPublisher, RecordingRelay
from adapters.memory.queries import InMemoryInboxQueries
from adapters.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork

__all__ = [
    "InMemoryInboxQueries",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "RecordingEmailSender",
    "RecordingPublisher",
    "RecordingRelay",
]
