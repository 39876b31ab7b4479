"""``/_sim/state``: a namespace as one JSON document - read it, replace it, read its schema - and copying
a namespace (``POST /_sim/namespaces/{name}/copy``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import orjson

from simulator.core import statedoc
from simulator.core.dispatch import Call, Handler, Reply
from simulator.core.errors import BadRequest, Conflict, SimulatorError, Violation
from simulator.core.records import RecordCodec, StateError
from simulator.core.stateschema import DocumentSchema, escape
from simulator.core.store import Namespace, Registry

SCHEMA_URL = "/_sim/state/schema"
_schemas: dict[int, tuple[Mapping[str, RecordCodec], DocumentSchema]] = {}  # id(codecs) -> (codecs, schema)


def document_schema(registry: Registry) -> DocumentSchema:
    """The schema of this server's documents, built once per set of codecs."""
    codecs = registry.config.codecs
    found = _schemas.get(id(codecs))
    if found is None or found[0] is not codecs:
        found = _schemas[id(codecs)] = (codecs, DocumentSchema(codecs))
    return found[1]


catalog = statedoc.catalog_of


def _invalid(path: list[str] | tuple[str, ...], rule: str, message: str) -> BadRequest:
    field = ".".join(["body", *path])
    pointer = "".join(f"/{escape(part)}" for part in path) or "/"
    return BadRequest(f"{field} (JSON pointer {pointer}): {message}", "invalid_state",
                      [Violation(field, rule, message)])


def _split(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _refusal(error: StateError) -> SimulatorError:
    """A document the schema admits but this server's fixtures or specs refuse (a record of an unknown
    tenant, a fault rule naming an unknown operation): 409, as for fault rules that do not fit."""
    # StateError messages start with the JSON pointer of the offending part when they know it
    pointer, _, detail = str(error).partition(": ")
    path = _split(pointer) if pointer.startswith("/") and detail else []
    named = _invalid(path, SCHEMA_URL, detail if path else str(error))
    return SimulatorError(named.message, 409, "state_conflict", named.violations)


def _prepared(registry: Registry, namespace: Namespace, document: Any) -> Callable[[], None]:
    """What swaps ``document`` into ``namespace``; else a 400 naming what breaks the schema, or a 409 naming
    the rule it breaks (the namespace untouched either way)."""
    problem = document_schema(registry).problem(document)
    if problem is not None:
        raise _invalid(problem.path, f"{SCHEMA_URL}{problem.rule}", problem.message)
    try:
        return statedoc.prepare(namespace, document, catalog(registry))
    except StateError as error:
        raise _refusal(error) from None


async def get_state(call: Call[Any]) -> Reply:
    namespace = call.namespace
    # Off the event loop, while this namespace's requests wait: a large namespace takes a while.
    raw = await namespace.exclusive(lambda: orjson.dumps(statedoc.dump(namespace)))
    return Reply(orjson.Fragment(raw))


async def put_state(call: Call[Any]) -> Reply:
    namespace = call.namespace
    install = await namespace.exclusive(partial(_prepared, call.registry, namespace, call.body))
    install()
    return Reply({"namespace": namespace.name, "loaded": True, "vendors": namespace.seeded_vendors(),
                  "effects": len(namespace.queue)})


def get_state_schema(call: Call[Any]) -> Reply:
    return Reply(document_schema(call.registry).document)


async def copy_namespace(call: Call[Any]) -> Reply:
    registry = call.registry
    source = registry.existing(call.params["name"])
    target_name = call.body["to"]
    if registry.find(target_name) is not None:
        raise Conflict(f"body.to: namespace {target_name!r} already exists; delete it first", "namespace_exists")
    # Through bytes, as a saved file would go: the copy shares no object with its source.
    raw = await source.exclusive(lambda: orjson.dumps(statedoc.dump(source)))
    if registry.find(target_name) is not None:  # created while the source was being read
        raise Conflict(f"body.to: namespace {target_name!r} already exists; delete it first", "namespace_exists")
    target = registry.get(target_name)  # a bad name is refused here (400), before anything is made
    try:
        install = await target.exclusive(lambda: statedoc.prepare(target, orjson.loads(raw), catalog(registry)))
    except StateError as error:  # the source's own document: only a vendor bug gets here
        registry.delete(target_name)
        raise _refusal(error) from None
    except BaseException:
        registry.delete(target_name)
        raise
    install()
    return Reply({"namespace": target.name, "from": source.name, "vendors": target.seeded_vendors()},
                 status=201)


HANDLERS: dict[str, Handler] = {
    "getState": get_state,
    "putState": put_state,
    "getStateSchema": get_state_schema,
    "copyNamespace": copy_namespace,
}
