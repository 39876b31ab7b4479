"""Elasticsearch field semantics: mappings, the standard analyzer, and what a JSON document indexes as.

A document is flattened the way Elasticsearch flattens it without ``nested`` mappings: every leaf
value is filed under its dotted path, arrays contribute each element, and arrays of objects lose the
grouping of their elements (``flow_path.type`` holds the types of every step). Each path has one
type, from the static mapping or learned on first sight (dynamic mapping): booleans map to
``boolean``, integers to ``long``, other numbers to ``double``, strings that look like ISO dates to
``date`` and other strings to ``text`` with a ``.keyword`` sub-field, as Elasticsearch does by default.
A value the mapped type cannot hold is a :class:`MappingConflict`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from typing import Any

from simulator.core.esdates import DateError, parse_date

KEYWORD, TEXT, LONG, DOUBLE, DATE, BOOLEAN = "keyword", "text", "long", "double", "date", "boolean"
LEAF_TYPES = frozenset({KEYWORD, TEXT, LONG, DOUBLE, DATE, BOOLEAN})
NUMERIC = frozenset({LONG, DOUBLE, DATE})
KEYWORD_SUFFIX = ".keyword"
MAX_OBJECT_DEPTH = 20  # Elasticsearch's index.mapping.depth.limit: root fields are at depth 1
MAX_ARRAY_DEPTH = 64  # arrays directly inside arrays; only a guard for the recursion below
IGNORE_ABOVE = 256  # `.keyword` sub-fields skip longer strings, as Elasticsearch's dynamic mapping does
MAX_TOKEN_LENGTH = 255  # the standard tokenizer splits longer tokens at this length
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")

# UAX#29 word segmentation restricted to ASCII: letters, digits and '_' join; ':', '.' and ''' join two
# letters; '.', ',', ';' and ''' join two digits. Text outside ASCII takes the full Unicode rules.
_ASCII_TOKEN = re.compile(r"[a-z0-9_]+(?:(?:(?<=[a-z])[.':](?=[a-z])|(?<=[0-9])[.,;'](?=[0-9]))[a-z0-9_]+)*")
_HAS_ALNUM = re.compile(r"[a-z0-9]")
_unicode_words: Any = None


class MappingConflict(ValueError):
    """A document value that the field's mapping cannot take (Elasticsearch's mapper_parsing_exception)."""


class MappingLimit(ValueError):
    """A document beyond what the index takes: objects nested deeper than :data:`MAX_OBJECT_DEPTH`
    (Elasticsearch's ``index.mapping.depth.limit``), or arrays nested deeper than :data:`MAX_ARRAY_DEPTH`."""


@dataclass(frozen=True)
class Field:
    type: str
    keyword_subfield: bool = False  # text fields: is there a `<path>.keyword` sub-field
    term_only: bool = False  # full-text queries (match) find nothing on it, as a vendor may declare for ID fields


# A document as indexed: path -> (type, values). Values are normalised per type: keyword str, long int,
# double float, date epoch milliseconds, boolean bool; text values are each a list of tokens.
Analyzed = dict[str, tuple[str, list[Any]]]


@functools.lru_cache(maxsize=32_768)
def analyze_text(text: str) -> tuple[str, ...]:
    """The standard analyzer: Unicode word segmentation (UAX#29), lowercase, no stemming, no stop words.

    Conversations repeat their sentences (prompts, parameter states on every step): answers are memoised."""
    return tuple(_tokens(text))


def _tokens(text: str) -> list[str]:
    if text.isascii():
        tokens = [token for token in _ASCII_TOKEN.findall(text.lower()) if _HAS_ALNUM.search(token)]
    else:
        tokens = _unicode_tokens(text)
    if any(len(token) > MAX_TOKEN_LENGTH for token in tokens):
        tokens = [token[i:i + MAX_TOKEN_LENGTH] for token in tokens for i in range(0, len(token), MAX_TOKEN_LENGTH)]
    return tokens


def _unicode_tokens(text: str) -> list[str]:
    global _unicode_words
    if _unicode_words is None:  # `regex` implements Unicode's default word boundaries; loaded on first need
        import regex

        _unicode_words = (
            regex.compile(r"\b", flags=regex.WORD | regex.V1),
            regex.compile(r"[\p{Alphabetic}\p{Nd}\p{Extended_Pictographic}]", flags=regex.V1),
        )
    boundaries, wordlike = _unicode_words
    # Lucene lowercases code point by code point (simple case mapping): U+0130 becomes 'i', a final
    # capital sigma becomes the ordinary small sigma.
    # `regex` keeps a leading apostrophe on a word ("'a"); UAX#29 joins one only between two letters.
    segments = (segment.lstrip("'") for segment in boundaries.split(text))
    return ["".join(char.lower()[0] for char in segment) for segment in segments if wordlike.search(segment)]


def keyword_value(value: Any) -> str:
    """How a JSON scalar reads as a keyword (and as text to analyse): booleans and numbers as JSON spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_number(value: Any, kind: str) -> int | float:
    """A long or double from a JSON number or numeric string; longs drop a fraction (Elasticsearch's coerce)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a number")
    number = float(value.strip()) if isinstance(value, str) else value
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    if kind == LONG:
        whole = int(number)
        if not -(2**63) <= whole < 2**63:
            raise ValueError(f"{value!r} is out of range for a long")
        return whole
    return float(number)


def to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false", ""):
        return value == "true"
    raise ValueError(f"{value!r} is not a boolean (true or false)")


def to_date(value: Any, round_up: bool = False) -> int:
    """Epoch milliseconds from an ISO 8601 date/time (no zone means UTC) or from epoch milliseconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    try:
        return parse_date(value, round_up)
    except DateError as error:
        raise ValueError(str(error)) from None


class Mapping:
    """Field types by dotted path: static entries (``*`` stands for one path segment) plus dynamic ones.

    Static types are ``keyword``, ``text``, ``text+keyword``, ``long``, ``double``, ``date``, ``boolean``
    and ``object``. Dynamic fields are learned from stored documents (see :meth:`analyze`). Paths in
    ``term_only`` (static paths, spelled the same) answer term-level queries only.
    """

    def __init__(self, static: MappingType[str, str], dynamic: bool = True, term_only: Collection[str] = ()):
        self.dynamic = dynamic
        self._fields: dict[str, Field] = {}
        self._objects: set[str] = set()
        self._patterns: list[tuple[re.Pattern[str], Field | None]] = []
        self._by_pattern: dict[str, tuple[Field | None, bool]] = {}  # path -> (field, is object) from patterns
        if not set(term_only) <= set(static):
            raise ValueError(f"term-only paths missing from the mapping: {sorted(set(term_only) - set(static))}")
        for path, spelled in static.items():
            field = None if spelled == "object" else _spelled(path, spelled, path in term_only)
            if "*" in path:
                self._patterns.append((re.compile("^" + re.escape(path).replace(r"\*", "[^.]+") + "$"), field))
            elif field is None:
                self._objects.add(path)
            else:
                self._fields[path] = field
            parts = path.split(".")
            for prefix in (".".join(parts[:i]) for i in range(1, len(parts))):
                if "*" in prefix:
                    self._patterns.append((re.compile("^" + re.escape(prefix).replace(r"\*", "[^.]+") + "$"), None))
                else:
                    self._objects.add(prefix)

    def field(self, path: str) -> Field | None:
        """The field at a path (``x.keyword`` is the keyword sub-field of text ``x``); None when unmapped."""
        found = self._fields.get(path) or self._pattern_field(path)
        if found is None and path.endswith(KEYWORD_SUFFIX):
            parent = self.field(path[: -len(KEYWORD_SUFFIX)])
            if parent is not None and parent.keyword_subfield:
                return Field(KEYWORD)
        return found

    def is_object(self, path: str) -> bool:
        return path in self._objects or self._from_patterns(path)[1]

    def lists(self, path: str) -> bool:
        """The mapping names this field or object itself (not only through a ``*`` pattern)."""
        return path in self._fields or path in self._objects

    def known_paths(self) -> list[str]:
        return sorted(self._fields)

    def _pattern_field(self, path: str) -> Field | None:
        return self._from_patterns(path)[0]

    def _from_patterns(self, path: str) -> tuple[Field | None, bool]:
        found = self._by_pattern.get(path)
        if found is None:
            if len(self._by_pattern) > 10_000:  # paths come from requests too: keep the memo bounded
                self._by_pattern.clear()
            field = next((f for pattern, f in self._patterns if f is not None and pattern.match(path)), None)
            is_object = any(f is None and pattern.match(path) for pattern, f in self._patterns)
            found = self._by_pattern[path] = (field, is_object)
        return found

    def analyze(self, document: MappingType[str, Any], learned: dict[str, Field | None] | None = None) -> Analyzed:
        """Index a document's values by path. New dynamic fields (None: an object) go into ``learned``;
        commit them with :meth:`learn` once every document of a batch analysed cleanly. A value that
        does not fit the mapping raises MappingConflict; one nested too deep, MappingLimit."""
        pending: dict[str, Field | None] = {} if learned is None else learned
        leaves: dict[str, list[Any]] = {}
        objects: set[str] = set()
        _collect(document, "", leaves, objects)
        for path in objects:
            # A pattern may make a path both (``tags.*``: a count by tag name, or a category's object).
            if ((self.field(path) is not None and not self.is_object(path)) or pending.get(path) is not None
                    or path in leaves):
                raise MappingConflict(f"field {path!r} is a value, not an object")
            if path not in self._objects and not self._from_patterns(path)[1]:
                pending[path] = None
        analyzed: Analyzed = {}
        for path, values in leaves.items():
            field = self.field(path) or pending.get(path)
            if field is None:
                if self.is_object(path) or path in pending:
                    raise MappingConflict(f"field {path!r} is an object, not a value")
                if not self.dynamic:
                    continue
                field = pending[path] = _detect(values[0])
            analyzed[path] = (field.type, _normalised(path, field, values))
            if field.type == TEXT and field.keyword_subfield:
                kept = [text for text in map(keyword_value, values) if len(text) <= IGNORE_ABOVE]
                if kept:
                    analyzed[path + KEYWORD_SUFFIX] = (KEYWORD, kept)
        return analyzed

    def learn(self, learned: MappingType[str, Field | None]) -> None:
        for path, field in learned.items():
            if field is None:
                self._objects.add(path)
            else:
                self._fields.setdefault(path, field)


def _spelled(path: str, spelled: str, term_only: bool = False) -> Field:
    if spelled == "text+keyword":
        return Field(TEXT, keyword_subfield=True, term_only=term_only)
    if spelled not in LEAF_TYPES:
        raise ValueError(f"mapping of {path!r}: unknown type {spelled!r}")
    return Field(spelled, term_only=term_only)


def _detect(sample: Any) -> Field:
    if isinstance(sample, bool):
        return Field(BOOLEAN)
    if isinstance(sample, int):
        return Field(LONG)
    if isinstance(sample, float):
        return Field(DOUBLE)
    if isinstance(sample, str) and _ISO_DATE.match(sample):
        try:
            parse_date(sample, False)
            return Field(DATE)
        except DateError:
            pass
    return Field(TEXT, keyword_subfield=True)


def _normalised(path: str, field: Field, values: list[Any]) -> list[Any]:
    kind = field.type
    try:
        if kind == KEYWORD:
            return [v if type(v) is str else keyword_value(v) for v in values]
        if kind == TEXT:
            return [analyze_text(v if type(v) is str else keyword_value(v)) for v in values]
        if kind in (LONG, DOUBLE):
            return [to_number(v, kind) for v in values]
        if kind == DATE:
            return [to_date(v) for v in values]
        return [to_boolean(v) for v in values]
    except ValueError as error:
        raise MappingConflict(f"field {path!r} is mapped as {kind}: {error}") from None


def _collect(node: MappingType[str, Any], prefix: str, leaves: dict[str, list[Any]], objects: set[str],
             depth: int = 1) -> None:
    """File every scalar under its dotted path (arrays flattened); note the object paths on the way.

    ``depth`` is that of the node's fields (the document's own are at 1); the limit is checked before
    going down, so no input gets near the interpreter's recursion limit."""
    for key, value in node.items():
        path = prefix + key
        kind = type(value)
        if kind is dict:
            objects.add(path)
            _deeper(path, depth)
            _collect(value, path + ".", leaves, objects, depth + 1)
        elif kind is list:
            _collect_list(value, path, leaves, objects, depth, 1)
        elif value is not None:
            found = leaves.get(path)
            if found is None:
                leaves[path] = [value]
            else:
                found.append(value)


def _deeper(path: str, depth: int) -> None:
    if depth >= MAX_OBJECT_DEPTH:
        shown = path if len(path) <= 120 else path[:80] + "…" + path[-30:]
        raise MappingLimit(f"field {shown!r} is nested more than {MAX_OBJECT_DEPTH} objects deep (the limit is "
                           f"{MAX_OBJECT_DEPTH} levels, as Elasticsearch's index.mapping.depth.limit)")


def _collect_list(items: list[Any], path: str, leaves: dict[str, list[Any]], objects: set[str], depth: int,
                  arrays: int) -> None:
    if arrays > MAX_ARRAY_DEPTH:
        raise MappingLimit(f"field {path[:120]!r} holds arrays nested more than {MAX_ARRAY_DEPTH} levels deep "
                           f"(the limit is {MAX_ARRAY_DEPTH} levels)")
    found = leaves.get(path)
    for item in items:
        kind = type(item)
        if kind is dict:
            objects.add(path)
            _deeper(path, depth)
            _collect(item, path + ".", leaves, objects, depth + 1)
        elif kind is list:
            _collect_list(item, path, leaves, objects, depth, arrays + 1)
        elif item is not None:
            if found is None:
                found = leaves[path] = [item]
            else:
                found.append(item)


def project(document: MappingType[str, Any], includes: list[str]) -> dict[str, Any]:
    """Elasticsearch ``_source`` includes: a path keeps its whole subtree; objects and arrays emptied by
    the filter are dropped, except where the path itself is included."""
    tree: dict[str, Any] = {}
    for include in includes:
        node = tree
        parts = include.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if child is True:
                break
            node = child
        else:
            node[parts[-1]] = True
    return _project_object(document, tree)


def _subtree(tree: dict[str, Any], key: str) -> Any:
    """The part of the include tree under a key (a dotted key walks several levels)."""
    node: Any = tree
    for part in key.split(".") if "." in key else (key,):
        if node is True:
            return True
        node = node.get(part)
        if node is None:
            return None
    return node


def _project_object(node: MappingType[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in node.items():
        sub = _subtree(tree, key)
        if sub is True:
            kept[key] = value
        elif sub is not None and isinstance(value, dict | list):
            inner = _project_value(value, sub)
            if inner:
                kept[key] = inner
    return kept


def _project_value(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return _project_object(value, tree)
    kept: list[Any] = []
    for item in value:
        if isinstance(item, dict | list):
            inner = _project_value(item, tree)
            if inner:
                kept.append(inner)
    return kept
