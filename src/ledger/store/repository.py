"""The aggregate repository, made safe for the API's many request threads.

The library keeps loaded aggregates in a cache, fast-forwards a cached one with its newer
events on each load (in place, under a lock of its own) and gives the caller a deep copy
of it. The copy is taken after that lock is released, so one thread could copy an
aggregate while another fast-forwarded the same object ("dictionary changed size during
iteration", seen under concurrent order placement on one credit account). Here loading,
fast-forwarding and copying one aggregate happen under one lock per aggregate (striped).
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository

_STRIPES = 64


class AggregateRepository(Repository[UUID]):
    """The library's repository whose cached loads are serialised per aggregate."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_locks = tuple(threading.Lock() for _ in range(_STRIPES))

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        """The aggregate at its latest version (or at ``version``), as the library gives it."""
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        with self._load_locks[hash(aggregate_id) % _STRIPES]:
            return super().get(aggregate_id, **kwargs)
