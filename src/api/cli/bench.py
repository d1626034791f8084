"""``ledger bench``: the ledger and its HTTP API measured against raw PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import Progress

from api.bench import api as api_bench
from api.bench import credit as bench_credit
from api.bench import ledger_runs as bench
from api.bootstrap import build_ledger
from api.cli.output import JsonFlag, emit, err, fail, ledger_database

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
    with ledger_database() as (settings, database):
        result = load.bench_load(
            database, settings.migrations_dir, seconds=seconds, clients=clients, mix=weights
        )
    emit(
        as_json,
        result,
        f"{result['requests']:,} requests in {result['seconds']} s by {clients} clients: "
        f"{result['requests_per_s']:,.0f}/s, p50 {result['p50_ms']} ms, p95 "
        f"{result['p95_ms']} ms, p99 {result['p99_ms']} ms; errors {result['errors']} "
        f"(statuses {result['statuses']}); RSS +{result['rss_growth_mib']} MiB; "
        f"read-model lag max {result['projection_lag_max_events']} events, caught up "
        f"{result['projection_catch_up_s']} s after; {result['server']}",
    )
    if result["errors"]:
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
    from api.bench import checkpoints as bench_audit

    with ledger_database() as (settings, database):
        result = bench_audit.bench_checkpoint(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            events=events,
            batch=batch,
            every_events=every,
            repeat=repeat,
        )
    emit(
        as_json,
        result,
        f"appends {result['plain_events_per_s']:,.0f} events/s without checkpoints, "
        f"{result['signing_events_per_s']:,.0f} events/s signing every {every} "
        f"({result['checkpoints_signed']} signed): overhead {result['overhead_pct']:.2f} %; "
        f"batch {batch}, {result['server']}",
    )


@bench_app.command("proof")
def bench_proof(
    events: Annotated[int, typer.Option(min=1, help="Events in the ledger.")] = 1_000_000,
    samples: Annotated[int, typer.Option(min=1, help="Proofs timed.")] = 1000,
    as_json: JsonFlag = False,
) -> None:
    """Inclusion-proof latency at N events, from the stored Merkle tree."""
    from api.bench import checkpoints as bench_audit

    with ledger_database() as (settings, database), _progress(events, quiet=as_json) as step:
        result = bench_audit.bench_proof(
            database, settings.migrations_dir, events=events, samples=samples, progress=step
        )
    emit(
        as_json,
        result,
        f"inclusion proof at {events:,} events: p50 {result['proof_p50_ms']:.3f} ms, p99 "
        f"{result['proof_p99_ms']:.3f} ms ({samples} proofs); tree built in "
        f"{result['tree_build_s']} s ({result['tree_build_leaves_per_s']:,.0f} leaves/s); "
        f"{result['server']}",
    )


@bench_app.command("projections")
def bench_projections(
    events: Annotated[int, typer.Option(min=1, help="Lot movement events to append.")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="Queries timed per kind.")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild the stock and lot-trace models from N events; time stock and trace queries."""
    from api.bench import projections as models_bench

    with ledger_database() as (settings, database), _progress(events, quiet=as_json) as step:
        result = models_bench.bench_projections(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            events=events,
            queries=queries,
            progress=step,
        )
    emit(
        as_json,
        result,
        f"rebuild at {result['events']:,} events: stock "
        f"{result['stock_rebuild_events_per_s']:,.0f} events/s, lot trace "
        f"{result['lot_trace_rebuild_events_per_s']:,.0f} events/s (plain read "
        f"{result['plain_read_rows_per_s']:,.0f} rows/s); replay to position "
        f"{result['replay_position']:,}: stock {result['stock_replay_events_per_s']:,.0f}"
        f" events/s, lot trace {result['lot_trace_replay_events_per_s']:,.0f} events/s;"
        f" stock query p95 "
        f"{result['stock_query_p95_ms']:.2f} ms, forward trace p95 "
        f"{result['lot_forward_trace_p95_ms']:.2f} ms (raw lookup p95 "
        f"{result['raw_lookup_p95_ms']:.2f} ms); {result['server']}",
    )


@bench_app.command("live-lag")
def bench_live_lag(
    rate: Annotated[float, typer.Option(min=1, help="Movements written per second.")] = 500,
    seconds: Annotated[float, typer.Option(min=1, help="How long to write.")] = 10,
    writers: Annotated[int, typer.Option(min=1, help="Writing threads, one lot each.")] = 4,
    as_json: JsonFlag = False,
) -> None:
    """Lag of the live stock model behind writes at a steady rate: p50/p99/max."""
    from api.bench import projections as models_bench

    with ledger_database() as (settings, database):
        result = models_bench.bench_live_lag(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            rate=rate,
            seconds=seconds,
            writers=writers,
        )
    emit(
        as_json,
        result,
        f"{result['movements']:,} movements at {result['writes_per_s']:,.0f}/s: stock model "
        f"lag p50 {result['lag_p50_ms']:.2f} ms, p99 {result['lag_p99_ms']:.2f} ms, max "
        f"{result['lag_max_ms']:.2f} ms; {result['server']}",
    )


@bench_app.command("order")
def bench_order(
    orders: Annotated[int, typer.Option(min=1, help="Orders placed, one at a time.")] = 2000,
    customers: Annotated[int, typer.Option(min=1, help="Credit accounts they go to.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Time order placement with its credit check against a raw lock-insert-update."""
    with ledger_database() as (settings, database):
        result = bench_credit.bench_order(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            orders=orders,
            customers=customers,
        )
    emit(
        as_json,
        result,
        f"order placement p50 {result['order_p50_ms']:.2f} ms, p99 "
        f"{result['order_p99_ms']:.2f} ms; raw p99 {result['raw_p99_ms']:.2f} ms; "
        f"{orders} orders over {customers} accounts, {result['server']}",
    )


@bench_app.command("ageing")
def bench_ageing(
    customers: Annotated[int, typer.Option(min=1, help="Customers.")] = 10_000,
    invoices: Annotated[int, typer.Option(min=1, help="Invoice events.")] = 1_000_000,
    repeat: Annotated[int, typer.Option(min=1, help="Reports, as of dates through a year.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Time the ageing report as of past dates against a raw sum per customer."""
    with ledger_database() as (settings, database):
        result = bench_credit.bench_ageing(
            database,
            settings.migrations_dir,
            customers=customers,
            invoices=invoices,
            repeat=repeat,
        )
    emit(
        as_json,
        result,
        f"ageing of {customers:,} customers, {result['lines']:,} lines: today p99 "
        f"{result['ageing_today_p99_ms']:.1f} ms; as of past dates p50 "
        f"{result['ageing_p50_ms']:.1f} ms, p99 {result['ageing_p99_ms']:.1f} ms; raw sum p99 "
        f"{result['raw_sum_p99_ms']:.1f} ms; one customer p99 "
        f"{result['one_customer_p99_ms']:.2f} ms; {result['server']}",
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
    from api.bench import evidence as bench_evidence
    from api.bootstrap import build_projections
    from api.routers.evidence import recall_read_model
    from ledger.integrity.evidence.bundle import EvidenceNotPossible

    with ledger_database() as (settings, database), _progress(events, quiet=as_json) as step:
        verifier = bench_evidence.bench_verifier(
            database, settings.migrations_dir, events=events, progress=step
        )
        try:
            measured = bench_evidence.bench_bundle(
                database,
                lambda db: build_ledger(settings, db),
                settings.migrations_dir,
                recall_read_model(),
                lambda db, ledger: build_projections(db, ledger).catch_up(),
                consignees=consignees,
            )
            bundle: dict[str, Any] | None = measured
            bundle_text = (
                f"bundle for {measured['consignees']} consignees ({measured['events']} events): "
                f"{measured['bundle_s']:.2f} s, {measured['bundle_bytes']:,} bytes; "
                f"verify_bundle.py {measured['verify_bundle_s']:.2f} s ({measured['verdict']})"
            )
        except EvidenceNotPossible as exc:  # the verifier's figures stand on their own
            bundle, bundle_text = None, f"bundle not measured: {exc}"
    emit(
        as_json,
        {"bundle": bundle, "verifier": verifier},
        f"{bundle_text}; verifier {verifier['verifier_events_per_s']:,.0f} events/s over "
        f"{verifier['events']:,} events (plain SHA-256 of each line "
        f"{verifier['sha256_lines_per_s']:,.0f}/s)",
    )


@bench_app.command("recall-impact")
def bench_recall_impact(
    consignees: Annotated[int, typer.Option(min=1, help="Consignees of the recalled lot.")] = 500,
    events: Annotated[int, typer.Option(min=1, help="Other lot events in the ledger.")] = 100_000,
    queries: Annotated[int, typer.Option(min=1, help="Impact lists timed.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Time the impact list of a lot that reached N consignees, among M other events."""
    from api.bench import recall as bench_recall

    with ledger_database() as (settings, database), _progress(events, quiet=as_json) as step:
        result = bench_recall.bench_recall_impact(
            database,
            lambda db: build_ledger(settings, db),
            settings.migrations_dir,
            consignees=consignees,
            events=events,
            queries=queries,
            progress=step,
        )
    emit(
        as_json,
        result,
        f"impact list of {result['listed_consignees']} consignees at {result['events']:,} "
        f"events: p50 {result['impact_p50_ms']:.2f} ms, p95 {result['impact_p95_ms']:.2f} ms "
        f"(raw consignee rows p95 {result['raw_consignee_rows_p95_ms']:.2f} ms); "
        f"{result['server']}",
    )
