"""The ledger's extension of the library's PostgreSQL application recorder."""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder


class LedgerRecorder(PostgresApplicationRecorder):
    """Writes the ledger's events table (same format as the library's)."""
