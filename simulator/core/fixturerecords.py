"""Hand-made records in a fixtures file: ``records:`` in a vendor's section, in the shape of that vendor's
tables in a state document (``{table: {key: record}}``).

They are checked when the file loads, against the vendor codec's schema, and merged over the seeded
records when the vendor is first touched in a namespace: a record with a seeded record's key replaces
it, others are added. An empty namespace (tenants and credentials only) gets none of them, as it gets
no other hand-picked fixture records.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from simulator.core.fixturerules import FixtureProblem, child
from simulator.core.records import RecordCodec
from simulator.core.store import BackendFactory, VendorContext

RECORDS = "records"


class CodecTables:
    """The rule of a ``records`` key: the vendor codec's schema, checked with a compiled validator."""

    def __init__(self, codec: RecordCodec):
        self._schema = codec.schema

    @cached_property
    def _validator(self) -> Any:
        import jsonschema_rs

        return jsonschema_rs.validator_for(dict(self._schema))

    def check(self, value: Any, path: str) -> None:
        for error in self._validator.iter_errors(value):
            where = path
            for part in error.instance_path:
                where = f"{where}[{part}]" if isinstance(part, int) else child(where, str(part))
            raise FixtureProblem(where, str(error.message)[:200])


def with_records(factory: BackendFactory, codec: RecordCodec | None) -> BackendFactory:
    """``factory``, with the ``records`` of the vendor's fixtures section merged over what it seeds."""
    if codec is None:
        return factory

    def build(ctx: VendorContext) -> Any:
        backend = factory(ctx)
        records: Mapping[str, Mapping[str, Any]] | None = ctx.fixtures.get(RECORDS)
        if not records or ctx.empty:
            return backend
        tables = codec.dump(backend)
        for table, rows in records.items():
            tables[table] = {**tables.get(table, {}), **rows}
        return codec.load(ctx, tables)

    return build
