"""Applying the plain-SQL migrations in ``migrations/`` with yoyo-migrations."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from ledger.store.database import Database
from ledger.store.errors import MigrationFailed


def migrate(database: Database, migrations_dir: Path) -> list[str]:
    """Apply every pending migration; several processes may call this at once.

    Returns:
        The ids of the migrations applied by this call (empty when up to date).
    """
    from yoyo import get_backend, read_migrations

    logging.getLogger("yoyo").setLevel(logging.WARNING)
    if not migrations_dir.is_dir():
        raise MigrationFailed(f"migrations directory not found: {migrations_dir}")
    migrations = read_migrations(str(migrations_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = get_backend(database.yoyo_url())
        try:
            with backend.lock():
                pending = backend.to_apply(migrations)
                try:
                    backend.apply_migrations(pending)
                except Exception as exc:
                    raise MigrationFailed(f"migration failed: {exc}") from exc
                return [migration.id for migration in pending]
        finally:
            backend.connection.close()
