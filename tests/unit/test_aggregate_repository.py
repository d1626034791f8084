"""Loads of one cached aggregate from many threads: fast-forward and copy are not interleaved.

The library fast-forwards a cached aggregate in place and hands out a deep copy of it. If
another thread fast-forwards the same object while a copy is being taken, the copy fails
("dictionary changed size during iteration") — a 500 seen under concurrent orders on one
credit account. The ledger's repository serialises the two per aggregate.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.domain import Aggregate, event

from ledger.store.repository import AggregateRepository

_armed = threading.Event()
_copying = threading.Event()
_proceed = threading.Event()
_first_copy = threading.Lock()


class Items(dict[str, bool]):
    """A dict whose first deep copy pauses, so that a test can act during it."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Items:
        if _armed.is_set() and _first_copy.acquire(blocking=False):
            _copying.set()
            _proceed.wait(timeout=5)
        return Items(self)


class Shelf(Aggregate):
    def __init__(self) -> None:
        self.items = Items()

    @event("Added")
    def add(self, key: str) -> None:
        self.items[key] = True


class Shelves(Application[UUID]):
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10"}

    def construct_repository(self) -> Repository[UUID]:
        return AggregateRepository(
            event_store=self.events, snapshot_store=None, cache_maxsize=10, fastforward=True
        )


def test_a_load_waits_while_another_thread_copies_the_same_cached_aggregate() -> None:
    app = Shelves()
    shelf = Shelf()
    shelf.add("a")
    app.save(shelf)
    # Events recorded without the cached aggregate knowing: the next loads fast-forward it.
    stale = app.repository.get(shelf.id)
    stale.add("b")
    app.events.put(stale.collect_events())
    stale.add("c")
    later = stale.collect_events()
    loaded: dict[str, Shelf] = {}

    def load(name: str) -> None:
        loaded[name] = app.repository.get(shelf.id)

    _armed.set()
    first = threading.Thread(target=load, args=("first",))
    first.start()
    assert _copying.wait(timeout=5), "the first load never copied the aggregate"
    # While the first copy is under way, a newer event arrives and a second load starts.
    app.events.put(later)
    second = threading.Thread(target=load, args=("second",))
    second.start()
    second.join(timeout=0.5)
    still_waiting = second.is_alive()
    _proceed.set()
    first.join(timeout=5)
    second.join(timeout=5)

    assert still_waiting, "the second load fast-forwarded the aggregate being copied"
    assert dict(loaded["first"].items) == {"a": True, "b": True}
    assert dict(loaded["second"].items) == {"a": True, "b": True, "c": True}
