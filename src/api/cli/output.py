"""What every ``ledger`` command shares: the settings, the database and the application on it,
output, and one-line failures."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from api.bootstrap import build_ledger, build_projections, prepare_database
from api.keys import KeyRequestRefused
from ledger.application.ledger import Ledger
from ledger.domain.errors import LedgerError
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.errors import StoreError
from projections.runner import Projections

err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` as one line on stderr; the exit to raise with ``code``."""
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def read_settings() -> Settings:
    """The ``LEDGER_*`` settings; an invalid one is one line and exit 2."""
    try:
        return Settings()
    except ValueError as exc:
        raise fail(f"error: invalid LEDGER_* setting: {exc}".splitlines()[0], 2) from None


@contextmanager
def ledger_database(settings: Settings | None = None) -> Iterator[tuple[Settings, Database]]:
    """Settings (read now unless given) and a migrated database; turn known failures into one
    line and an exit code.

    Exit 2: the settings or the database are unusable; exit 1: the request was refused.
    """
    settings = settings or read_settings()
    try:
        yield settings, prepare_database(settings)
    except StoreError as exc:
        raise fail(f"error: {exc}", 2) from None
    except (LedgerError, KeyRequestRefused) as exc:
        raise fail(f"error: {exc}", 1) from None


@contextmanager
def ledger_application(settings: Settings, database: Database) -> Iterator[Ledger]:
    """The ``Ledger`` application on a migrated database, closed when done."""
    ledger = build_ledger(settings, database)
    try:
        yield ledger
    finally:
        ledger.close()


@contextmanager
def ledger_read_models() -> Iterator[tuple[Database, Ledger, Projections]]:
    """A migrated database, the ``Ledger`` on it, and its read models, which a command
    catches up itself before it reads them (no follower runs under the command line)."""
    with (
        ledger_database() as (settings, database),
        ledger_application(settings, database) as ledger,
    ):
        yield database, ledger, build_projections(database, ledger)


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    """Print ``payload`` as one JSON line with ``--json``, else ``text``."""
    if as_json:
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        sys.stdout.write(text + "\n")
    sys.stdout.flush()


def event_count(database: Database) -> int:
    """How many events the ledger holds."""
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
    return int(row[0]) if row else 0
