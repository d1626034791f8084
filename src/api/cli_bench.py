"""``ledger bench``: the ledger and its HTTP API measured against raw PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import Progress

from api import bench as api_bench
from api.bootstrap import build_ledger
from api.console import JsonFlag, emit, err, ledger_database
from ledger import bench

bench_app = typer.Typer(help="Measure the ledger against raw PostgreSQL.", no_args_is_help=True)


@bench_app.command("append")
def bench_append(
    events: Annotated[int, typer.Option(min=1, help="Events per run.")] = 10_000,
    batch: Annotated[int, typer.Option(min=1, help="Events per commit.")] = 100,
    repeat: Annotated[int, typer.Option(min=1, help="Runs; the median is reported.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Append events through the ledger and the same rows raw; compare rates."""
    with ledger_database() as (settings, database):
        result = bench.bench_append(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            events=events,
            batch=batch,
            repeat=repeat,
        )
    emit(
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
    with ledger_database() as (settings, database):
        result = bench.bench_verify(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            events=events,
            repeat=repeat,
        )
    emit(
        as_json,
        result,
        f"verify {result['verify_events_per_s']:,.0f} events/s, plain read "
        f"{result['plain_read_rows_per_s']:,.0f} rows/s, ratio {result['ratio']:.2f}, "
        f"{result['server']}",
    )


@bench_app.command("api")
def bench_api(
    writes: Annotated[int, typer.Option(min=1, help="Sequential writes through the API.")] = 2000,
    as_json: JsonFlag = False,
) -> None:
    """Time product registrations through the HTTP API against one-row raw inserts."""
    with ledger_database() as (settings, database):
        result = api_bench.bench_api(database, settings, writes=writes)
    emit(
        as_json,
        result,
        f"API write p50 {result['api_write_p50_ms']:.2f} ms, p95 "
        f"{result['api_write_p95_ms']:.2f} ms, p99 {result['api_write_p99_ms']:.2f} ms; raw "
        f"insert p99 {result['raw_insert_p99_ms']:.2f} ms; {writes} writes, {result['server']}",
    )


@contextmanager
def _progress(total: int, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    if quiet or not err.is_terminal:
        yield lambda _n: None
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("recording events", total=total)
        yield lambda n: progress.advance(task, n)


@bench_app.command("events-page")
def bench_events_page(
    events: Annotated[int, typer.Option(min=1, help="Events in the ledger.")] = 100_000,
    repeat: Annotated[int, typer.Option(min=1, help="Timed rounds over the positions.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Time pages of 500 events from the API at several positions, against the raw SELECT."""
    with ledger_database() as (settings, database), _progress(events, quiet=as_json) as step:
        result = api_bench.bench_events_page(
            database, settings, events=events, repeat=repeat, progress=step
        )
    emit(
        as_json,
        result,
        f"page of {result['page']} at {events:,} events: API p50 "
        f"{result['api_page_p50_ms']:.2f} ms, p99 {result['api_page_p99_ms']:.2f} ms; raw "
        f"SELECT p50 {result['raw_select_p50_ms']:.2f} ms, p99 "
        f"{result['raw_select_p99_ms']:.2f} ms; {result['server']}",
    )
