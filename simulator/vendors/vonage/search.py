"""The search parameters of ``GET /insights/sessions`` as 003 describes them, checked and turned into a query.

Every problem is an :class:`InvalidParameter` (401, as Vonage answers) naming the parameter and, for
``filter_by``, the clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from simulator.core.esdates import DateError, parse_date
from simulator.core.esfields import Mapping
from simulator.core.esindex import SortKey, sort_field
from simulator.core.esnodes import Node
from simulator.core.esquery import QueryError, parse_filter
from simulator.vendors.vonage.models import START_FIELD, InvalidParameter, within

MAX_RANGE_MS = 60 * 86_400_000
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window: from + size
DEFAULT_SORT = (SortKey(START_FIELD, descending=True),)
_SORT_PART = re.compile(r"^\s*([^:\s][^:]*?)\s*(?::\s*(asc|desc|ASC|DESC|Asc|Desc)\s*)?$")


@dataclass(frozen=True)
class Search:
    query: Node
    sort: tuple[SortKey, ...]
    offset: int
    size: int
    includes: list[str] | None


def parse(params: dict[str, Any], mapping: Mapping, now_ms: int) -> Search:
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
    if params.get("filter_by") is not None:
        try:
            query = parse_filter(_json(params["filter_by"], "filter_by", dict), mapping, now_ms)
        except QueryError as error:
            raise InvalidParameter(f"filter_by: {error}") from None
    includes = None
    if params.get("project_fields") is not None:
        fields = _json(params["project_fields"], "project_fields", list)
        if not all(isinstance(item, str) and item for item in fields):
            raise InvalidParameter("project_fields must be a JSON list of field paths (non-empty strings)")
        includes = fields or None  # an empty list filters nothing, like Elasticsearch's empty includes
    sort = _sort(str(params["sort_by"]), mapping) if params.get("sort_by") else DEFAULT_SORT
    return Search(within(start, end, query), sort, number * size, size, includes)


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
        value = orjson.loads(text if isinstance(text, str) else "")
    except orjson.JSONDecodeError as error:
        raise InvalidParameter(f"{name} is not valid JSON ({error}); URL-encode the braces") from None
    if not isinstance(value, kind):
        raise InvalidParameter(f"{name} must be a JSON {'object' if kind is dict else 'list'}")
    return value


def _sort(text: str, mapping: Mapping) -> tuple[SortKey, ...]:
    keys = []
    for part in text.split(","):
        found = _SORT_PART.match(part)
        if not found:
            raise InvalidParameter(f"sort_by: {part.strip()!r} is not '<attribute>:asc' or '<attribute>:desc'")
        name, direction = found.groups()
        try:
            keys.append(SortKey(sort_field(mapping, name), descending=(direction or "asc").lower() == "desc"))
        except QueryError as error:
            raise InvalidParameter(f"sort_by: {error}") from None
    return tuple(keys)
