"""Which fields a search can see, for what Elasticsearch answers silently: a typo in a field name.

A filter on a field no document has matches nothing and a projection of one returns nothing, which
is right, and a client author is left to guess why. :class:`Catalog` tells a field that exists (the
mapping lists it by name, or a document of the index has it) from one that does not, suggests the
closest existing name, and lists an object's sortable fields for a sort on the object itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from simulator.core.esfields import KEYWORD_SUFFIX, TEXT
from simulator.core.esfields import Mapping as FieldMapping
from simulator.core.esindex import Index, SortKey
from simulator.core.esquery import QueryError

MAX_SUGGESTED = 5  # unknown names looked up per request: suggestions cost a scan of the known names
MAX_NAME_CHARS = 200  # longer names get no suggestion
_WORDS = re.compile(r"[._]")


class Catalog:
    """The fields of one index under one mapping."""

    def __init__(self, mapping: FieldMapping, index: Index):
        self.mapping = mapping
        self.index = index
        self._suggested = 0
        self._names: list[str] | None = None
        self._objects: set[str] | None = None

    def names(self) -> list[str]:
        """Every field the mapping lists by name or a document has (``.keyword`` sub-fields left out)."""
        if self._names is None:
            self._names = sorted({name for name in (*self.mapping.known_paths(), *self.index.fields())
                                  if not name.endswith(KEYWORD_SUFFIX)})
        return self._names

    def knows(self, path: str) -> bool:
        """The mapping lists the field or object by name, or some document has it (or fields under it)."""
        base = path.removesuffix(KEYWORD_SUFFIX) if path.endswith(KEYWORD_SUFFIX) else path
        if self.mapping.lists(path) or self.mapping.lists(base):
            return True
        if self.index.present(path) or self.index.present(base):
            return True
        if self._objects is None:  # every object path above a field some document has, found once
            self._objects = {name[:at] for name in self.index.fields() for at, char in enumerate(name) if char == "."}
        return path in self._objects

    def unknown(self, paths: Sequence[str]) -> list[str]:
        return [path for path in paths if not self.knows(path)]

    def suggestion(self, path: str) -> str | None:
        """The existing field name closest to ``path`` (its words in order, else by spelling), if any."""
        if len(path) > MAX_NAME_CHARS or self._suggested >= MAX_SUGGESTED:
            return None
        self._suggested += 1
        names = [name for name in self.names() if name != path]
        by_words = _by_words(path, names)
        if by_words is not None:
            return by_words
        close = difflib.get_close_matches(path, names, n=1, cutoff=0.6)
        return close[0] if close else None

    def describe_unknown(self, path: str, what: str) -> str:
        """A warning about a name no document and no mapping has, with a suggestion when there is one."""
        shown = path if len(path) <= 120 else path[:80] + "…" + path[-30:]
        message = f"{what} names {shown!r}, a field that no document has and the mapping does not list"
        hint = self.suggestion(path)
        return f"{message}; did you mean {hint!r}?" if hint else message

    def object_sort(self, path: str, descending: bool, leading: Sequence[str] = ()) -> list[SortKey]:
        """A sort on an object: by its sortable fields, ``leading`` ones first, then the rest by name.

        Each field sorts as it would alone (ascending by its smallest value, descending by its largest)."""
        start = path + "."
        names = {name for name in self.names() if name.startswith(start)}
        ordered = [name for name in leading if name in names] + sorted(names - set(leading))
        keys = [SortKey(field, descending) for field in (self._sortable(name) for name in ordered) if field]
        if not keys:
            raise QueryError(f"{path!r} is an object without fields that can be sorted on")
        return keys

    def _sortable(self, name: str) -> str | None:
        spec = self.mapping.field(name)
        if spec is None:
            return None
        if spec.type == TEXT:
            return name + KEYWORD_SUFFIX if spec.keyword_subfield else None
        return name


def _by_words(path: str, names: Sequence[str]) -> str | None:
    """The shortest name that has the words of ``path`` (split at '.' and '_') in order, each the start
    of one of its words, beginning with the same word: ``agent_id`` -> ``agent_information.id``."""
    wanted = [word for word in _WORDS.split(path) if word]
    if len(wanted) < 2:
        return None
    found = [name for name in names if _has_words(wanted, [word for word in _WORDS.split(name) if word])]
    return min(found, key=lambda name: (len(name), name)) if found else None


def _has_words(wanted: list[str], words: list[str]) -> bool:
    if not words or words[0] != wanted[0]:
        return False
    position = 1
    for word in wanted[1:]:
        while position < len(words) and not words[position].startswith(word):
            position += 1
        if position == len(words):
            return False
        position += 1
    return True
