"""Turning an HTTP request into one operation call: route, validate, authenticate, handle, render.

The dispatcher knows operations, not vendors: each bound operation brings its handler, its error
shape, its security verifiers and the name of the backend whose state it uses.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson

from simulator.core.auth import TokenTime
from simulator.core.blobs import Blob, byte_range
from simulator.core.clock import monotonic
from simulator.core.errors import (
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    SimulatorError,
    Unauthorized,
)
from simulator.core.faulteffects import SEND_EFFECT, apply_faults, send_faulty
from simulator.core.guard import AdminGuard
from simulator.core.jsonlimits import excerpt
from simulator.core.limits import RequestLimits
from simulator.core.render import plain
from simulator.core.spec import Operation
from simulator.core.store import DEFAULT_NAMESPACE, Namespace, Registry
from simulator.core.validation import Validator

logger = logging.getLogger("simulator")
_PARAM = re.compile(r"\{([^}/]+)\}")
JSON = "application/json"


@dataclass
class Reply:
    """What a handler returns: a JSON-able body (or a Blob / raw bytes) with status and headers."""

    body: Any = None
    status: int = 200
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    operation: Operation
    namespace_name: str
    registry: Registry
    backend: Any
    params: dict[str, Any]
    body: Any
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    path: str
    scope: Any
    principal: Any = None

    def warn(self, message: str) -> None:
        """Journal a warning with this request: accepted as the vendor would, but likely a client mistake."""
        self.scope.setdefault("sim.warnings", []).append(message)

    @property
    def namespace(self) -> Namespace:
        """The caller's namespace, created on first use (server-wide operations never touch it)."""
        return self.registry.get(self.namespace_name)

    def now(self) -> float:
        return self.namespace.clock.timestamp()

    def token_time(self) -> TokenTime:
        """The instant JWTs are judged at: wall time unless the namespace asks for its own clock."""
        return self.namespace.token_time()

    @property
    def base_url(self) -> str:
        """scheme://host plus ``/_ns/NAME`` (but for ``default``), for links back to the simulator.

        Links carry their namespace whichever way the caller chose it (prefix or header), so a plain
        GET of an issued URL, from a browser or ffmpeg, reaches the namespace that issued it.
        """
        server = self.scope.get("server") or ("127.0.0.1", 80)
        host = self.headers.get("host") or f"{server[0]}:{server[1]}"
        prefix = "" if self.namespace_name == DEFAULT_NAMESPACE else f"/_ns/{self.namespace_name}"
        return f"{self.scope.get('scheme', 'http')}://{host}{prefix}"


Handler = Callable[[Call], Reply | Awaitable[Reply]]
Verifier = Callable[[Call], Any]


class ErrorShape(Protocol):
    def render(self, error: SimulatorError) -> Reply: ...


@dataclass(frozen=True)
class Binding:
    operation: Operation
    handler: Handler
    backend: str | None
    errors: ErrorShape
    verifiers: Mapping[str, Verifier]
    validator: Validator
    guarded: bool = False  # an admin operation that asks for the admin token when the server has one


@dataclass
class _Route:
    pattern: re.Pattern[str]
    by_method: dict[str, Binding]


@dataclass(frozen=True)
class Area:
    """A path prefix owned by one vendor (or the admin API), for shaping 404/405 answers."""

    prefix: str
    errors: ErrorShape


def compile_path(template: str) -> re.Pattern[str]:
    parts = _PARAM.split(template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}\\Z")


class Dispatcher:
    def __init__(self, registry: Registry, areas: list[Area], fallback: ErrorShape, *, lenient: bool,
                 validate_responses: bool, limits: RequestLimits | None = None, guard: AdminGuard | None = None):
        self.registry = registry
        self.limits = limits or RequestLimits()
        self.guard = guard or AdminGuard()
        self.routes: list[_Route] = []
        self._areas = sorted(areas, key=lambda a: len(a.prefix), reverse=True)
        self._fallback = fallback
        self.lenient = lenient
        self.validate_responses = validate_responses

    def add(self, binding: Binding) -> None:
        op = binding.operation
        for route in self.routes:
            if route.pattern.pattern == compile_path(op.path).pattern:
                route.by_method[op.method] = binding
                return
        self.routes.append(_Route(compile_path(op.path), {op.method: binding}))
        # Literal segments win over parameters (/sessions/search/{id} before /sessions/{id}/x).
        self.routes.sort(key=lambda r: r.pattern.pattern.count("(?P<"))

    def _area(self, path: str) -> ErrorShape:
        for area in self._areas:
            if path.startswith(area.prefix):
                return area.errors
        return self._fallback

    def _match(self, method: str, path: str) -> tuple[Binding, dict[str, str]]:
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

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Raw ASGI: no Request/Response objects on the hot path (they cost more than the work)."""
        # One pass over the raw headers; names are lower case in ASGI. A repeated header keeps its last value.
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        method: str = scope["method"]
        reply, binding = await self.handle(scope, receive, headers)
        try:
            status, extra, content, media_type = self._render(reply, binding, headers, scope)
        except Exception as bug:  # a reply that cannot be rendered is a simulator bug: say so in the vendor's shape
            logger.exception("cannot render the answer to %s %s", method, scope["path"])
            failed = (binding.errors if binding else self._area(scope["path"])).render(_bug(bug))
            status, extra, content, media_type = failed.status, failed.headers, orjson.dumps(failed.body), JSON
        raw_headers = [(b"content-length", str(len(content)).encode())]
        if media_type:
            raw_headers.append((b"content-type", media_type.encode()))
        raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        scope["sim.status"] = status
        # Stage "faults", send side: a disconnect or slow body chosen for this call spoils the answer.
        send_effect = scope.get(SEND_EFFECT)
        if send_effect is not None:
            await send_faulty(send_effect, send, status, raw_headers, b"" if method == "HEAD" else content)
            return
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else content})

    async def handle(self, scope: Any, receive: Any, headers: dict[str, str]) -> tuple[Reply, Binding | None]:
        path: str = scope["path"]
        errors = self._area(path)
        binding: Binding | None = None
        namespace: Namespace | None = None
        try:
            self.limits.check_head(scope)
            binding, path_params = self._match(scope["method"], path)
            errors = binding.errors
            if binding.guarded:
                self.guard.check(headers)
            self.limits.check_declared_length(headers)
            name = scope.get("sim.namespace", "default")
            # Server-wide admin operations (health, namespace management) must not create the
            # namespace they are called in: deleting "default" and then inspecting it is a 404.
            if not binding.operation.extensions.get("x-sim-server-wide"):
                namespace = self.registry.get(name)
                namespace.active += 1
                namespace.last_used = monotonic()
                await namespace.ready(binding.backend)
                await namespace.catch_up()
            scope["sim.operation"] = binding
            # Stage "faults" (core/faulteffects.py): a namespace without a plan costs this one check.
            if namespace is not None and namespace.faults is not None:
                injected = await apply_faults(namespace.faults, binding.backend, binding.operation.operation_id,
                                              path, namespace.clock.timestamp(), scope, errors)
                if injected is not None:
                    return injected, binding
            raw_body = await self.limits.read_body(receive) if binding.operation.body is not None else b""
            raw_query: bytes = scope.get("query_string", b"")
            query_items = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else []
            checked = binding.validator.check_request(
                binding.operation, path_params, query_items, headers, raw_body, headers.get("content-type"),
            )
            scope["sim.violations"] = checked.violations
            call = Call(
                operation=binding.operation, namespace_name=name, registry=self.registry,
                backend=namespace.state(binding.backend) if namespace and binding.backend else None,
                params=checked.params, body=checked.body, headers=headers,
                query=dict(query_items), path=path, scope=scope,
            )
            call.principal = _authenticate(binding, call)
            if checked.violations and (checked.unusable or not self.lenient):
                raise InvalidRequest(checked.violations)
            for name in checked.invalid_optional:  # lenient: an unusable optional value is as if absent
                call.params.pop(name, None)
            reply = binding.handler(call)
            if inspect.isawaitable(reply):  # handlers that wait for the namespace (clock changes) are async
                reply = await reply
        except SimulatorError as error:
            reply = errors.render(error)
        except Exception as bug:
            violations = scope.get("sim.violations")
            if violations:  # lenient mode tried to serve a request it could not: name what is wrong with it
                reply = errors.render(InvalidRequest(violations))
            else:  # a bug in the simulator: answer in the vendor's shape and say so
                logger.exception("unhandled error serving %s %s", scope["method"], path)
                reply = errors.render(_bug(bug))
        finally:
            if namespace is not None:
                namespace.active -= 1
        return reply, binding

    def _render(self, reply: Reply, binding: Binding | None, headers: dict[str, str],
                scope: Any) -> tuple[int, dict[str, str], bytes, str | None]:
        """(status, headers, content, media type) of a reply."""
        if isinstance(reply.body, Blob):
            return _blob_parts(reply, headers.get("range"), binding)
        if reply.body is None:
            return reply.status, reply.headers, b"", None
        if isinstance(reply.body, bytes):
            return reply.status, reply.headers, reply.body, reply.media_type
        content = orjson.dumps(reply.body)
        if self.validate_responses and binding is not None:
            problems = binding.validator.check_response(binding.operation, reply.status, reply.media_type,
                                                        plain(reply.body))
            if problems:
                scope["sim.response_violations"] = problems
                failed = binding.errors.render(SimulatorError(
                    "The simulator produced a response that breaks its own spec", 500, "self_check_failed", problems))
                return failed.status, failed.headers, orjson.dumps(failed.body), JSON
        return reply.status, reply.headers, content, reply.media_type


def _bug(bug: Exception) -> SimulatorError:
    return SimulatorError(excerpt(f"Simulator bug: {type(bug).__name__}: {bug}", 300), 500)


def _blob_parts(reply: Reply, range_header: str | None,
                binding: Binding | None) -> tuple[int, dict[str, str], bytes, str | None]:
    blob: Blob = reply.body
    headers = {"Accept-Ranges": "bytes", **reply.headers}
    if blob.filename:
        headers["Content-Disposition"] = f'attachment; filename="{blob.filename}"'
    try:
        window = byte_range(range_header, blob.size)
    except SimulatorError as error:
        if binding is None:
            raise
        failed = binding.errors.render(error)
        return failed.status, failed.headers, orjson.dumps(failed.body), failed.media_type
    if window is None:
        return reply.status, headers, blob.read(0, blob.size), blob.media_type
    start, end = window
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{blob.size}"
    return 206, headers, blob.read(start, end), blob.media_type


def _authenticate(binding: Binding, call: Call) -> Any:
    alternatives = binding.operation.security
    if not alternatives or any(len(schemes) == 0 for schemes in alternatives):
        return None
    first_failure: SimulatorError | None = None
    for schemes in alternatives:
        try:
            principal = None
            for scheme in schemes:
                principal = binding.verifiers[scheme](call)
            return principal
        except Unauthorized as failure:
            first_failure = first_failure or failure
    assert first_failure is not None
    raise first_failure
