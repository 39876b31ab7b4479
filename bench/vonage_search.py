"""Vonage Insights search: the index against a plain linear scan, at 10k and 100k conversations.

    python bench/vonage_search.py [--sizes 10000 100000] [--runs 25] [--scan-runs 5] [--seed 1]

Conversations come from the simulator's own generator (003's model, ~15 kB of JSON each), spread
over 60 days so that the date range of a search covers them all. Each query of a fixed set goes
through what ``GET /insights/sessions`` does short of HTTP: parse the parameters (dates, filter_by,
sort_by, project_fields) against the mapping, search, decompress and render one page (page_size 10)
and serialise the body. The linear scan answers the same parsed queries by testing every analysed
document, then sorting the matches, and renders the same page; both answers are compared. Reported:
p50/p95 per query, the share of documents each query matches, the scan/index ratio, the time to
analyse documents and to build the index, and memory (the index with its stored documents, and
the analysed documents the scan needs), per 100k documents.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.core.esfields import Analyzed, Field, Mapping, project  # noqa: E402
from simulator.core.esindex import Index, LinearScan  # noqa: E402
from simulator.core.esknown import Catalog  # noqa: E402
from simulator.core.rand import SeededSource  # noqa: E402
from simulator.vendors.vonage import search as vonage_search  # noqa: E402
from simulator.vendors.vonage import seed  # noqa: E402
from simulator.vendors.vonage.mapping import FIELDS, TERM_ONLY  # noqa: E402
from simulator.vendors.vonage.models import compress  # noqa: E402

ACCOUNT = "5f7f277cf090a7001116fabe"
END = 1_737_331_200.0  # 2025-01-20T00:00:00Z
DAY = 86_400
WINDOW = {"from_date": "2024-11-21", "to_date": "2025-01-20"}
NOW_MS = int(END * 1000)


def generate(count: int, seed_value: int, mapping: Mapping) -> tuple[list[tuple[Analyzed, bytes]], list[seed.Agent],
                                                                 dict[str, float]]:
    """Generated and analysed conversations in start order (documents are dropped once analysed)."""
    source = SeededSource(seed_value, "bench")
    agents = seed.agents_for(source.child("agents"), 5)
    drafts = sorted((END - source.child(f"start:{index}").uniform(0, 59 * DAY), index) for index in range(count))
    prepared: list[tuple[Analyzed, bytes]] = []
    timings = {"generate": 0.0, "analyse": 0.0, "json_bytes": 0.0}
    for start, index in drafts:
        started = time.perf_counter()
        base, call = seed.conversation(source.child(f"session:{index}"), agents[index % len(agents)], ACCOUNT)
        document = seed.document(base, call, round(start * 1000))
        generated = time.perf_counter()
        learned: dict[str, Field | None] = {}
        prepared.append((mapping.analyze(document, learned), compress(document)))
        timings["generate"] += generated - started
        timings["analyse"] += time.perf_counter() - generated
        timings["json_bytes"] += len(orjson.dumps(document))
    return prepared, agents, timings


def queries(some: dict[str, Any], agents: list[seed.Agent]) -> list[tuple[str, dict[str, Any]]]:
    """The fixed query set: values are taken from the generated data, so each finds what it should."""
    pet_agent = next(a for a in agents if a.scenario.name == "pet-clinic-booking")
    bank_agent = next(a for a in agents if a.scenario.name == "bank-balance")

    def filtered(body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {**WINDOW, "filter_by": orjson.dumps(body).decode(), **extra}

    return [
        ("selective: term on the session's phone number",
         filtered({"must": [{"term": {"source": some["source"]}}]})),
        ("selective: a request id (003 example 3 shape)", filtered({
            "must": [{"term": {"source": some["source"]}}],
            "should": [{"term": {"request_ids": some["request_ids"][0]}}, {"term": {"request_ids": "44"}}]})),
        ("selective: agent + match 'shut up' (and) + tag rat", filtered({"must": [
            {"term": {"agent_information.id": pet_agent.id}},
            {"match": {"transcription.user": {"query": "shut up", "operator": "and"}}},
            {"term": {"flow_data.collected_tags.tag": "rat"}}]})),
        ("phrase 'i forgot it' + failed webhook", filtered({"must": [
            {"match_phrase": {"transcription.user": "i forgot it"}},
            {"term": {"flow_path.response.code": 500}}]}, sort_by="channel_data.duration:desc")),
        ("selective: longest calls (range) of one agent", filtered({"must": [
            {"range": {"channel_data.duration": {"gte": 80_000}}},
            {"term": {"agent_information.id": bank_agent.id}}]}, project_fields='["id","channel_data.duration"]')),
        ("broad: must_not tag invalid (003 example 4)", filtered({"must_not": [
            {"term": {"flow_data.collected_tags.tag": "invalid"}}]})),
        ("broad: ended, longest first", filtered({"must": [{"term": {"status": "ended"}}]},
                                                 sort_by="channel_data.duration:desc")),
        ("broad: match 'please' or 'sorry', two sort keys", filtered(
            {"should": [{"match": {"flow_path.context.user_input": "please"}},
                        {"match": {"transcription.user": "sorry please"}}]},
            sort_by="agent_information.name:asc,session_start_time:desc")),
        ("broad: two agents, projected, page 20", filtered(
            {"should": [{"term": {"agent_information.id": agent.id}} for agent in agents[:2]]},
            project_fields='["session_start_time","source","channel_data.duration","id"]', page_number=20)),
        ("broad: everything in 60 days, by caller", {**WINDOW, "sort_by": "source:asc", "page_number": 5}),
    ]


def _params(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) if k in ("page_number", "page_size") else v for k, v in raw.items()}


def answer(run: Callable[..., tuple[int, list[int]]], source_of: Callable[[int], bytes], catalog: Catalog,
           raw: dict[str, Any]) -> tuple[bytes, list[int]]:
    wanted = vonage_search.parse(_params(raw), catalog, NOW_MS)
    total, slots = run(wanted.query, wanted.sort, wanted.offset, wanted.size)
    sources = [source_of(slot) for slot in slots]
    hits = [orjson.Fragment(s) if wanted.includes is None else project(orjson.loads(s), wanted.includes)
            for s in sources]
    body = orjson.dumps({"total": total, "hits": hits, "page_size": str(wanted.size), "page_number": "0"})
    return body, slots


def _times(action: Callable[[], object], runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        found.append((time.perf_counter() - started) * 1000)
    return found


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def deep_size(root: object) -> int:
    """Bytes of every object reachable from ``root`` through containers, each counted once."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.append(vars(item))
        elif hasattr(item, "__slots__"):
            stack.extend(getattr(item, name) for name in item.__slots__ if hasattr(item, name))
    return total


def bench(count: int, runs: int, scan_runs: int, seed_value: int) -> None:
    mapping = Mapping(FIELDS, term_only=TERM_ONLY)
    prepared, agents, timings = generate(count, seed_value, mapping)
    gc.collect()
    started = time.perf_counter()
    index = Index(compressed=True)
    for analyzed, source in prepared:
        index.add(analyzed, source)
    built = time.perf_counter() - started
    catalog = Catalog(mapping, index)
    scan = LinearScan()
    for analyzed, _ in prepared:
        scan.add(analyzed)
    sources = [source for _, source in prepared]

    def scanned_source(slot: int) -> bytes:
        return zlib.decompress(sources[slot])

    some = orjson.loads(scanned_source(count // 3))
    # The documents stay put while queries run, as in a server: keep the collector from rescanning them.
    gc.collect()
    gc.freeze()
    scale = 100_000 / count
    print(f"\n### {count:,} documents\n")
    print(f"generated in {timings['generate']:.1f} s; analysed in {timings['analyse']:.1f} s "
          f"({timings['analyse'] * scale:.0f} s per 100k); index built in {built:.2f} s ({built * scale:.1f} s "
          "per 100k)\n")
    print("| query | hits | index p50 ms | index p95 ms | scan p50 ms | scan p95 ms | scan / index (p50) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    index_all: list[float] = []
    scan_all: list[float] = []
    for name, raw in queries(some, agents):
        body, _ = answer(index.search, index.source, catalog, raw)
        expected, _ = answer(scan.search, scanned_source, catalog, raw)
        assert body == expected, f"index and scan disagree on {name}"
        total = orjson.loads(body)["total"]
        fast = _times(partial(answer, index.search, index.source, catalog, raw), runs)
        slow = _times(partial(answer, scan.search, scanned_source, catalog, raw), scan_runs)
        index_all += fast
        scan_all += slow
        print(f"| {name} | {total:,} ({100 * total / count:.2f} %) | {_p(fast, .5):.2f} | {_p(fast, .95):.2f} | "
              f"{_p(slow, .5):,.0f} | {_p(slow, .95):,.0f} | {_p(slow, .5) / _p(fast, .5):,.0f}x |")
    print(f"| **all queries** | | {_p(index_all, .5):.2f} | {_p(index_all, .95):.2f} | {_p(scan_all, .5):,.0f} | "
          f"{_p(scan_all, .95):,.0f} | {statistics.median(scan_all) / statistics.median(index_all):,.0f}x |")
    gc.unfreeze()
    index_bytes = deep_size(index)
    stored = sum(map(len, sources))
    sample = prepared[:: max(1, count // 5_000)]  # counting every object of 100k analysed documents needs GiBs
    analysed_bytes = deep_size([analyzed for analyzed, _ in sample]) * count / len(sample)
    print(f"\nmemory per 100k documents: index {index_bytes * scale / 2**20:,.0f} MiB, of which stored documents "
          f"(zlib) {stored * scale / 2**20:,.0f} MiB (JSON {timings['json_bytes'] * scale / 2**20:,.0f} MiB); "
          f"the analysed documents the scan holds (from {len(sample):,} of them): "
          f"{analysed_bytes * scale / 2**20:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=25, help="timed runs of each query on the index")
    parser.add_argument("--scan-runs", type=int, default=5, help="timed runs of each query on the linear scan")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}")
    for size in args.sizes:
        bench(size, args.runs, args.scan_runs, args.seed)
        gc.collect()


if __name__ == "__main__":
    main()
