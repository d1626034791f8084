"""The one place that wires settings to the database and the application."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.settings import Settings
from ledger.store.database import Database, open_database
from ledger.store.migrations import migrate
from ledger.store.recorder import LedgerRecorder


def prepare_database(settings: Settings) -> Database:
    """Reach (or start) the database and bring its schema up to date."""
    database = open_database(settings)
    migrate(database, settings.migrations_dir)
    return database


def build_ledger(settings: Settings, database: Database) -> Ledger:
    """The ``Ledger`` application on the given, migrated database."""
    env = database.library_env(pool_size=settings.pool_size)
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(LedgerRecorder)
    return Ledger(env=env)
