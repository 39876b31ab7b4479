from __future__ import annotations

from simulator.core.journal import Entry, Journal
from simulator.core.schedule import DueQueue


def test_journal_is_a_bounded_ring() -> None:
    journal = Journal(3)
    for _ in range(10):
        journal.append(Entry(journal.next_seq(), 0.0, "request", "GET", "/", 200, 0.1))
    assert [e.seq for e in journal] == [8, 9, 10]
    journal.clear()
    assert len(journal) == 0


def test_due_queue_fires_in_due_order_and_only_when_due() -> None:
    queue, fired, now = DueQueue(), [], [0.0]
    queue.push(20, "b", lambda: fired.append("b"))
    queue.push(10, "a", lambda: fired.append("a"))
    queue.push(10, "a2", lambda: fired.append("a2"))
    assert queue.drain(lambda: now[0]) == 0
    now[0] = 15
    assert queue.drain(lambda: now[0]) == 2 and fired == ["a", "a2"]
    assert queue.pending() == [(20, "b")]


def test_actions_may_queue_follow_ups_that_are_already_due() -> None:
    queue, fired = DueQueue(), []
    queue.push(1, "first", lambda: queue.push(2, "second", lambda: fired.append("second")))
    assert queue.drain(lambda: 5) == 2 and fired == ["second"]


def test_attached_sources_release_after_the_actions_and_list_what_waits() -> None:
    class Source:
        def __init__(self) -> None:
            self.released: list[float] = []

        def release(self, now: float) -> int:
            self.released.append(now)
            return 3

        def pending(self) -> list[tuple[float, str]]:
            return [(15.0, "from the source")]

    queue, source = DueQueue(), Source()
    queue.push(10, "action", lambda: None)
    queue.push(20, "later", lambda: None)
    queue.attach(source)
    assert queue.pending() == [(10, "action"), (15.0, "from the source"), (20, "later")]
    assert queue.drain(lambda: 12) == 1 + 3 and source.released == [12]
    queue.detach(source)
    assert queue.drain(lambda: 12) == 0 and queue.pending() == [(20, "later")]
