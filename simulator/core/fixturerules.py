"""A small declarative checker for fixtures: types, ranges, enums, lengths, known keys.

It knows no vendor: each vendor declares the rules of its own section, and ``simulator.fixtures``
applies them to a loaded file before anything is seeded. The first problem found is raised as a
:class:`FixtureProblem` carrying the path of the value (``prevail.organisations[0].seed_requests``)
and one sentence, so a broken file gives one line that says where and what.

Values arrive from a YAML file already bounded in size, depth and alias expansion, so the walk is
linear in the file and never meets a cycle.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

EXCERPT_CHARS = 40  # of a value or key quoted back in a message
MAX_ITEMS = 1000  # entries of any one list: tenants, bots, hand-picked records
MAX_TEXT = 256  # characters of a name, id or key unless a rule says otherwise
YEAR = 365 * 86400


class FixtureProblem(ValueError):
    """A value breaks its rule: where (``path``) and what (``message``)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path or 'the file'}: {message}")
        self.path = path
        self.message = message


class Rule(Protocol):
    def check(self, value: Any, path: str) -> None:
        """Raise :class:`FixtureProblem` when ``value`` (found at ``path``) breaks the rule."""


def show(value: Any) -> str:
    """A short description of a value for a message: quoted excerpt of text, kind of a container."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _bounds(minimum: float, maximum: float) -> str:
    return f"from {minimum:g} to {maximum:g}"


class Integer:
    def __init__(self, minimum: int, maximum: int):
        self.minimum, self.maximum = minimum, maximum

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value <= self.maximum:
            raise FixtureProblem(path, f"must be an integer {_bounds(self.minimum, self.maximum)}, not {show(value)}")


class Number:
    def __init__(self, minimum: float, maximum: float):
        self.minimum, self.maximum = minimum, maximum

    def check(self, value: Any, path: str) -> None:
        if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
                or not self.minimum <= value <= self.maximum):
            raise FixtureProblem(path, f"must be a number {_bounds(self.minimum, self.maximum)}, not {show(value)}")


class Boolean:
    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise FixtureProblem(path, f"must be true or false, not {show(value)}")


class Text:
    def __init__(self, max_length: int = MAX_TEXT, pattern: str | None = None, explain: str = ""):
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.explain = explain  # what the pattern allows, in words

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, int | float) and not isinstance(value, bool) else ""
            raise FixtureProblem(path, f"must be a string, not {show(value)}{hint}")
        if not 1 <= len(value) <= self.max_length:
            raise FixtureProblem(path, f"must be 1 to {self.max_length} characters long, not {len(value)}")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise FixtureProblem(path, f"must be {self.explain or self.pattern.pattern}, not {show(value)}")


class OneOf:
    def __init__(self, *values: str, fold_case: bool = False):
        self.values = values
        self.fold_case = fold_case

    def check(self, value: Any, path: str) -> None:
        key = value.lower() if self.fold_case and isinstance(value, str) else value
        if not isinstance(value, str) or key not in self.values:
            raise FixtureProblem(path, f"must be one of {', '.join(self.values)}, not {show(value)}")


class Nullable:
    """The rule, or ``null`` (which the vendor reads as "not given")."""

    def __init__(self, rule: Rule):
        self.rule = rule

    def check(self, value: Any, path: str) -> None:
        if value is not None:
            self.rule.check(value, path)


class ListOf:
    """A list of items, each by ``item``; ``unique`` names fields of record items (or ``"."`` the
    items themselves) that no two items may share."""

    def __init__(self, item: Rule, max_items: int = MAX_ITEMS, unique: Sequence[str] = ()):
        self.item, self.max_items, self.unique = item, max_items, tuple(unique)

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise FixtureProblem(path, f"must be a list, not {show(value)}")
        if len(value) > self.max_items:
            raise FixtureProblem(path, f"has {len(value)} entries; at most {self.max_items}")
        for index, item in enumerate(value):
            self.item.check(item, f"{path}[{index}]")
        for field in self.unique:
            seen: dict[Any, int] = {}
            for index, item in enumerate(value):
                key = item if field == "." else item.get(field)
                where = f"{path}[{index}]" if field == "." else f"{path}[{index}].{field}"
                if key is not None and key in seen:
                    raise FixtureProblem(where, f"{show(key)} is already used by {path}[{seen[key]}]")
                seen[key] = index


Check = Callable[[Mapping[str, Any], str], None]  # a rule across fields of one record: raises FixtureProblem


class Record:
    """A mapping with known keys; any other key is an error (with the nearest known key as a hint)."""

    def __init__(self, fields: Mapping[str, Rule], required: Sequence[str] = (), checks: Sequence[Check] = (),
                 noun: str = "key"):
        self.fields = dict(fields)
        self.required = tuple(required)
        self.checks = tuple(checks)
        self.noun = noun  # what a key names, for messages: "key", "vendor"

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise FixtureProblem(path, f"must be a mapping, not {show(value)}")
        for key, item in value.items():
            rule = self.fields.get(key) if isinstance(key, str) else None
            if rule is None:
                raise FixtureProblem(child(path, show(key).strip("'")), self.unknown(key))
            rule.check(item, child(path, key))
        for key in self.required:
            if key not in value:
                raise FixtureProblem(path, f"missing {key!r}, which is required")
        for extra in self.checks:
            extra(value, path)

    def unknown(self, key: Any) -> str:
        known = sorted(self.fields)
        near = difflib.get_close_matches(key[:64], known, n=1, cutoff=0.6) if isinstance(key, str) else []
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return f"unknown {self.noun}{hint}; known {self.noun}s: {', '.join(known) or 'none'}"
