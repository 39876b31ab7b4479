"""First touch of a namespace, per vendor: how long a fresh namespace takes to get its seeded records.

Builds the app in-process with default settings (every namespace clock starts at its own moment of
creation, as with the pytest plugin's per-test namespaces), then for each vendor touches N fresh
namespaces one after another and reports the first (which may build what later ones share) and the
median and worst of the rest, plus the RSS growth per touched namespace; then N more namespaces that
each touch every vendor, with their time and memory.

    python3 bench/first_touch.py --namespaces 500
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.app import VENDORS, build_pipeline
from simulator.settings import Settings


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--vendors", nargs="*", default=[plugin.name for plugin in VENDORS])
    args = parser.parse_args()
    registry = build_pipeline(Settings(max_namespaces=10 * args.namespaces + 10)).registry
    print(f"{'vendor':<12} {'first ms':>9} {'median ms':>10} {'worst ms':>9} {'MiB/namespace':>14}")
    for vendor in args.vendors:
        times = []
        before = rss_mib()
        for index in range(args.namespaces):
            namespace = registry.get(f"bench-{vendor}-{index}")
            started = time.perf_counter()
            namespace.state(vendor)
            times.append((time.perf_counter() - started) * 1000)
        grown = (rss_mib() - before) / args.namespaces
        rest = times[1:] or times
        print(f"{vendor:<12} {times[0]:>9.1f} {statistics.median(rest):>10.2f} {max(rest):>9.2f} {grown:>14.2f}")
    before = rss_mib()
    started = time.perf_counter()
    for index in range(args.namespaces):  # namespaces that touch every vendor, as a test using all four does
        namespace = registry.get(f"bench-all-{index}")
        for vendor in args.vendors:
            namespace.state(vendor)
    took = time.perf_counter() - started
    print(f"{args.namespaces} namespaces touching {', '.join(args.vendors)}: {took * 1000 / args.namespaces:.2f} ms "
          f"and {(rss_mib() - before) / args.namespaces:.3f} MiB each, {rss_mib() - before:.1f} MiB in all "
          f"(RSS now {rss_mib():.0f} MiB)")


if __name__ == "__main__":
    main()
