"""Seeding: each account's conversations, laid out on the namespace clock, generated once per process.

Ended calls are spread over ``history_days`` before the UTC day of the clock's start, plus a few
earlier the same day; ``in_progress`` calls started minutes before the clock's start and end at
their own pace on the namespace clock. Generating and analysing thousands of documents takes
seconds, and every namespace with the same seed, clock start and fixtures would make the same ones,
so the prepared documents are kept (read-only) and shared by the namespaces that need them.
"""

from __future__ import annotations

from typing import Any

from simulator.core.esfields import Field
from simulator.core.rand import SeededSource
from simulator.core.store import VendorContext
from simulator.vendors.vonage import seed
from simulator.vendors.vonage.models import Account, Prepared, VonageBackend

DAY = 86_400
SHARED_UP_TO = 5_000  # accounts with at most this many seeded conversations share them between namespaces
TODAY_SHARE = 0.02  # of the ended calls, the share placed earlier on the clock's own day
_made: dict[tuple[Any, ...], list[tuple[Prepared, Prepared | None, float]]] = {}


def seeded(ctx: VendorContext) -> VonageBackend:
    """The namespace's backend: the fixtures' accounts, with their conversations unless ``ctx.empty``."""
    backend = VonageBackend(ctx)
    if not ctx.empty:
        populate(backend)
    return backend


def populate(backend: VonageBackend) -> None:
    ctx = backend.ctx
    history = int(ctx.fixtures.get("history_days", 90))
    agents = int(ctx.fixtures.get("agents_per_account", 5))
    for account in backend.accounts.values():
        key = (ctx.source.seed, ctx.clock.start, account, history, agents)
        made = _made.get(key)
        if made is None:
            made = sessions_for(backend, account, history, agents)
            # Shared only when other namespaces can use them: with a clock started at its creation (no
            # --clock-start) no other namespace has the same start, and a kept set would only pin memory.
            if account.seed_sessions <= SHARED_UP_TO and ctx.clock.start_chosen:
                if len(_made) >= 4:
                    _made.pop(next(iter(_made)))
                _made[key] = made
        for prepared, final, ends_at in made:
            backend.add_seeded(account.account_id, prepared, final, ends_at)


def sessions_for(backend: VonageBackend, account: Account, history_days: int,
                 agent_count: int) -> list[tuple[Prepared, Prepared | None, float]]:
    """(document, its finished form if the call is still in progress, when it ends) in start order."""
    source = backend.ctx.source.child(f"account:{account.account_id}")
    agents = seed.agents_for(source.child("agents"), max(agent_count, 1))
    start = backend.ctx.clock.start
    anchor = start - start % DAY
    drafts: list[tuple[float, int, SeededSource]] = []
    for index in range(account.seed_sessions + account.in_progress):
        child = source.child(f"session:{index}")
        if index < account.in_progress:
            at = start  # placed below, once its length is known
        elif child.chance(TODAY_SHARE) and start - anchor > 3600:
            at = anchor + child.uniform(0, start - anchor - 3600)
        else:
            at = anchor - child.uniform(0, history_days * DAY)
        drafts.append((at, index, child))
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    made: list[tuple[Prepared, Prepared | None, float]] = []
    learned: dict[str, Field | None] = {}
    for at, index, child in drafts:
        base, call = seed.conversation(child, agents[index % len(agents)], account.account_id)
        if index >= account.in_progress:
            made.append((Prepared.of(seed.document(base, call, at), backend.mapping, learned), None, 0.0))
            continue
        ran = child.uniform(0.2, 0.8) * call.elapsed / 1000  # seconds of the call before the clock's start
        began = start - ran
        done = next(i for i, offset in enumerate(call.offsets) if offset / 1000 > ran)
        partial = Prepared.of(seed.document(base, call, began, steps=max(done, 1)), backend.mapping, learned)
        finished = seed.document(base, call, began)
        ends = began + finished["channel_data"]["duration"] / 1000
        made.append((partial, Prepared.of(finished, backend.mapping, learned), ends))
    if learned:  # the generator writes only mapped fields; a new one would be a bug in it
        raise AssertionError(f"seeded documents hold unmapped fields: {sorted(learned)}")
    return made
