"""The ``ledger`` command line."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from api.bootstrap import build_ledger, prepare_database
from ledger import bench
from ledger.application import Ledger
from ledger.demo import demo_size, load_demo
from ledger.domain.errors import LedgerError
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.errors import DatabaseUnavailable, StoreError
from ledger.store.verify import verify_chain

app = typer.Typer(
    help="Event-sourced traceability ledger for medical-device distribution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Measure the ledger against raw PostgreSQL.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


class Scale(enum.StrEnum):
    """Size of the demo data set."""

    small = "small"
    medium = "medium"
    large = "large"


def _fail(message: str, code: int) -> typer.Exit:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _database() -> Iterator[tuple[Settings, Database]]:
    """Settings and a migrated database; turn known failures into one line and an exit code."""
    try:
        settings = Settings()
    except ValueError as exc:
        raise _fail(f"error: invalid LEDGER_* setting: {exc}".splitlines()[0], 2) from None
    try:
        yield settings, prepare_database(settings)
    except DatabaseUnavailable as exc:
        raise _fail(f"error: {exc}", 2) from None
    except StoreError as exc:
        raise _fail(f"error: {exc}", 2) from None
    except LedgerError as exc:
        raise _fail(f"error: {exc}", 1) from None


def _emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        sys.stdout.write(text + "\n")


def _event_count(database: Database) -> int:
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
    return int(row[0]) if row else 0


@app.command()
def migrate(as_json: JsonFlag = False) -> None:
    """Apply pending database migrations."""
    with _database() as (_settings, database):
        # prepare_database already applied them; report the schema's state.
        _emit(as_json, {"ok": True, "schema": database.schema}, f"migrated: {database.display}")


@app.command()
def demo(
    scale: Annotated[Scale, typer.Option(help="How much data to load.")] = Scale.small,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic generator.")] = 7,
    as_json: JsonFlag = False,
) -> None:
    """Load deterministic demo data into an empty ledger."""
    with _database() as (settings, database):
        existing = _event_count(database)
        if existing:
            raise _fail(
                f"error: the ledger already holds {existing} events; "
                "demo data loads only into an empty ledger",
                1,
            )
        ledger = build_ledger(settings, database)
        try:
            summary = _load_with_progress(ledger, scale.value, seed, quiet=as_json)
        finally:
            ledger.close()
        _emit(
            as_json,
            vars(summary),
            f"demo data loaded ({summary.scale}, seed {summary.seed}): "
            f"{summary.products} products, {summary.parties} parties, {summary.events} events",
        )


def _load_with_progress(ledger: Ledger, scale: str, seed: int, *, quiet: bool) -> Any:
    if quiet or not err.is_terminal:
        return load_demo(ledger, scale=scale, seed=seed)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("loading demo data", total=demo_size(scale))
        return load_demo(
            ledger, scale=scale, seed=seed, progress=lambda n: progress.advance(task, n)
        )


@app.command()
def verify(as_json: JsonFlag = False) -> None:
    """Recompute the events' hash chain; exit 1 at the first break."""
    with _database() as (_settings, database):
        report = verify_chain(database)
    out = report.as_json()
    if report.ok:
        text = (
            f"OK: {report.events} events, chain intact, head {report.head_hash.hex()[:16]}…"
            f" ({out['events_per_second']:,.0f} events/s)"
        )
    else:
        text = (
            f"BROKEN at position {out['first_bad_position']}: {out['reason']} "
            f"({out['detail']}); {len(report.findings)} finding(s) in {report.events} events"
        )
    _emit(as_json, out, text)
    if not report.ok:
        raise typer.Exit(1)


@bench_app.command("append")
def bench_append(
    events: Annotated[int, typer.Option(min=1, help="Events per run.")] = 10_000,
    batch: Annotated[int, typer.Option(min=1, help="Events per commit.")] = 100,
    repeat: Annotated[int, typer.Option(min=1, help="Runs; the median is reported.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Append events through the ledger and the same rows raw; compare rates."""
    with _database() as (settings, database):
        result = bench.bench_append(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            events=events,
            batch=batch,
            repeat=repeat,
        )
    _emit(
        as_json,
        result,
        f"ledger {result['ledger_events_per_s']:,.0f} events/s, raw "
        f"{result['raw_rows_per_s']:,.0f} rows/s, ratio {result['ratio']:.2f}; "
        f"commit p99 {result['ledger_commit_p99_ms']:.2f} ms (raw "
        f"{result['raw_commit_p99_ms']:.2f} ms), batch {batch}, {result['server']}",
    )


@bench_app.command("verify")
def bench_verify(
    events: Annotated[int, typer.Option(min=1, help="Events in the chain.")] = 100_000,
    repeat: Annotated[int, typer.Option(min=1, help="Runs; the median is reported.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Verify a chain and compare with a plain streaming read of the same table."""
    with _database() as (settings, database):
        result = bench.bench_verify(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            events=events,
            repeat=repeat,
        )
    _emit(
        as_json,
        result,
        f"verify {result['verify_events_per_s']:,.0f} events/s, plain read "
        f"{result['plain_read_rows_per_s']:,.0f} rows/s, ratio {result['ratio']:.2f}, "
        f"{result['server']}",
    )


def main() -> None:
    """Entry point of the ``ledger`` console script."""
    app()
