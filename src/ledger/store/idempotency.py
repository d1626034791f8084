"""Idempotency records: one row per keyed command, written with the command's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CommandRecord:
    """What the recorder writes beside a keyed command's events.

    Attributes:
        scope: whose keys these are (an API key's id, ``cli`` …); keys are unique per scope.
        idempotency_key: the client's key for this request.
        command: the use case's name, e.g. ``register_product``.
        request_hash: SHA-256 of the command's canonical arguments.
        outcome: the command's JSON-ready answer (positions are added by the store).
        actor: who made the write.
    """

    scope: str
    idempotency_key: str
    command: str
    request_hash: bytes
    outcome: dict[str, Any]
    actor: str


@dataclass(frozen=True)
class StoredCommand:
    """A keyed command as the store holds it."""

    command: str
    request_hash: bytes
    outcome: dict[str, Any]
    positions: tuple[int, ...]
    actor: str
    recorded_at: datetime


class CommandAlreadyRecorded(Exception):
    """The command's idempotency key is already in the store; nothing was appended."""

    def __init__(self, scope: str, idempotency_key: str) -> None:
        super().__init__(f"idempotency key {idempotency_key!r} is already recorded in {scope}")
        self.scope = scope
        self.idempotency_key = idempotency_key
