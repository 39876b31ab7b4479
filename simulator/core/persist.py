"""``--state-dir``: namespaces kept in SQLite across restarts, a row per entity.

The file ``state.sqlite3`` in the state directory holds, per namespace, one ``meta`` row per
top-level key of its state document other than ``vendors`` (seed, clock, effects, fault plan, ...;
opaque JSON here) and one ``records`` row per (vendor, table, key) record its vendor's codec dumps.

A write is durable once its answer is sent: the pipeline's persist stage calls :meth:`StateStore.save`
before the answer goes out, and the commit happens there, on the event loop, so the rows written are
exactly the state the answer describes. Nothing is rewritten wholesale: a hash of every row as last
written is kept in memory, and a save writes only the rows whose hash changed and deletes the rows
that are gone. WAL mode with ``synchronous=NORMAL`` makes a commit survive the process being killed
(not a power cut) without an fsync per request.

Namespaces load lazily: opening the store reads no record; the first use of a stored namespace
(:meth:`StateStore.load_into`) builds it from its rows. A vendor without a record codec is not kept
(its records seed afresh after a restart, and its pending effects are dropped with them).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from simulator.core import statedoc
from simulator.core.clock import wall_time
from simulator.core.persist_error import StoreError
from simulator.core.records import RecordCodec, StateError
from simulator.core.store import Namespace

__all__ = ["FILE_NAME", "StateStore", "StoreError"]

logger = logging.getLogger("simulator")
FILE_NAME = "state.sqlite3"
_DUMPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulator-state-dir")
SCHEMA_VERSION = "1"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS store (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY (namespace, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS records (namespace TEXT NOT NULL, vendor TEXT NOT NULL, tbl TEXT NOT NULL,"
    " key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (namespace, vendor, tbl, key)) WITHOUT ROWID",
)
RowKey = tuple[str, str, str]  # (vendor, table, key)
# Meta key: the wall time of the save, for a running clock (None for a frozen one). A running clock runs
# on while the server is down, as if it had never stopped: its offset from wall time is what is kept.
WALL_AT_SAVE = "wall_at_save"


def _digest(data: bytes | str) -> bytes:
    return hashlib.blake2b(data.encode() if isinstance(data, str) else data, digest_size=16).digest()


@dataclass
class _Written:
    """What the store holds for one namespace, as hashes of the rows last written."""

    meta: dict[str, bytes] = field(default_factory=dict)
    records: dict[str, dict[RowKey, bytes]] = field(default_factory=dict)  # vendor -> row -> hash
    fired: int = 0  # the namespace's fired-effects count when last saved


@dataclass
class _Batch:
    meta: list[tuple[str, str, bytes]] = field(default_factory=list)
    upserts: list[tuple[str, str, str, str, bytes]] = field(default_factory=list)
    deletes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.meta) + len(self.upserts) + len(self.deletes)


@dataclass(eq=False)  # one save is one save: found in the list under way by identity
class _Save:
    """One save under way: meta already diffed, the chosen vendors' records to dump and diff."""

    store: StateStore
    namespace: Namespace
    written: _Written
    fresh: bool
    vendors: list[str]
    batch: _Batch = field(default_factory=_Batch)
    dropped: bool = False  # its namespace was deleted meanwhile

    def diff_vendors(self) -> None:
        for vendor in self.vendors:
            self.store.diff_vendor(self.namespace, vendor, self.written, self.batch)


class StateStore:
    """Every namespace of one server, kept in ``DIR/state.sqlite3``."""

    def __init__(self, connection: sqlite3.Connection, path: Path, codecs: Mapping[str, RecordCodec]):
        self._db = connection
        self.path = path
        self._codecs = codecs
        self._written: dict[str, _Written] = {}  # namespaces whose rows this process knows
        self._under_way: list[_Save] = []  # saves dumping records on the worker thread
        # checks stored fault rules and finds rate-limit tenants when a namespace loads (set by the app)
        self.catalog: statedoc.Catalog | None = None

    @classmethod
    def open(cls, directory: Path, codecs: Mapping[str, RecordCodec], vendors: Iterable[str] = ()) -> StateStore:
        """The store in ``directory`` (created if missing); :class:`StoreError` if it cannot be used."""
        path = directory / FILE_NAME
        try:
            directory.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=1.0)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open state file {path}: {_reason(error)}") from None
        try:
            # One server per directory: the first write takes a lock held until the store closes
            # (the system drops it when the process dies, even by kill -9).
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            found = connection.execute("SELECT value FROM store WHERE key = 'version'").fetchone()
            connection.execute("INSERT OR IGNORE INTO store VALUES ('version', ?)", (SCHEMA_VERSION,))
            connection.execute("COMMIT")
            if found is not None and found[0] != SCHEMA_VERSION:
                raise StoreError(f"cannot open state file {path}: it is version {found[0]}, this simulator "
                                 f"reads version {SCHEMA_VERSION}")
        except sqlite3.Error as error:
            connection.close()
            reason = _reason(error)
            if "locked" in reason:
                reason += " (another simulator serves this --state-dir)"
            raise StoreError(f"cannot open state file {path}: {reason}") from None
        except StoreError:
            connection.close()
            raise
        unkept = sorted(set(vendors) - set(codecs))
        if unkept:  # said once, at start-up
            logger.warning("--state-dir: %s cannot save records yet; they seed afresh after a restart",
                           ", ".join(unkept))
        return cls(connection, path, codecs)

    def close(self) -> None:
        self._db.close()

    # -- reading ---------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT namespace FROM meta ORDER BY namespace")]

    def has(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM meta WHERE namespace = ? LIMIT 1", (name,)).fetchone() is not None

    def load_into(self, namespace: Namespace) -> None:
        """Make ``namespace`` what the store holds for its name (records, clock, effects, ...).

        :class:`StoreError` naming the namespace and the problem when its rows cannot be loaded.
        """
        try:
            self._load(namespace)
        except (sqlite3.Error, ValueError, KeyError, TypeError, StateError) as error:
            raise StoreError(f"namespace {namespace.name!r} in {self.path} cannot be loaded: "
                             f"{type(error).__name__}: {_reason(error)}") from None

    def _load(self, namespace: Namespace) -> None:
        name = namespace.name
        written = _Written(fired=namespace.fired)
        document: dict[str, Any] = {}
        for key, value in self._db.execute("SELECT key, value FROM meta WHERE namespace = ?", (name,)):
            document[key] = orjson.loads(value)
            written.meta[key] = _digest(value)
        vendors: dict[str, dict[str, dict[str, Any]]] = {}
        rows = self._db.execute("SELECT vendor, tbl, key, value FROM records WHERE namespace = ?", (name,))
        for vendor, table, key, value in rows:
            vendors.setdefault(vendor, {}).setdefault(table, {})[key] = orjson.loads(value)
            written.records.setdefault(vendor, {})[(vendor, table, key)] = _digest(value)
        for vendor in set(vendors) - set(self._codecs):  # its codec is gone: seeded afresh instead
            del vendors[vendor]
        document["vendors"] = vendors
        saved_at = document.pop(WALL_AT_SAVE, None)
        clock = document["clock"]
        if saved_at is not None and not clock["frozen"]:
            document["clock"] = {**clock, "now": float(clock["now"]) + max(0.0, wall_time() - float(saved_at))}
        statedoc.load(namespace, document, self.catalog)
        self._written[name] = written

    # -- writing ---------------------------------------------------------------------------------

    def save(self, namespace: Namespace, vendors: Iterable[str] | None = None) -> int:
        """Write what changed in ``namespace`` since its last save: its meta rows and the records of
        ``vendors`` (None: every vendor). Committed when this returns; returns the rows written."""
        save = self._begin(namespace, vendors)
        save.diff_vendors()
        return self._finish(save)

    async def save_soon(self, namespace: Namespace, vendors: Iterable[str] | None = None) -> int:
        """:meth:`save`, dumping the records on a worker thread while the namespace's own requests wait, so
        other namespaces are served meanwhile (a big namespace takes tens of milliseconds). When another
        request of the namespace is already under way, the dump runs here, as :meth:`save`."""
        save = self._begin(namespace, vendors)
        if not (save.vendors and namespace.active == 0 and not namespace.busy):
            save.diff_vendors()
            return self._finish(save)
        self._under_way.append(save)
        try:
            await namespace.exclusive(save.diff_vendors, _DUMPER)
        except Exception:
            if not save.dropped:
                raise
        finally:
            self._under_way.remove(save)
        return 0 if save.dropped else self._finish(save)  # dropped: deleted meanwhile, nothing to keep

    def _begin(self, namespace: Namespace, vendors: Iterable[str] | None) -> _Save:
        written = self._written.get(namespace.name)
        fresh = written is None
        if written is None:
            written = _Written()
        if fresh or written.fired != namespace.fired:
            vendors = None  # all rows are written anew, or fired effects may have changed any vendor's records
        chosen = set(self._codecs) if vendors is None else set(vendors) & set(self._codecs)
        save = _Save(self, namespace, written, fresh, sorted(chosen))
        self._diff_meta(namespace, written, save.batch)  # here, on the loop: the queue may move meanwhile
        written.fired = namespace.fired
        return save

    def _finish(self, save: _Save) -> int:
        name = save.namespace.name
        if save.fresh or save.batch:
            self._commit(name, save.batch, save.fresh)
        self._written[name] = save.written
        return len(save.batch)

    async def save_if_fired(self, namespace: Namespace) -> None:
        """After the clock fired effects without a write (the ticker, a read): keep records and effects together."""
        written = self._written.get(namespace.name)
        if written is not None and written.fired != namespace.fired:
            await self.save_soon(namespace)

    def delete(self, name: str) -> None:
        self._written.pop(name, None)
        self._drop(lambda save: save.namespace.name == name)
        with self._transaction(name):
            self._db.execute("DELETE FROM meta WHERE namespace = ?", (name,))
            self._db.execute("DELETE FROM records WHERE namespace = ?", (name,))

    def clear(self) -> None:
        self._written.clear()
        self._drop(lambda _save: True)
        with self._transaction("every namespace"):
            self._db.execute("DELETE FROM meta")
            self._db.execute("DELETE FROM records")

    def _drop(self, which: Callable[[_Save], bool]) -> None:
        for save in self._under_way:
            if which(save):
                save.dropped = True

    def _diff_meta(self, namespace: Namespace, written: _Written, batch: _Batch) -> None:
        meta = statedoc.dump(namespace, vendors=())
        meta.pop("vendors", None)
        meta["effects"] = [effect for effect in meta.get("effects", []) if effect["vendor"] in self._codecs]
        meta[WALL_AT_SAVE] = None if namespace.clock.frozen else wall_time()
        for key, value in meta.items():
            data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
            digest = _digest(data)
            if written.meta.get(key) != digest:
                batch.meta.append((namespace.name, key, data))
                written.meta[key] = digest

    def diff_vendor(self, namespace: Namespace, vendor: str, written: _Written, batch: _Batch) -> None:
        before = written.records.get(vendor, {})
        after: dict[RowKey, bytes] = {}
        if namespace.is_seeded(vendor):
            tables = self._codecs[vendor].dump(namespace.state(vendor))
            for table, records in tables.items():
                for key, record in records.items():
                    data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
                    digest = _digest(data)
                    row = (vendor, table, key)
                    after[row] = digest
                    if before.get(row) != digest:
                        batch.upserts.append((namespace.name, vendor, table, key, data))
        batch.deletes += [(namespace.name, *row) for row in before if row not in after]
        if after:
            written.records[vendor] = after
        else:
            written.records.pop(vendor, None)

    def _commit(self, name: str, batch: _Batch, fresh: bool) -> None:
        try:
            with self._transaction(name):
                if fresh:  # rows this process never read (a namespace replaced while it was not loaded)
                    self._db.execute("DELETE FROM meta WHERE namespace = ?", (name,))
                    self._db.execute("DELETE FROM records WHERE namespace = ?", (name,))
                self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?, ?)", batch.meta)
                self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?)", batch.upserts)
                self._db.executemany("DELETE FROM records WHERE namespace = ? AND vendor = ? AND tbl = ? AND key = ?",
                                     batch.deletes)
        except Exception:
            self._written.pop(name, None)  # unknown what the file holds now: the next save rewrites it all
            raise

    def _transaction(self, what: str) -> _Transaction:
        return _Transaction(self._db, f"{self.path} ({what})")


class _Transaction:
    def __init__(self, db: sqlite3.Connection, where: str):
        self._db = db
        self._where = where

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, error: Any, _trace: Any) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise StoreError(f"cannot write state file {self._where}: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return " ".join(str(error).split()) or type(error).__name__
