"""Lone UTF-16 surrogates: `"\\ud800"` is valid JSON, but the string it gives is not Unicode text.

Python's JSON parser accepts such escapes, and every later step that encodes the string as UTF-8 (request
hashing, response bodies, a stored MidJourney task) fails on it. The server refuses them where a request is
parsed, with 400 `invalid_unicode` naming the field, rather than replacing them: a client that sends one has
a bug (a string cut in the middle of a surrogate pair), and a silent U+FFFD would hide it. This module
only finds them; `bodies.lone_surrogate` words the refusal.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
Path = list[str | int]


def _bad(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def find(value: Any) -> Path | None:
    """Where the first lone surrogate sits in a parsed JSON value (None when there is none).

    A key holding one is reported as its own path element. The walk keeps its own stack, so a deeply
    nested value cannot exhaust Python's.
    """
    pending: list[tuple[Any, Path]] = [(value, [])]
    while pending:
        node, path = pending.pop()
        if isinstance(node, str):
            if _bad(node):
                return path
        elif isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and _bad(key):
                    return [*path, key]
            # Reversed onto the stack, so the walk reports the first offender in document order.
            pending.extend((node[key], [*path, key]) for key in reversed(node))
        elif isinstance(node, list):
            pending.extend((node[index], [*path, index]) for index in range(len(node) - 1, -1, -1))
    return None


def printable(part: str | int) -> str | int:
    """A path element safe to put in a response: surrogates written as `\\udXXX` escapes."""
    return part.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(part, str) else part

