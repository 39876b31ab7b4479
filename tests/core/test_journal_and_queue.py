from __future__ import annotations

from collections.abc import Callable

from simulator.core.effects import Effect
from simulator.core.journal import Entry, Journal
from simulator.core.schedule import DueQueue


class Runner:
    """Runs an effect by recording its label, then calling what ``then`` holds for that label."""

    def __init__(self) -> None:
        self.fired: list[str] = []
        self.then: dict[str, Callable[[], None]] = {}

    def check(self, effect: Effect) -> None:
        pass

    def run(self, effect: Effect) -> None:
        self.fired.append(effect.label)
        self.then.get(effect.label, lambda: None)()


def effect(due: float, label: str) -> Effect:
    return Effect("test", "note", {}, due, label)


def test_journal_is_a_bounded_ring() -> None:
    journal = Journal(3)
    for _ in range(10):
        journal.append(Entry(journal.next_seq(), 0.0, "request", "GET", "/", 200, 0.1))
    assert [e.seq for e in journal] == [8, 9, 10]
    journal.clear()
    assert len(journal) == 0


def test_due_queue_fires_in_due_order_and_only_when_due() -> None:
    runner, now = Runner(), [0.0]
    queue = DueQueue(runner)
    queue.push(effect(20, "b"))
    queue.push(effect(10, "a"))
    queue.push(effect(10, "a2"))
    assert queue.drain(lambda: now[0]) == 0
    now[0] = 15
    assert queue.drain(lambda: now[0]) == 2 and runner.fired == ["a", "a2"]
    assert queue.pending() == [(20, "b")]


def test_effects_may_queue_follow_ups_that_are_already_due() -> None:
    runner = Runner()
    queue = DueQueue(runner)
    runner.then["first"] = lambda: queue.push(effect(2, "second"))
    queue.push(effect(1, "first"))
    assert queue.drain(lambda: 5) == 2 and runner.fired == ["first", "second"]


def test_attached_sources_release_after_the_effects_and_list_what_waits() -> None:
    class Source:
        def __init__(self) -> None:
            self.released: list[float] = []

        def release(self, now: float) -> int:
            self.released.append(now)
            return 3

        def pending(self) -> list[tuple[float, str]]:
            return [(15.0, "from the source")]

    queue, source = DueQueue(Runner()), Source()
    queue.push(effect(10, "action"))
    queue.push(effect(20, "later"))
    queue.attach(source)
    assert queue.pending() == [(10, "action"), (15.0, "from the source"), (20, "later")]
    assert queue.drain(lambda: 12) == 1 + 3 and source.released == [12]
    queue.detach(source)
    assert queue.drain(lambda: 12) == 0 and queue.pending() == [(20, "later")]
