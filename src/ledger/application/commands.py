"""What every command of the ledger shares: who sends it, and what it answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from ledger.domain.lot_ref import LotRef

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger


@dataclass(frozen=True)
class Caller:
    """Who sends a command, and the idempotency key of this request.

    Attributes:
        actor: who makes the write (an API key's name, ``cli`` …); recorded with it.
        scope: the namespace of the caller's idempotency keys (usually the API key's id).
        idempotency_key: the client's key; a repeat returns the first answer.
    """

    actor: str = "system"
    scope: str = "ledger"
    idempotency_key: str | None = None


SYSTEM = Caller()


@dataclass(frozen=True)
class CommandOutcome:
    """A command's answer.

    Attributes:
        outcome: what the command decided, JSON-ready (ids as strings).
        positions: positions of the events it appended, in order (empty if none).
        replayed: True when this is the stored answer to an earlier request with the same
            idempotency key, and nothing was appended now.
    """

    outcome: dict[str, Any]
    positions: tuple[int, ...]
    replayed: bool = False

    @property
    def last_position(self) -> int | None:
        """The position a reader must reach to see this command's effects."""
        return self.positions[-1] if self.positions else None


Decision = tuple[Sequence[Aggregate], dict[str, Any]]
"""What a command's ``decide()`` returns: the aggregates to save, and its JSON-ready answer."""


def arguments_of(values: dict[str, Any]) -> dict[str, Any]:
    """A use case's arguments as its request hash sees them (called with ``locals()`` first
    thing, so they are exactly the parameters): all but ``self`` and ``caller``; a lot named
    by ``lot`` (a ``LotRef``) by its names as given."""
    arguments = {key: value for key, value in values.items() if key not in ("self", "caller")}
    lot: LotRef | None = arguments.pop("lot", None)
    if lot is not None:
        arguments.update(lot.names())
    return arguments


class UseCases:
    """One area's use cases (``ledger.credit`` …), run on the ledger they are part of."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
