"""Text from outside: what the domain accepts in any string it keeps."""

from __future__ import annotations

from domain.errors import InvalidInput


def is_storable(value: str) -> bool:
    """No NUL character and no lone surrogate: text every database and encoder can keep."""
    return "\x00" not in value and not any(0xD800 <= ord(char) <= 0xDFFF for char in value)


def storable(value: str, field: str) -> str:
    """The value, unless it cannot be stored as text: then `InvalidInput` naming the field."""
    if not is_storable(value):
        raise InvalidInput(field, "must not contain NUL characters or lone surrogates")
    return value
