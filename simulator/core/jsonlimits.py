"""Bounds on JSON that clients send: nesting depth, and excerpts of hostile values for messages.

orjson parses up to 1024 levels and serialises only 255, and recursive Python code over parsed
values stops near 1000. A value nested deeper than :data:`MAX_DEPTH` is refused where it enters
(request body, JSON query parameter), so nothing downstream ever meets one: it is never stored,
never rendered and never walked recursively.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_DEPTH = 64  # levels of arrays and objects; real vendor payloads use fewer than ten
EXCERPT_CHARS = 80


class TooDeep(ValueError):
    """A JSON value nested deeper than the limit."""

    def __init__(self, limit: int):
        super().__init__(f"is nested more than {limit} levels deep (the limit is {limit})")
        self.limit = limit


def nesting_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when arrays/objects in ``value`` nest deeper than ``limit`` (iterative: no recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def loads_bounded(text: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """``orjson.loads`` that also refuses values nested deeper than ``limit``.

    Raises :class:`orjson.JSONDecodeError` for text that is not JSON and :class:`TooDeep` for a value
    nested too deep (both are ``ValueError``).
    """
    value = orjson.loads(text)
    if nesting_exceeds(value, limit):
        raise TooDeep(limit)
    return value


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` itself when short; otherwise its start and end around a count of what was left out."""
    if len(text) <= limit:
        return text
    head, tail = text[: limit * 2 // 3], text[-(limit // 3):]
    return f"{head}…[{len(text) - len(head) - len(tail)} more characters]…{tail}"
