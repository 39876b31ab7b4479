"""``memo``: a made-up vendor with a record codec and one timed effect, for the ``--state-dir`` tests.

Run as a module it serves the real vendors plus this one, as ``python3 -m simulator serve`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from simulator.core.dispatch import Call, Reply
from simulator.core.errors import NotFound, SimulatorError
from simulator.core.plugin import VendorPlugin
from simulator.core.records import Tables, from_data, to_data
from simulator.core.store import VendorContext


@dataclass
class Memo:
    key: str
    text: str
    stamped: bool = False


class MemoBackend:
    def __init__(self, ctx: VendorContext, memos: dict[str, Memo] | None = None):
        self.ctx = ctx
        self.memos: dict[str, Memo] = {} if memos is None else memos

    def put(self, key: str, text: str, stamp_after: float | None) -> Memo:
        memo = self.memos[key] = Memo(key, text)
        if stamp_after is not None:
            self.ctx.later(self.ctx.now() + stamp_after, "stamp", {"key": key}, f"stamp memo {key}")
        return memo

    def find(self, key: str) -> Memo:
        if key not in self.memos:
            raise NotFound(f"no memo {key!r}")
        return self.memos[key]


def stamp(backend: MemoBackend, args: Mapping[str, Any]) -> None:
    memo = backend.memos.get(args["key"])
    if memo is not None:
        memo.stamped = True


class MemoCodec:
    schema: Mapping[str, Any] = {"type": "object"}

    def dump(self, backend: MemoBackend) -> Tables:
        return {"memos": {key: to_data(memo) for key, memo in backend.memos.items()}}

    def load(self, ctx: VendorContext, tables: Mapping[str, Mapping[str, Any]]) -> MemoBackend:
        return MemoBackend(ctx, {key: from_data(Memo, data) for key, data in tables.get("memos", {}).items()})


class MemoErrors:
    def render(self, error: SimulatorError) -> Reply:
        return Reply({"error": error.message}, status=400 if error.status == 422 else error.status)


def _view(memo: Memo) -> Reply:
    return Reply(to_data(memo))


def get_memo(call: Call[MemoBackend]) -> Reply:
    return _view(call.backend.find(call.params["key"]))


def put_memo(call: Call[MemoBackend]) -> Reply:
    return _view(call.backend.put(call.params["key"], call.body["text"], call.body.get("stamp_after")))


def delete_memo(call: Call[MemoBackend]) -> Reply:
    return _view(call.backend.memos.pop(call.backend.find(call.params["key"]).key))


PLUGIN = VendorPlugin(
    name="memo",
    spec_file=str(Path(__file__).with_name("memo.yaml")),  # absolute: found outside specs/
    prefixes=("/memo/",),
    handlers={"getMemo": get_memo, "putMemo": put_memo, "deleteMemo": delete_memo},
    verifiers={},
    errors=MemoErrors(),
    backend=MemoBackend,
    effects={"stamp": stamp},
    records=MemoCodec(),
)


def vendors() -> tuple[VendorPlugin, ...]:
    from simulator.app import VENDORS

    return (*VENDORS, PLUGIN)


if __name__ == "__main__":
    import simulator.app
    from simulator.cli import main

    simulator.app.create_app = partial(simulator.app.create_app, vendors=vendors())
    sys.exit(main(["serve", *sys.argv[1:]]))
