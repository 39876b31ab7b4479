"""Memoised JSON views: an entity's rendered view is kept until the entity changes.

Lists answer with the same records again and again; serialising each record once per change instead
of once per request is most of the difference between a stateful simulator and a static page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson

T = TypeVar("T", bound="Revisioned")


class Revisioned:
    """Mixin for entities: call :meth:`touch` after any change that alters the entity's view."""

    revision: int = 0
    _rendered: tuple[int, orjson.Fragment] | None = None

    def touch(self) -> None:
        self.revision += 1


def rendered(entity: T, build: Callable[[T], Any]) -> orjson.Fragment:
    """The entity's view, serialised once per revision; embeds verbatim in an ``orjson.dumps``."""
    cached = entity._rendered
    if cached is not None and cached[0] == entity.revision:
        return cached[1]
    fragment = orjson.Fragment(orjson.dumps(build(entity)))
    entity._rendered = (entity.revision, fragment)
    return fragment


def rendered_all(entities: list[T], build: Callable[[T], Any]) -> list[orjson.Fragment]:
    """:func:`rendered` of each entity, in one loop (a list page calls it for every record it shows)."""
    views = []
    for entity in entities:
        cached = entity._rendered
        if cached is None or cached[0] != entity.revision:
            views.append(rendered(entity, build))
        else:
            views.append(cached[1])
    return views


def plain(body: Any) -> Any:
    """A body with its fragments expanded, for validators that need plain JSON values."""
    return orjson.loads(orjson.dumps(body))
