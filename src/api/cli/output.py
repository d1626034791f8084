"""What every ``ledger`` command shares: the database, output, and one-line failures."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from api.bootstrap import prepare_database
from api.keys import KeyRequestRefused
from ledger.domain.errors import LedgerError
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.errors import StoreError

err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` as one line on stderr; the exit to raise with ``code``."""
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def ledger_database() -> Iterator[tuple[Settings, Database]]:
    """Settings and a migrated database; turn known failures into one line and an exit code.

    Exit 2: the settings or the database are unusable; exit 1: the request was refused.
    """
    try:
        settings = Settings()
    except ValueError as exc:
        raise fail(f"error: invalid LEDGER_* setting: {exc}".splitlines()[0], 2) from None
    try:
        yield settings, prepare_database(settings)
    except StoreError as exc:
        raise fail(f"error: {exc}", 2) from None
    except (LedgerError, KeyRequestRefused) as exc:
        raise fail(f"error: {exc}", 1) from None


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
