"""The search parameters of ``GET /insights/sessions`` as 003 describes them, checked and turned into a query.

Every problem is an :class:`InvalidParameter` (401, as Vonage answers) naming the parameter and, for
``filter_by``, the clause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from simulator.core.esdates import DateError, parse_date
from simulator.core.esindex import SortKey, sort_field
from simulator.core.esknown import Catalog
from simulator.core.esnodes import BoolNode, Node, RangeNode
from simulator.core.esquery import Findings, QueryError, parse_filter
from simulator.core.jsonlimits import TooDeep, excerpt, loads_bounded
from simulator.vendors.vonage.errors import InvalidParameter
from simulator.vendors.vonage.layers import START_FIELD
from simulator.vendors.vonage.mapping import SORT_LEADS

MAX_RANGE_MS = 60 * 86_400_000
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window: from + size
DEFAULT_SORT = (SortKey(START_FIELD, descending=True),)
MAX_SORT_KEYS = 32
MAX_WARNINGS = 10
MAX_MESSAGE_CHARS = 600


@dataclass(frozen=True)
class Search:
    query: Node
    sort: tuple[SortKey, ...]
    offset: int
    size: int
    includes: list[str] | None
    warnings: list[str]  # accepted as Elasticsearch would, but likely a mistake: for the journal


def parse(params: dict[str, Any], catalog: Catalog, now_ms: int) -> Search:
    # The spec has checked the parameters already, unless the server is lenient: check what is used.
    start = _date(params.get("from_date"), "from_date", round_up=False)
    end = _date(params.get("to_date"), "to_date", round_up=True)
    end_as_given = _date(params.get("to_date"), "to_date", round_up=False)
    if end_as_given < start:
        raise InvalidParameter(f"to_date ({params['to_date']}) is before from_date ({params['from_date']})")
    if end_as_given - start > MAX_RANGE_MS:
        raise InvalidParameter(f"from_date and to_date are more than 60 days apart "
                               f"({params['from_date']} .. {params['to_date']}); the range is limited to 60 days")
    number, size = _count(params, "page_number", 0), _count(params, "page_size", 10)
    if (number + 1) * size > MAX_WINDOW:
        raise InvalidParameter(f"page_number and page_size reach past result {MAX_WINDOW}: (page_number + 1) * "
                               f"page_size must be at most {MAX_WINDOW}")
    query = None
    findings = Findings()
    if params.get("filter_by") is not None:
        try:
            query = parse_filter(_json(params["filter_by"], "filter_by", dict), catalog.mapping, now_ms,
                                 findings=findings)
        except QueryError as error:
            raise InvalidParameter(excerpt(f"filter_by: {error}", MAX_MESSAGE_CHARS)) from None
    warnings = [f"filter_by: {note}" for note in findings.notes]
    warnings += [catalog.describe_unknown(name, "filter_by") for name in catalog.unknown(findings.fields)]
    includes = None
    if params.get("project_fields") is not None:
        fields = _json(params["project_fields"], "project_fields", list)
        if not all(isinstance(item, str) and item for item in fields):
            raise InvalidParameter("project_fields must be a JSON list of field paths (non-empty strings)")
        includes = fields or None  # an empty list filters nothing, like Elasticsearch's empty includes
        warnings += [catalog.describe_unknown(name, "project_fields") for name in catalog.unknown(fields)]
    sort: tuple[SortKey, ...] = DEFAULT_SORT
    if params.get("sort_by"):
        sort = _sort(str(params["sort_by"]), catalog, warnings)
    return Search(within(start, end, query), sort, number * size, size, includes, warnings[:MAX_WARNINGS])


def _count(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidParameter(f"{name} must be a whole number from 0, got {value!r}")
    return value


def _date(text: Any, name: str, round_up: bool) -> int:
    if not isinstance(text, str):
        raise InvalidParameter(f"{name} is required: an ISO 8601 date or date-time")
    try:
        return parse_date(text.replace(" ", "T", 1), round_up)
    except DateError as error:
        raise InvalidParameter(f"{name}: {error}") from None


def _json(text: Any, name: str, kind: type) -> Any:
    try:
        value = loads_bounded(text if isinstance(text, str) else "")
    except TooDeep as error:
        raise InvalidParameter(f"{name} {error}") from None
    except orjson.JSONDecodeError as error:
        raise InvalidParameter(f"{name} is not valid JSON ({error}); URL-encode the braces") from None
    if not isinstance(value, kind):
        raise InvalidParameter(f"{name} must be a JSON {'object' if kind is dict else 'list'}")
    return value


def sort_parts(text: str) -> list[tuple[str, bool]]:
    """``"a:desc, b"`` as ``[("a", True), ("b", False)]``: split and strip only, linear in the text."""
    parts = text.split(",")
    if len(parts) > MAX_SORT_KEYS:
        raise InvalidParameter(f"sort_by: at most {MAX_SORT_KEYS} attributes, got {len(parts)}")
    keys = []
    for part in parts:
        name, colon, direction = part.partition(":")
        name, direction = name.strip(), direction.strip().lower()
        if not name or any(char.isspace() for char in name) or (colon and direction not in ("asc", "desc")):
            raise InvalidParameter(f"sort_by: {excerpt(part.strip())!r} is not '<attribute>:asc' or "
                                   "'<attribute>:desc'")
        keys.append((name, direction == "desc"))
    return keys


def _sort(text: str, catalog: Catalog, warnings: list[str]) -> tuple[SortKey, ...]:
    """Sort keys; an object sorts by its fields (see :meth:`Catalog.object_sort`); a field no document has
    sorts nothing (and is worth a warning); a field the mapping cannot place is Elasticsearch's error."""
    keys: list[SortKey] = []
    for name, descending in sort_parts(text):
        try:
            if catalog.mapping.field(name) is None and catalog.mapping.is_object(name):
                keys += catalog.object_sort(name, descending, SORT_LEADS.get(name, ()))
                continue
            keys.append(SortKey(sort_field(catalog.mapping, name), descending=descending))
        except QueryError as error:
            hint = catalog.suggestion(name) if not catalog.knows(name) else None
            message = f"sort_by: {error}" + (f"; did you mean {hint!r}?" if hint else "")
            raise InvalidParameter(excerpt(message, MAX_MESSAGE_CHARS)) from None
        if not catalog.knows(name):
            warnings.append(catalog.describe_unknown(name, "sort_by"))
    return tuple(keys)


def within(start_ms: int, end_ms: int, query: Node | None) -> Node:
    """Sessions that started between two instants (inclusive) and match the filter."""
    started = RangeNode(START_FIELD, start_ms, True, end_ms, True, numeric=True)
    return BoolNode([started] if query is None else [started, query], [], [], 0)
