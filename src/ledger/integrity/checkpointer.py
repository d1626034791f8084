"""Signing checkpoints at intervals, off the write path, while the ledger serves.

Saves only tell the checkpointer the newest position (a counter, no I/O); a thread of its
own grows the Merkle tree and signs a tree head every ``checkpoint_every_events`` new
events, or every ``checkpoint_every_seconds`` when any arrived.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ledger.integrity.checkpoint_note import (
    CheckpointRejected,
    SigningKey,
    check_name,
    read_private_key,
)
from ledger.integrity.checkpoints import StoredCheckpoint, sign_checkpoint
from ledger.settings import Settings
from ledger.store.database import Database

_log = logging.getLogger("ledger.checkpoints")


def checkpoint_origin(settings: Settings) -> str:
    """The log's name in its checkpoints: ``LEDGER_CHECKPOINT_ORIGIN`` or one per schema."""
    return check_name(settings.checkpoint_origin or f"medical-device-ledger/{settings.db_schema}")


def configured_signing_key(settings: Settings) -> SigningKey | None:
    """The signing key from ``LEDGER_CHECKPOINT_KEY`` or ``LEDGER_CHECKPOINT_KEY_FILE``.

    Raises:
        CheckpointRejected: ``bad-key`` when the key is set but unreadable.
    """
    if settings.checkpoint_key is not None:
        text = settings.checkpoint_key.get_secret_value()
    elif settings.checkpoint_key_file is not None:
        try:
            text = settings.checkpoint_key_file.read_text()
        except OSError as exc:
            raise CheckpointRejected(
                "bad-key", f"cannot read {settings.checkpoint_key_file}: {exc.strerror or exc}"
            ) from None
    else:
        return None
    return SigningKey(checkpoint_origin(settings), read_private_key(text))


class Checkpointer:
    """Signs a checkpoint when enough events arrived or enough time passed with some."""

    def __init__(
        self, database: Database, key: SigningKey, *, every_events: int, every_seconds: float
    ) -> None:
        self._database = database
        self._key = key
        self._every_events = every_events
        self._every_seconds = every_seconds
        self._wake = threading.Event()
        self._newest = 0
        self._signed = 0
        self.signed: list[StoredCheckpoint] = []
        """The checkpoints signed by this checkpointer, oldest first (the last few)."""

    def saw(self, position: int) -> None:
        """Listener of the ledger's saves: note the newest position; wake when due."""
        self._newest = position
        if position - self._signed >= self._every_events:
            self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Sign at intervals until ``stop`` is set; failures are logged, then retried."""
        self._sign_now()
        while not stop.is_set():
            self._wake.wait(self._every_seconds)
            self._wake.clear()
            if not stop.is_set():
                self._sign_now()

    def wake(self) -> None:
        """Make ``run`` look at once (used when stopping)."""
        self._wake.set()

    def _sign_now(self) -> None:
        try:
            signed = sign_checkpoint(self._database, self._key, only_if_grown=True)
        except Exception:
            _log.exception("signing a checkpoint failed; will retry")
            return
        if signed is not None:
            self._signed = signed.last_position or 0
            self.signed = [*self.signed[-9:], signed]
            _log.info("checkpoint signed: %s events", signed.tree_size)


def start_checkpointer(
    settings: Settings, database: Database, on_saved: Callable[[Callable[[int], None]], None]
) -> Callable[[], None] | None:
    """Run a ``Checkpointer`` in a daemon thread when a signing key is configured.

    Returns:
        A function that stops the thread (None when no key is configured).
    """
    key = configured_signing_key(settings)
    if key is None:
        return None
    checkpointer = Checkpointer(
        database,
        key,
        every_events=settings.checkpoint_every_events,
        every_seconds=settings.checkpoint_every_seconds,
    )
    on_saved(checkpointer.saw)
    stop = threading.Event()
    thread = threading.Thread(
        target=checkpointer.run, args=(stop,), name="ledger-checkpoints", daemon=True
    )
    thread.start()

    def halt() -> None:
        stop.set()
        checkpointer.wake()
        thread.join(timeout=10.0)

    return halt
