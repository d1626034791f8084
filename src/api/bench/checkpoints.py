"""Benchmarks of checkpoints and proofs: what signing costs appends, how fast proofs are."""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bench.ledger_runs import (
    RunTimes,
    append_through_ledger,
    percentile,
    scratch_schema,
    server_version,
    synthetic_product_facts,
)
from ledger.application.ledger import Ledger
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpointer import Checkpointer
from ledger.integrity.checkpoints import extend_tree, inclusion_proof
from ledger.store.database import Database

_FILL_CHUNK = 100_000
_BENCH_KEY_NAME = "bench.ledger/checkpoints"


def bench_checkpoint(
    database: Database,
    build_ledger: Callable[[Database], Ledger],
    migrations_dir: Any,
    *,
    events: int,
    batch: int,
    every_events: int,
    repeat: int = 3,
) -> dict[str, Any]:
    """Append ``events`` through the ledger with and without a checkpointer running.

    The checkpointer runs as under ``ledger serve``: a thread of the same process, told of
    every save, signing every ``every_events`` events. Runs alternate which side goes
    first; before each run with checkpoints the tree is brought up to date untimed, so a
    run signs only its own events. The medians of the rates are compared.
    """
    plain: list[float] = []
    signing: list[float] = []
    signed = 0
    key = SigningKey(_BENCH_KEY_NAME, Ed25519PrivateKey.generate())
    with scratch_schema(database, migrations_dir) as scratch:
        ledger = build_ledger(scratch)
        # Saves tell the checkpointer of the run under way, if any (plain runs have none).
        running: list[Checkpointer] = []

        def tell_running(position: int) -> None:
            for checkpointer in running:
                checkpointer.saw(position)

        ledger.on_saved(tell_running)
        try:
            warm = synthetic_product_facts(10**9, min(batch * 3, 300))
            append_through_ledger(ledger, warm, batch=batch, times=RunTimes())
            for run in range(repeat):
                sides = ("plain", "signing") if run % 2 == 0 else ("signing", "plain")
                for side in sides:
                    inputs = synthetic_product_facts(
                        (2 * run + (side == "signing")) * events, events
                    )
                    if side == "plain":
                        plain.append(_timed_appends(ledger, inputs, batch))
                        continue
                    extend_tree(scratch)
                    checkpointer = Checkpointer(
                        scratch, key, every_events=every_events, every_seconds=3600
                    )
                    running.append(checkpointer)
                    rate, count = _appends_while_signing(ledger, checkpointer, inputs, batch)
                    running.clear()
                    signing.append(rate)
                    signed += count
        finally:
            ledger.close()
        server = server_version(scratch)
    plain_rate, signing_rate = statistics.median(plain), statistics.median(signing)
    return {
        "events": events,
        "batch": batch,
        "every_events": every_events,
        "plain_events_per_s": round(plain_rate, 1),
        "signing_events_per_s": round(signing_rate, 1),
        "overhead_pct": round(100 * (1 - signing_rate / plain_rate), 2),
        "checkpoints_signed": signed,
        "server": server,
    }


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


def fill_events(database: Database, events: int, *, progress: Callable[[int], None]) -> None:
    """Append ``events`` synthetic events in large statements (the chain trigger hashes
    each), for benchmarks that need a long ledger rather than realistic commands."""
    with database.connect() as conn:
        for offset in range(0, events, _FILL_CHUNK):
            count = min(_FILL_CHUNK, events - offset)
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
                " SELECT gen_random_uuid(), 1, 'bench:SyntheticEvent',"
                " convert_to(repeat('x', 240) || n::text, 'UTF8')"
                " FROM generate_series(1, %s) AS n",
                (count,),
            )
            conn.commit()
            progress(count)


def bench_proof(
    database: Database,
    migrations_dir: Any,
    *,
    events: int,
    samples: int,
    progress: Callable[[int], None] = lambda _n: None,
) -> dict[str, Any]:
    """Inclusion-proof latency at ``events`` events: random positions, each proof read
    from the stored tree with one statement and assembled, as the API does."""
    with scratch_schema(database, migrations_dir) as scratch:
        fill_events(scratch, events, progress=progress)
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
                    latencies.append((time.perf_counter() - t0) * 1000)
        server = server_version(scratch)
    return {
        "events": events,
        "samples": samples,
        "proof_p50_ms": round(percentile(latencies, 50), 3),
        "proof_p99_ms": round(percentile(latencies, 99), 3),
        "tree_build_s": round(extend_seconds, 2),
        "tree_build_leaves_per_s": round(size / extend_seconds, 1) if extend_seconds else 0.0,
        "server": server,
    }
