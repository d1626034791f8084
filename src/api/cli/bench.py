"""``ledger bench``: the ledger and its HTTP API measured against raw PostgreSQL.

Every command is one row of ``BENCHMARKS``: its options are the keyword arguments of a
benchmark in ``api.bench``, which runs in the frame of ``api.bench.frame``; the command
prints its report.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.progress import Progress

from api.bench.frame import Bench, Report, unwatched
from api.cli.output import JsonFlag, emit, err, fail, ledger_database

bench_app = typer.Typer(help="Measure the ledger against raw PostgreSQL.", no_args_is_help=True)


@dataclass(frozen=True)
class Knob:
    """An option of a benchmark command: the benchmark's keyword argument of the same name.

    Attributes:
        name: the option (``--name``) and the argument.
        kind: its type. default: its value when not given. help: its line in ``--help``.
        least: the smallest value accepted (numbers).
        parse: the benchmark module's function that turns the option into the argument;
            its ``ValueError`` fails the command before anything runs.
    """

    name: str
    kind: Any
    default: Any
    help: str
    least: int | None = 1
    parse: str | None = None

    def parameter(self) -> inspect.Parameter:
        """The command's parameter for this option, as typer reads it."""
        option = typer.Option(min=self.least, help=self.help)
        return inspect.Parameter(
            self.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=self.default,
            annotation=Annotated[self.kind, option],
        )


@dataclass(frozen=True)
class Benchmark:
    """A ``ledger bench`` command.

    Attributes:
        name: the command. doc: its one-line description.
        run: the benchmark, ``module.function`` in ``api.bench``; the module is imported
            only when the command runs (the load benchmark's asyncio client is heavy).
        knobs: its options, in order.
        progress: the knob counting the events the benchmark writes, shown as a progress bar.
        fails_on: a figure of the report that makes the command exit 1 when it is not zero.
    """

    name: str
    run: str
    doc: str
    knobs: tuple[Knob, ...]
    progress: str | None = None
    fails_on: str | None = None


_RUNS = Knob("repeat", int, 3, "Runs; the median is reported.")
BENCHMARKS = (
    Benchmark("append", "ledger_runs.bench_append",
        "Append events through the ledger and the same rows raw; compare rates.",
        (Knob("events", int, 10_000, "Events per run."),
         Knob("batch", int, 100, "Events per commit."), _RUNS)),
    Benchmark("verify", "ledger_runs.bench_verify",
        "Verify a chain and compare with a plain streaming read of the same table.",
        (Knob("events", int, 100_000, "Events in the chain."), _RUNS)),
    Benchmark("api", "api.bench_api",
        "Time product registrations through the HTTP API against one-row raw inserts.",
        (Knob("writes", int, 2000, "Sequential writes through the API."),)),
    Benchmark("events-page", "api.bench_events_page",
        "Time pages of 500 events from the API at several positions, against the raw SELECT.",
        (Knob("events", int, 100_000, "Events in the ledger."),
         Knob("repeat", int, 20, "Timed rounds over the positions.")), progress="events"),
    Benchmark("load", "load.bench_load",
        "Mixed writes and queries against `ledger serve` for a while: rate, latency, memory,"
        " lag.",
        (Knob("seconds", float, 300, "How long the mix runs."),
         Knob("clients", int, 8, "Concurrent clients."),
         Knob("mix", str | None, None, "Request kinds and weights, e.g."
              " place_order=10,shipment=3.", least=None, parse="parse_mix")),
        fails_on="errors"),
    Benchmark("checkpoint", "checkpoints.bench_checkpoint",
        "Append through the ledger with and without checkpoints being signed; compare rates.",
        (Knob("events", int, 20_000, "Events per run and side."),
         Knob("batch", int, 1, "Events per commit."),
         Knob("every", int, 1000, "Sign every this many events."),
         Knob("repeat", int, 3, "Runs; the medians are compared."))),
    Benchmark("proof", "checkpoints.bench_proof",
        "Inclusion-proof latency at N events, from the stored Merkle tree.",
        (Knob("events", int, 1_000_000, "Events in the ledger."),
         Knob("samples", int, 1000, "Proofs timed.")), progress="events"),
    Benchmark("projections", "projections.bench_projections",
        "Rebuild the stock and lot-trace models from N events; time stock and trace queries.",
        (Knob("events", int, 100_000, "Lot movement events to append."),
         Knob("queries", int, 200, "Queries timed per kind.")), progress="events"),
    Benchmark("live-lag", "projections.bench_live_lag",
        "Lag of the live stock model behind writes at a steady rate: p50/p99/max.",
        (Knob("rate", float, 500, "Movements written per second."),
         Knob("seconds", float, 10, "How long to write."),
         Knob("writers", int, 4, "Writing threads, one lot each."))),
    Benchmark("order", "credit.bench_order",
        "Time order placement with its credit check against a raw lock-insert-update.",
        (Knob("orders", int, 2000, "Orders placed, one at a time."),
         Knob("customers", int, 50, "Credit accounts they go to."))),
    Benchmark("ageing", "credit.bench_ageing",
        "Time the ageing report as of past dates against a raw sum per customer.",
        (Knob("customers", int, 10_000, "Customers."),
         Knob("invoices", int, 1_000_000, "Invoice events."),
         Knob("repeat", int, 20, "Reports, as of dates through a year."))),
    Benchmark("evidence", "evidence.bench_evidence",
        "Time a recall's evidence bundle and the bundle verifier's events/s against SHA-256.",
        (Knob("consignees", int, 500, "Consignees the recalled lot reached."),
         Knob("events", int, 200_000, "Events the verifier checks.")), progress="events"),
    Benchmark("recall-impact", "recall.bench_recall_impact",
        "Time the impact list of a lot that reached N consignees, among M other events.",
        (Knob("consignees", int, 500, "Consignees of the recalled lot."),
         Knob("events", int, 100_000, "Other lot events in the ledger."),
         Knob("queries", int, 100, "Impact lists timed.")), progress="events"),
)  # fmt: skip


@contextmanager
def _progress(total: int | None, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` events on a terminal; nothing when quiet or unknown."""
    if total is None or quiet or not err.is_terminal:
        yield unwatched
        return
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("recording events", total=total)
        yield lambda n: progress.advance(task, n)


def _command(benchmark: Benchmark) -> Callable[..., None]:
    """The command that runs ``benchmark`` on the configured server and prints its report."""
    module_name, function = benchmark.run.split(".")

    def command(**options: Any) -> None:
        as_json = options.pop("as_json")
        module = importlib.import_module(f"api.bench.{module_name}")
        for knob in benchmark.knobs:
            if knob.parse is not None:
                try:
                    options[knob.name] = getattr(module, knob.parse)(options[knob.name])
                except ValueError as exc:
                    raise fail(f"error: --{knob.name}: {exc}", 2) from None
        measure: Callable[..., Report] = getattr(module, function)
        total = options[benchmark.progress] if benchmark.progress else None
        with ledger_database() as (settings, database), _progress(total, quiet=as_json) as step:
            report = measure(Bench(database, settings, progress=step), **options)
        emit(as_json, report.figures, report.line)
        if benchmark.fails_on is not None and report.figures[benchmark.fails_on]:
            raise typer.Exit(1)

    # typer reads the options from the signature.
    as_json = inspect.Parameter(
        "as_json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonFlag
    )
    parameters = [knob.parameter() for knob in benchmark.knobs]
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*parameters, as_json], return_annotation=None
    )
    command.__name__ = command.__qualname__ = "bench_" + benchmark.name.replace("-", "_")
    command.__doc__ = benchmark.doc
    return command


for _benchmark in BENCHMARKS:
    bench_app.command(_benchmark.name)(_command(_benchmark))
