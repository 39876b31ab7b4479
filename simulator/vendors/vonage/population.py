"""Seeding: each account's conversations, laid out relative to the namespace clock's start.

Ended calls are spread over the ``history_days`` before the clock's start (none in its last hour);
``in_progress`` calls started minutes before it and end at their own pace on the namespace clock.
Generating and analysing thousands of documents takes seconds, and their layout depends on the
clock's start only through a shift, so each account's documents are generated and indexed once per
process at a fixed baseline start (``layers.BASE_MS``) for a seed and fixtures section, and shared
read-only by every namespace, each seeing them moved to its own start (see ``layers``). Between runs
each baseline is kept as plain data, its index's included (:mod:`simulator.core.baselinecache`), so
a fresh process reads it back instead of generating, analysing and indexing the documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulator.core import baselinecache, esdates, esfields
from simulator.core.esfields import Field
from simulator.core.esfields import Mapping as FieldMapping
from simulator.core.esindex import Index
from simulator.core.rand import SeededSource
from simulator.core.store import VendorContext
from simulator.vendors.vonage import seed
from simulator.vendors.vonage.layers import BASE_MS, START_FIELD
from simulator.vendors.vonage.mapping import FIELDS, TERM_ONLY
from simulator.vendors.vonage.models import Account, Baseline, Prepared, VonageBackend, accounts_of

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
SHARED_UP_TO = 5_000  # accounts with at most this many seeded conversations keep theirs for later namespaces
KEPT = 8  # baselines kept at once (one per account, seed and fixtures section)
SOURCES = (*baselinecache.package_sources(__file__), Path(esfields.__file__), Path(esdates.__file__))
Made = list[tuple[Prepared, Prepared | None, int]]  # (document, its finished form if in progress, when it ends)
_kept: dict[tuple[object, ...], Baseline] = {}


def seeded(ctx: VendorContext) -> VonageBackend:
    """The namespace's backend: the fixtures' accounts, with their conversations unless ``ctx.empty``."""
    if ctx.empty:
        return VonageBackend(ctx)
    return populated(ctx, BASE_MS)


def populated(ctx: VendorContext, base_ms: int) -> VonageBackend:
    """The accounts holding conversations generated at ``base_ms`` and moved to the clock's start;
    the calls in progress end on the clock."""
    backend = backdrop(ctx, base_ms)
    for account_id, sessions in backend.sessions.items():
        shift = sessions.index.shift
        for session_id, (final, ends_ms) in backend.baselines[account_id].endings.items():
            backend.expect_end(account_id, session_id, final, shift, (ends_ms + shift) / 1000)
    return backend


def backdrop(ctx: VendorContext, base_ms: int = BASE_MS) -> VonageBackend:
    """The accounts holding their shared baselines moved to the clock's start, and nothing on the clock
    (what a state document's records are laid over)."""
    shift = math.floor(ctx.clock.start * 1000) - base_ms
    accounts = accounts_of(ctx.fixtures)
    return VonageBackend(ctx, {account_id: baseline(ctx, account, base_ms) for account_id, account in accounts.items()},
                         shift)


def baseline(ctx: VendorContext, account: Account, base_ms: int) -> Baseline:
    history = int(ctx.fixtures.get("history_days", 90))
    agents = int(ctx.fixtures.get("agents_per_account", 5))
    key = (ctx.source.seed, account, history, agents, base_ms)
    found = _kept.get(key)
    if found is not None:
        return found
    if account.seed_sessions > SHARED_UP_TO:  # larger ones would pin much memory: each namespace makes its own
        return build(sessions_for(ctx.source, account, history, agents, base_ms))
    inputs = {"fixtures": dict(ctx.fixtures), "account": account.account_id, "base_ms": base_ms}
    made = baselinecache.cached("vonage", ctx.source, inputs, SOURCES,
                                lambda: build(sessions_for(ctx.source, account, history, agents, base_ms)),
                                to_plain, from_plain)
    if len(_kept) >= KEPT:
        _kept.pop(next(iter(_kept)))
    _kept[key] = made
    return made


def to_plain(base: Baseline) -> tuple[Any, ...]:
    """The baseline as plain data: its index's, the slots, and the calls in progress with their finished form."""
    endings = {session_id: (final.session_id, final.source, final.analyzed, ends_ms)
               for session_id, (final, ends_ms) in base.endings.items()}
    return base.index.to_plain(), dict(base.slots), endings


def from_plain(data: Sequence[Any]) -> Baseline:
    index, slots, endings = data
    if not (type(slots) is dict and type(endings) is dict):
        raise TypeError("not a baseline's plain data")
    finals: dict[str, tuple[Prepared, int]] = {}
    for session_id, (final_id, source, analyzed, ends_ms) in endings.items():
        if not (type(source) is bytes and type(analyzed) is dict and type(ends_ms) is int):
            raise TypeError("not a finished call's plain data")
        finals[session_id] = (Prepared(final_id, source, analyzed), ends_ms)
    return settled(Baseline(Index.from_plain(index), slots, finals))


def build(made: Made) -> Baseline:
    index = Index(compressed=True)
    slots: dict[str, int] = {}
    endings: dict[str, tuple[Prepared, int]] = {}
    for prepared, final, ends_ms in made:
        slot = index.add(prepared.analyzed, prepared.source)
        if prepared.session_id is not None:
            slots[prepared.session_id] = slot
            if final is not None:
                endings[prepared.session_id] = (final, ends_ms)
    return settled(Baseline(index, slots, endings))


def settled(base: Baseline) -> Baseline:
    """``base`` with what reads build lazily built now: namespaces share it from now on."""
    for field in base.index.fields():
        base.index.numeric_range(field, None, True, None, True)
    base.index.numeric_values(START_FIELD)
    return base


def sessions_for(root: SeededSource, account: Account, history_days: int, agent_count: int,
                 start_ms: int) -> list[tuple[Prepared, Prepared | None, int]]:
    """(document, its finished form if the call is still in progress, when it ends in ms) in start order."""
    source = root.child(f"account:{account.account_id}")
    agents = seed.agents_for(source.child("agents"), max(agent_count, 1))
    drafts: list[tuple[int, int, SeededSource]] = []
    for index in range(account.seed_sessions + account.in_progress):
        child = source.child(f"session:{index}")
        if index < account.in_progress:
            at = start_ms  # placed below, once its length is known
        else:
            at = start_ms - HOUR_MS - round(child.uniform(0, history_days * DAY_MS - HOUR_MS))
        drafts.append((at, index, child))
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    mapping = FieldMapping(FIELDS, term_only=TERM_ONLY)
    made: list[tuple[Prepared, Prepared | None, int]] = []
    learned: dict[str, Field | None] = {}
    for at, index, child in drafts:
        base, call = seed.conversation(child, agents[index % len(agents)], account.account_id)
        if index >= account.in_progress:
            made.append((Prepared.of(seed.document(base, call, at), mapping, learned), None, 0))
            continue
        ran = round(child.uniform(0.2, 0.8) * call.elapsed)  # ms of the call before the clock's start
        began = start_ms - ran
        done = next(i for i, offset in enumerate(call.offsets) if offset > ran)
        partial = Prepared.of(seed.document(base, call, began, steps=max(done, 1)), mapping, learned)
        finished = seed.document(base, call, began)
        ends = began + int(finished["channel_data"]["duration"])
        made.append((partial, Prepared.of(finished, mapping, learned), ends))
    if learned:  # the generator writes only mapped fields; a new one would be a bug in it
        raise AssertionError(f"seeded documents hold unmapped fields: {sorted(learned)}")
    return made
