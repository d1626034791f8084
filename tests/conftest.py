"""Shared fixtures: a real PostgreSQL (embedded, or LEDGER_DATABASE_URL) and a fresh schema
per test, since the events table is append-only by design and cannot be truncated."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

from api.bootstrap import build_ledger
from ledger.application.ledger import Ledger
from ledger.domain.values import RiskClass, gs1_check_digit
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


@contextmanager
def fresh_database(server: Database, *, migrated: bool = True) -> Iterator[Database]:
    """A schema of its own (migrated unless told otherwise), dropped on exit.

    For tests that need several clean ledgers, e.g. one per Hypothesis example: the
    function-scoped ``database`` fixture is not reset between examples.
    """
    schema = f"t_{secrets.token_hex(6)}"
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    db = Database(url=server.url, schema=schema, embedded=server.embedded)
    try:
        if migrated:
            migrate(db, Settings().migrations_dir)
        yield db
    finally:
        with server.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def database(server: Database) -> Iterator[Database]:
    """A freshly migrated schema of its own for one test, dropped afterwards."""
    with fresh_database(server) as db:
        yield db


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


def valid_gtin(number: int, *, prefix: str = "0690") -> str:
    """A GTIN-14 with a correct check digit, distinct for each ``number``."""
    body = f"{prefix}{number:0{13 - len(prefix)}d}"
    return body + str(gs1_check_digit(body))


def register_products(ledger: Ledger, count: int, *, start: int = 1) -> list[str]:
    """Register ``count`` products one command each; return their GTINs."""
    gtins = []
    for number in range(start, start + count):
        gtin = valid_gtin(number)
        ledger.master_data.register_product(
            gtin=gtin,
            name=f"Single-use infusion set, model {number}",
            registration_certificate=f"NMPA-2026-{number:05d}",
            risk_class=RiskClass.II,
            unit_of_use="each",
            storage_min_celsius=Decimal("2.0"),
            storage_max_celsius=Decimal("8.0"),
        )
        gtins.append(gtin)
    return gtins


@contextmanager
def superuser_connection(database: Database) -> Iterator[psycopg.Connection[Any]]:
    """A connection that bypasses the ledger's triggers, as a superuser tampering would.

    ``session_replication_role = replica`` disables ordinary triggers, so neither the
    append-only guards nor the chain trigger run: rows change exactly as written.
    """
    with database.connect(autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        yield conn


def stored_rows(database: Database) -> list[tuple[Any, ...]]:
    """Every event row with all its columns, in position order."""
    with database.connect() as conn:
        return conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state,"
            " recorded_at, prev_hash, hash FROM ledger_events ORDER BY notification_id"
        ).fetchall()


def positions(database: Database) -> list[int]:
    """The positions (notification ids) of the stored events, ascending."""
    return [int(row[0]) for row in stored_rows(database)]


def event_records(conn: psycopg.Connection[Any], positions: list[int]) -> list[dict[str, Any]]:
    """Events at ``positions`` as an evidence bundle lists them: position, type, aggregate,
    version and the parsed stored payload."""
    rows = conn.execute(
        "SELECT notification_id, topic, originator_id, originator_version, state"
        " FROM ledger_events WHERE notification_id = ANY(%s) ORDER BY 1",
        (positions,),
    ).fetchall()
    return [
        {"position": p, "type": t, "aggregate_id": str(o), "aggregate_version": v,
         "payload": json.loads(bytes(s))}
        for p, t, o, v, s in rows
    ]  # fmt: skip
