"""``ledger bench``: the ledger and its HTTP API measured against raw PostgreSQL.

Each command parses its options, runs its benchmark in the frame of ``api.bench.frame``
and prints the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import Progress

from api.bench import api as api_bench
from api.bench import credit, ledger_runs
from api.bench.frame import Bench, Report, unwatched
from api.cli.output import JsonFlag, emit, err, fail, ledger_database

bench_app = typer.Typer(help="Measure the ledger against raw PostgreSQL.", no_args_is_help=True)


@contextmanager
def _progress(total: int | None, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` events on a terminal; nothing when quiet or unknown."""
    if total is None or quiet or not err.is_terminal:
        yield unwatched
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("recording events", total=total)
        yield lambda n: progress.advance(task, n)


def _report(
    as_json: bool, measure: Callable[[Bench], Report], *, progress: int | None = None
) -> Report:
    """Run ``measure`` on the configured server and print its report.

    Args:
        as_json: print the figures as one JSON object rather than the line.
        measure: the benchmark, given where it runs.
        progress: the events the benchmark writes, counted by a progress bar.
    """
    with ledger_database() as (settings, database), _progress(progress, quiet=as_json) as step:
        report = measure(Bench(database, settings, progress=step))
    emit(as_json, report.figures, report.line)
    return report


@bench_app.command("append")
def bench_append(
    events: Annotated[int, typer.Option(min=1, help="Events per run.")] = 10_000,
    batch: Annotated[int, typer.Option(min=1, help="Events per commit.")] = 100,
    repeat: Annotated[int, typer.Option(min=1, help="Runs; the median is reported.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Append events through the ledger and the same rows raw; compare rates."""
    _report(
        as_json,
        lambda bench: ledger_runs.bench_append(bench, events=events, batch=batch, repeat=repeat),
    )


@bench_app.command("verify")
def bench_verify(
    events: Annotated[int, typer.Option(min=1, help="Events in the chain.")] = 100_000,
    repeat: Annotated[int, typer.Option(min=1, help="Runs; the median is reported.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Verify a chain and compare with a plain streaming read of the same table."""
    _report(as_json, lambda bench: ledger_runs.bench_verify(bench, events=events, repeat=repeat))


@bench_app.command("api")
def bench_api(
    writes: Annotated[int, typer.Option(min=1, help="Sequential writes through the API.")] = 2000,
    as_json: JsonFlag = False,
) -> None:
    """Time product registrations through the HTTP API against one-row raw inserts."""
    _report(as_json, lambda bench: api_bench.bench_api(bench, writes=writes))


@bench_app.command("events-page")
def bench_events_page(
    events: Annotated[int, typer.Option(min=1, help="Events in the ledger.")] = 100_000,
    repeat: Annotated[int, typer.Option(min=1, help="Timed rounds over the positions.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Time pages of 500 events from the API at several positions, against the raw SELECT."""
    _report(
        as_json,
        lambda bench: api_bench.bench_events_page(bench, events=events, repeat=repeat),
        progress=events,
    )


@bench_app.command("load")
def bench_load(
    seconds: Annotated[float, typer.Option(min=1, help="How long the mix runs.")] = 300,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent clients.")] = 8,
    mix: Annotated[
        str | None,
        typer.Option(help="Request kinds and weights, e.g. place_order=10,shipment=3."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mixed writes and queries against `ledger serve` for a while: rate, latency, memory, lag."""
    from api.bench import load  # the asyncio client is loaded only for this command

    try:
        weights = load.MIX if mix is None else load.parse_mix(mix)
    except ValueError as exc:
        raise fail(f"error: --mix: {exc}", 2) from None
    report = _report(
        as_json,
        lambda bench: load.bench_load(bench, seconds=seconds, clients=clients, mix=weights),
    )
    if report.figures["errors"]:
        raise typer.Exit(1)


@bench_app.command("checkpoint")
def bench_checkpoint(
    events: Annotated[int, typer.Option(min=1, help="Events per run and side.")] = 20_000,
    batch: Annotated[int, typer.Option(min=1, help="Events per commit.")] = 1,
    every: Annotated[int, typer.Option(min=1, help="Sign every this many events.")] = 1000,
    repeat: Annotated[int, typer.Option(min=1, help="Runs; the medians are compared.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Append through the ledger with and without checkpoints being signed; compare rates."""
    from api.bench import checkpoints

    _report(
        as_json,
        lambda bench: checkpoints.bench_checkpoint(
            bench, events=events, batch=batch, every_events=every, repeat=repeat
        ),
    )


@bench_app.command("proof")
def bench_proof(
    events: Annotated[int, typer.Option(min=1, help="Events in the ledger.")] = 1_000_000,
    samples: Annotated[int, typer.Option(min=1, help="Proofs timed.")] = 1000,
    as_json: JsonFlag = False,
) -> None:
    """Inclusion-proof latency at N events, from the stored Merkle tree."""
    from api.bench import checkpoints

    _report(
        as_json,
        lambda bench: checkpoints.bench_proof(bench, events=events, samples=samples),
        progress=events,
    )


@bench_app.command("projections")
def bench_projections(
    events: Annotated[int, typer.Option(min=1, help="Lot movement events to append.")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="Queries timed per kind.")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild the stock and lot-trace models from N events; time stock and trace queries."""
    from api.bench import projections

    _report(
        as_json,
        lambda bench: projections.bench_projections(bench, events=events, queries=queries),
        progress=events,
    )


@bench_app.command("live-lag")
def bench_live_lag(
    rate: Annotated[float, typer.Option(min=1, help="Movements written per second.")] = 500,
    seconds: Annotated[float, typer.Option(min=1, help="How long to write.")] = 10,
    writers: Annotated[int, typer.Option(min=1, help="Writing threads, one lot each.")] = 4,
    as_json: JsonFlag = False,
) -> None:
    """Lag of the live stock model behind writes at a steady rate: p50/p99/max."""
    from api.bench import projections

    _report(
        as_json,
        lambda bench: projections.bench_live_lag(
            bench, rate=rate, seconds=seconds, writers=writers
        ),
    )


@bench_app.command("order")
def bench_order(
    orders: Annotated[int, typer.Option(min=1, help="Orders placed, one at a time.")] = 2000,
    customers: Annotated[int, typer.Option(min=1, help="Credit accounts they go to.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Time order placement with its credit check against a raw lock-insert-update."""
    _report(as_json, lambda bench: credit.bench_order(bench, orders=orders, customers=customers))


@bench_app.command("ageing")
def bench_ageing(
    customers: Annotated[int, typer.Option(min=1, help="Customers.")] = 10_000,
    invoices: Annotated[int, typer.Option(min=1, help="Invoice events.")] = 1_000_000,
    repeat: Annotated[int, typer.Option(min=1, help="Reports, as of dates through a year.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Time the ageing report as of past dates against a raw sum per customer."""
    _report(
        as_json,
        lambda bench: credit.bench_ageing(
            bench, customers=customers, invoices=invoices, repeat=repeat
        ),
    )


@bench_app.command("evidence")
def bench_evidence(
    consignees: Annotated[
        int, typer.Option(min=1, help="Consignees the recalled lot reached.")
    ] = 500,
    events: Annotated[int, typer.Option(min=1, help="Events the verifier checks.")] = 200_000,
    as_json: JsonFlag = False,
) -> None:
    """Time a recall's evidence bundle and the bundle verifier's events/s against SHA-256."""
    from api.bench import evidence

    _report(
        as_json,
        lambda bench: evidence.bench_evidence(bench, consignees=consignees, events=events),
        progress=events,
    )


@bench_app.command("recall-impact")
def bench_recall_impact(
    consignees: Annotated[int, typer.Option(min=1, help="Consignees of the recalled lot.")] = 500,
    events: Annotated[int, typer.Option(min=1, help="Other lot events in the ledger.")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="Impact lists timed.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Time the impact list of a lot that reached N consignees, among M other events."""
    from api.bench import recall

    _report(
        as_json,
        lambda bench: recall.bench_recall_impact(
            bench, consignees=consignees, events=events, queries=queries
        ),
        progress=events,
    )
