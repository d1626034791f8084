"""Benchmarks of checkpoints and proofs: what signing costs appends, how fast proofs are."""

from __future__ import annotations

import random
import statistics
import threading
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bench.frame import Bench, Report, RunTimes, insert_events, ms_since, percentiles
from api.bench.ledger_runs import append_through_ledger
from api.bench.synthetic import synthetic_product_facts
from ledger.application.ledger import Ledger
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpointer import Checkpointer
from ledger.integrity.checkpoints import extend_tree, inclusion_proof

_FILL_CHUNK = 100_000
_BENCH_KEY_NAME = "bench.ledger/checkpoints"
# Events of the size of a small payload, for a long ledger quickly.
_SYNTHETIC_ROWS = (
    "SELECT gen_random_uuid(), 1, 'bench:SyntheticEvent',"
    " convert_to(repeat('x', 240) || n::text, 'UTF8')"
    " FROM generate_series(1, %(count)s) AS n"
)
_CHECKPOINT_LINE = (
    "appends {plain_events_per_s:,.0f} events/s without checkpoints, {signing_events_per_s:,.0f}"
    " events/s signing every {every_events} ({checkpoints_signed} signed): overhead"
    " {overhead_pct:.2f} %; batch {batch}, {server}"
)
_PROOF_LINE = (
    "inclusion proof at {events:,} events: p50 {proof_p50_ms:.3f} ms, p99 {proof_p99_ms:.3f} ms"
    " ({samples} proofs); tree built in {tree_build_s} s ({tree_build_leaves_per_s:,.0f}"
    " leaves/s); {server}"
)


def bench_checkpoint(
    bench: Bench, *, events: int, batch: int, every: int, repeat: int = 3
) -> Report:
    """Append ``events`` through the ledger with and without a checkpointer running.

    The checkpointer runs as under ``ledger serve``: a thread of the same process, told of
    every save, signing every ``every`` events. Runs alternate which side goes
    first; before each run with checkpoints the tree is brought up to date untimed, so a
    run signs only its own events. The medians of the rates are compared.
    """
    plain: list[float] = []
    signing: list[float] = []
    signed = 0
    key = SigningKey(_BENCH_KEY_NAME, Ed25519PrivateKey.generate())
    with bench.scratch() as scratch, bench.ledger(scratch) as ledger:
        # Saves tell the checkpointer of the run under way, if any (plain runs have none).
        running: list[Checkpointer] = []

        def tell_running(position: int) -> None:
            for checkpointer in running:
                checkpointer.saw(position)

        ledger.on_saved(tell_running)
        warm = synthetic_product_facts(10**9, min(batch * 3, 300))
        append_through_ledger(ledger, warm, batch=batch, times=RunTimes())
        for run in range(repeat):
            sides = ("plain", "signing") if run % 2 == 0 else ("signing", "plain")
            for side in sides:
                inputs = synthetic_product_facts((2 * run + (side == "signing")) * events, events)
                if side == "plain":
                    plain.append(_timed_appends(ledger, inputs, batch))
                    continue
                extend_tree(scratch)
                checkpointer = Checkpointer(scratch, key, every_events=every, every_seconds=3600)
                running.append(checkpointer)
                rate, count = _appends_while_signing(ledger, checkpointer, inputs, batch)
                running.clear()
                signing.append(rate)
                signed += count
    plain_rate, signing_rate = statistics.median(plain), statistics.median(signing)
    figures = {
        "events": events,
        "batch": batch,
        "every_events": every,
        "plain_events_per_s": round(plain_rate, 1),
        "signing_events_per_s": round(signing_rate, 1),
        "overhead_pct": round(100 * (1 - signing_rate / plain_rate), 2),
        "checkpoints_signed": signed,
        "server": bench.server_version(),
    }
    return Report(figures, _CHECKPOINT_LINE.format_map(figures))


def _timed_appends(ledger: Ledger, inputs: list[dict[str, Any]], batch: int) -> float:
    started = time.perf_counter()
    append_through_ledger(ledger, inputs, batch=batch, times=RunTimes())
    return len(inputs) / (time.perf_counter() - started)


def _appends_while_signing(
    ledger: Ledger, checkpointer: Checkpointer, inputs: list[dict[str, Any]], batch: int
) -> tuple[float, int]:
    """The append rate while the checkpointer signs; the checkpoints it signed."""
    stop = threading.Event()
    thread = threading.Thread(target=checkpointer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        rate = _timed_appends(ledger, inputs, batch)
    finally:
        stop.set()
        checkpointer.wake()
        thread.join()
    return rate, len(checkpointer.signed)


def bench_proof(bench: Bench, *, events: int, samples: int) -> Report:
    """Inclusion-proof latency at ``events`` events: random positions, each proof read
    from the stored tree with one statement and assembled, as the API does."""
    with bench.scratch() as scratch:
        insert_events(
            scratch, events, rows=_SYNTHETIC_ROWS, chunk=_FILL_CHUNK, progress=bench.progress
        )
        started = time.perf_counter()
        size = extend_tree(scratch)
        extend_seconds = time.perf_counter() - started
        rng = random.Random(7)
        latencies: list[float] = []
        with scratch.connect(autocommit=True) as conn:
            last = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()
            top = int(last[0]) if last and last[0] is not None else 0
            for sample in range(samples + 20):
                position = rng.randint(1, top)
                t0 = time.perf_counter()
                inclusion_proof(scratch, conn, position=position, tree_size=size)
                if sample >= 20:  # the first few warm the connection and the plan cache
                    latencies.append(ms_since(t0))
    figures = {
        "events": events,
        "samples": samples,
        **percentiles("proof", latencies, 50, 99),
        "tree_build_s": round(extend_seconds, 2),
        "tree_build_leaves_per_s": round(size / extend_seconds, 1) if extend_seconds else 0.0,
        "server": bench.server_version(),
    }
    return Report(figures, _PROOF_LINE.format_map(figures))
