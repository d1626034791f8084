"""Shared fixtures: a real PostgreSQL (embedded, or LEDGER_DATABASE_URL) and a fresh schema
per test, since the events table is append-only by design and cannot be truncated."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

from api.bootstrap import build_ledger
from ledger.application import Ledger
from ledger.settings import Settings
from ledger.store.database import Database, open_database
from ledger.store.migrations import migrate

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """The PostgreSQL server of this run: external when LEDGER_DATABASE_URL is set."""
    external = os.environ.get("LEDGER_DATABASE_URL")
    if external:
        return open_database(Settings(database_url=external))
    data_dir = tmp_path_factory.mktemp("embedded")
    return open_database(Settings(database_url=None, data_dir=data_dir))


@pytest.fixture
def database(server: Database) -> Iterator[Database]:
    """A freshly migrated schema of its own for one test, dropped afterwards."""
    schema = f"t_{secrets.token_hex(6)}"
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    db = Database(url=server.url, schema=schema, embedded=server.embedded)
    migrate(db, Settings().migrations_dir)
    yield db
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def ledger(database: Database) -> Iterator[Ledger]:
    """The Ledger application on the test's own schema."""
    app = build_ledger(Settings(pool_size=2), database)
    yield app
    app.close()


def cli_env(database: Database, **extra: str) -> dict[str, str]:
    """Environment that points the ``ledger`` command at the test's schema."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    env.update({"LEDGER_DATABASE_URL": database.url, "LEDGER_DB_SCHEMA": database.schema})
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ledger`` command as a user would."""
    script = Path(sys.executable).with_name("ledger")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "api"]
    return subprocess.run(
        [*command, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
