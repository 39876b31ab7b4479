"""What the ``vonage`` section of a fixtures file may hold (read by ``models`` and ``population``)."""

from __future__ import annotations

from simulator.core.fixturerules import Integer, ListOf, OneOf, Record, Text

MAX_SEED_SESSIONS = 100_000  # per account: the search index answers in milliseconds up to this size
MAX_IN_PROGRESS = 100

ACCOUNT = Record(
    {
        "account_id": Text(),
        "api_key": Text(),
        "region": OneOf("us", "eu", fold_case=True),
        "seed_sessions": Integer(0, MAX_SEED_SESSIONS),
        "in_progress": Integer(0, MAX_IN_PROGRESS),
    },
    required=("account_id", "api_key"),
)

SCHEMA = Record({
    "history_days": Integer(1, 3650),
    "agents_per_account": Integer(1, 100),
    "sessions_per_account": Integer(0, MAX_SEED_SESSIONS),  # default of every account's seed_sessions
    "accounts": ListOf(ACCOUNT, unique=("account_id", "api_key")),
})
