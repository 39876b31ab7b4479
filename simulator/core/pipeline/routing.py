"""Which bound operation a method and path name, and which error shape answers a path no operation owns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.core.errors import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from simulator.core.dispatch import Area, Binding, ErrorShape

_PARAM = re.compile(r"\{([^}/]+)\}")


def compile_path(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}\\Z")


@dataclass
class _Route:
    pattern: re.Pattern[str]
    by_method: dict[str, Binding]


class Router:
    def __init__(self, areas: list[Area], fallback: ErrorShape):
        self.routes: list[_Route] = []
        self._areas = sorted(areas, key=lambda a: len(a.prefix), reverse=True)
        self._fallback = fallback

    def add(self, binding: Binding) -> None:
        op = binding.operation
        pattern = compile_path(op.path)
        for route in self.routes:
            if route.pattern.pattern == pattern.pattern:
                route.by_method[op.method] = binding
                return
        self.routes.append(_Route(pattern, {op.method: binding}))
        # Literal segments win over parameters (/sessions/search/{id} before /sessions/{id}/x).
        self.routes.sort(key=lambda r: r.pattern.pattern.count("(?P<"))

    def area(self, path: str) -> ErrorShape:
        for area in self._areas:
            if path.startswith(area.prefix):
                return area.errors
        return self._fallback

    def match(self, method: str, path: str) -> tuple[Binding, dict[str, str]]:
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            binding = route.by_method.get(method) or (route.by_method.get("GET") if method == "HEAD" else None)
            if binding is not None:
                return binding, found.groupdict()
            allowed.extend(route.by_method)
        if allowed:
            raise MethodNotAllowed(f"Method {method} is not allowed on {path}; use {', '.join(allowed)}", allowed)
        raise NotFound(f"No operation matches {method} {path}")
