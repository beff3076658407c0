"""What every /graphql answer must be, for the suites that send it arbitrary requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import graphql

CODES = {"BAD_USER_INPUT", "NOT_FOUND", "UNAUTHENTICATED", "RATE_LIMITED"}
# Marks of internals that must never reach a client: tracebacks, SQL and driver names, paths.
LEAKS = ("Traceback", 'File "', "SELECT ", "INSERT INTO", "asyncpg", "sqlalchemy", "psycopg")
LEAKS += ("/src/", ".py")


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def string_literals(query: str) -> list[str]:
    """The string literals of a GraphQL document, unescaped; none if it does not parse."""
    try:
        document = graphql.parse(query)
    except (graphql.GraphQLError, RecursionError):
        return []
    return [node.value for node in _walk(document) if isinstance(node, graphql.StringValueNode)]


def _walk(node: graphql.Node) -> Iterator[graphql.Node]:
    yield node
    for key in node.keys:
        child = getattr(node, key, None)
        for item in child if isinstance(child, tuple | list) else (child,):
            if isinstance(item, graphql.Node):
                yield from _walk(item)
