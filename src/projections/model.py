"""What every read model is: a pure fold over events plus a thin writer of its tables."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from psycopg import Cursor

Changes = TypeVar("Changes")


@dataclass(frozen=True, slots=True)
class PositionedEvent:
    """A domain event with where and when the ledger recorded it."""

    position: int
    recorded_at: datetime
    event: Any


class ReadModel(ABC, Generic[Changes]):
    """A read model: ``fold`` turns a page of events into changes, ``write`` stores them.

    ``fold`` is pure (no I/O, no clock): the same events always give the same changes, so a
    model rebuilt from position 0 equals the one kept up to date event by event. ``write``
    applies changes to the model's tables, whose names it receives (live tables, or the
    fresh copies a rebuild fills).
    """

    name: ClassVar[str]
    """The model's name in ``ledger projections`` and in the positions table."""

    tables: ClassVar[tuple[str, ...]]
    """The tables the model owns (created by migrations)."""

    append_only: ClassVar[frozenset[str]] = frozenset()
    """Tables the writer only ever inserts into (no ``ON CONFLICT``, no updates): a rebuild
    loads them without any index and builds their indexes once, at the end."""

    topics: ClassVar[frozenset[str]]
    """The event topics the model folds; other events only advance its position."""

    @abstractmethod
    def fold(self, events: Sequence[PositionedEvent]) -> Changes:
        """The changes the given events make (pure)."""

    @abstractmethod
    def write(self, cursor: Cursor[Any], changes: Changes, tables: Mapping[str, str]) -> None:
        """Apply ``changes`` to the tables named by ``tables`` (model name -> actual name)."""
