"""Fixtures files: read with bounds, parse, check against every vendor's declared rules.

Everything that can be wrong with a file is found here, at start, and told in one line naming the
file and where: ``fixtures.yaml:12:5: ...`` for YAML syntax, ``fixtures.yaml: prevail.organisations[0]
.seed_requests: must be an integer ...`` for content. A hostile file cannot stall the loader: its size
is bounded, and before anything is built the event stream is scanned once to refuse nesting deeper
than :data:`MAX_DEPTH` and aliases that would expand past :data:`MAX_NODES` values ("billion
laughs"), or that refer to themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulator.core.fixturerecords import RECORDS, CodecTables
from simulator.core.fixturerules import FixtureProblem, Record, show
from simulator.core.jsonlimits import MAX_DEPTH
from simulator.core.plugin import VendorPlugin

MAX_FILE_BYTES = 4 * 1024 * 1024  # a generous fixtures file is a few KB; seeded records are generated
MAX_NODES = 100_000  # values in the file once every alias is expanded
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: faster, same results
MERGE_KEY = "<<"


class FixturesError(ValueError):
    """A fixtures file that cannot be used; the message is one line naming the file and the problem."""


def schema(vendors: Sequence[VendorPlugin]) -> Record:
    """The whole file: one optional section per vendor, each checked by the rules the vendor declares.

    A vendor whose records are data (it has a record codec) also takes ``records:``, its tables as a
    state document holds them, checked against the codec's schema.
    """
    return Record({plugin.name: _section(plugin) for plugin in vendors}, noun="vendor")


def _section(plugin: VendorPlugin) -> Record:
    declared = plugin.fixture_schema
    if plugin.records is None:
        return declared
    return Record({**declared.fields, RECORDS: CodecTables(plugin.records)}, declared.required, declared.checks,
                  declared.noun)


def load(path: Path, vendors: Sequence[VendorPlugin]) -> dict[str, Any]:
    data = parse(path)
    if not isinstance(data, dict):
        raise FixturesError(f"{path}: must be a mapping of vendor sections "
                            f"({', '.join(p.name for p in vendors)}), not {show(data)}")
    try:
        schema(vendors).check(data, "")
    except FixtureProblem as problem:
        raise FixturesError(f"{path}: {problem.path}: {problem.message}") from None
    return data


def parse(path: Path, what: str = "fixtures") -> Any:
    """The file's value ({} for an empty file), or :class:`FixturesError`; ``what`` names the kind of file."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise FixturesError(f"{path}: cannot read the {what} file: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise FixturesError(f"{path}: the {what} file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FixturesError(f"{path}: not UTF-8 text (byte {error.start} cannot be decoded)") from None
    try:
        _scan(text)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        raise FixturesError(_marked(path, error)) from None
    except yaml.YAMLError as error:
        raise FixturesError(f"{path}: {' '.join(str(error).split())}") from None
    return {} if data is None else data


def _marked(path: Path, error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    if "maximum nesting depth" in (error.problem or ""):
        # libyaml 0.2.5 and later stop at 1000 levels while scanning ahead of the events that the
        # depth check reads: the same refusal, in the same words, whichever libyaml is installed.
        return f"{where}: nested more than {MAX_DEPTH} levels deep"
    context = f"{error.context}: " if error.context else ""
    return f"{where}: {context}{error.problem or 'invalid YAML'}"


@dataclass
class _Open:
    """A sequence or mapping being scanned."""

    anchor: str | None
    mapping: bool
    size: int = 1  # values within it, aliases expanded, itself included
    height: int = 1  # levels of nesting within it, aliases expanded
    items: int = 0  # events seen directly within it: a mapping alternates key, value
    keys: set[str] = field(default_factory=set)


def _scan(text: str) -> None:
    """Refuse deep nesting, alias bombs, recursive aliases and duplicate keys, before building anything."""
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (size, height) of the finished node
    stack: list[_Open] = []
    total = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            if done.anchor is not None:
                anchors[done.anchor] = (done.size, done.height)
            total = _add(stack, total, done.size, done.height, event)
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        parent = stack[-1] if stack else None
        if parent is not None:
            if parent.mapping and parent.items % 2 == 0 and isinstance(event, yaml.ScalarEvent):
                _new_key(parent, event)
            parent.items += 1
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise _problem(event, f"alias *{event.anchor} refers to no finished anchor (an alias cannot "
                                      "refer to itself or to an anchor further down)")
            size, height = anchors[event.anchor]
            total = _add(stack, total, size, height, event)
            continue
        if event.anchor is not None and (event.anchor in anchors or any(o.anchor == event.anchor for o in stack)):
            raise _problem(event, f"anchor &{event.anchor} is defined twice")
        if isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            total = _add(stack, total, 1, 0, event)
            continue
        stack.append(_Open(event.anchor, isinstance(event, yaml.MappingStartEvent)))
        if len(stack) > MAX_DEPTH:
            raise _problem(event, f"nested more than {MAX_DEPTH} levels deep")


def _new_key(mapping: _Open, event: yaml.ScalarEvent) -> None:
    if event.value != MERGE_KEY and event.value in mapping.keys:
        raise _problem(event, f"duplicate key {event.value[:40]!r} in a mapping (the first would be lost)")
    mapping.keys.add(event.value)


def _add(stack: list[_Open], total: int, size: int, height: int, event: yaml.Event) -> int:
    """Count a finished value into its parent (or the document); refuse once the file grows too large."""
    if len(stack) + height > MAX_DEPTH:
        raise _problem(event, f"nested more than {MAX_DEPTH} levels deep once aliases are expanded")
    if stack:
        parent = stack[-1]
        parent.size += size
        parent.height = max(parent.height, height + 1)
        grown = parent.size
    else:
        total += size
        grown = total
    if grown > MAX_NODES:
        raise _problem(event, f"more than {MAX_NODES} values once aliases are expanded (an alias bomb?)")
    return total


def _problem(event: yaml.Event, message: str) -> yaml.MarkedYAMLError:
    mark: Any = event.start_mark  # libyaml's events carry their own Mark type, with the same line and column
    return yaml.MarkedYAMLError(problem=message, problem_mark=mark)
