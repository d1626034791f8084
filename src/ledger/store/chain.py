"""The hash chain's canonical byte layout (documented in docs/integrity.md)."""

from __future__ import annotations

import hashlib
import struct

GENESIS_HASH = bytes(32)
"""The ``prev_hash`` of the first event: 32 zero bytes."""

PG_EPOCH_UNIX_US = 946_684_800_000_000
"""2000-01-01T00:00:00Z (PostgreSQL's timestamp epoch) in microseconds since the Unix epoch."""

_FIXED = struct.Struct(">q16sqq")
_LENGTH = struct.Struct(">i")


def event_hash(
    prev_hash: bytes,
    *,
    position: int,
    originator_id: bytes,
    originator_version: int,
    recorded_at_us: int,
    topic: str,
    state: bytes,
) -> bytes:
    """SHA-256 of ``prev_hash`` followed by the event's canonical bytes.

    Args:
        prev_hash: the previous event's hash (``GENESIS_HASH`` for the first).
        position: the event's ``notification_id``.
        originator_id: the aggregate id's 16 bytes (RFC 4122 order).
        originator_version: the aggregate version.
        recorded_at_us: recording time in microseconds since 2000-01-01T00:00:00Z
            (PostgreSQL's binary timestamp).
        topic: the event's topic (``module:Class``).
        state: the event's stored payload.
    """
    topic_bytes = topic.encode()
    return hashlib.sha256(
        prev_hash
        + _FIXED.pack(position, originator_id, originator_version, recorded_at_us)
        + _LENGTH.pack(len(topic_bytes))
        + topic_bytes
        + _LENGTH.pack(len(state))
        + state
    ).digest()
