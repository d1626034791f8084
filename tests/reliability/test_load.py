"""A bounded load test: mixed traffic against ``ledger serve`` answers without a failure.

The short run (seconds) is part of every test run; ``-m long`` runs the five-minute one
whose figures go into docs/benchmarks.md (``ledger bench load --seconds 300``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.bench.frame import Bench
from api.bench.load import MIX, bench_load
from conftest import cli_env, run_cli
from ledger.settings import Settings
from ledger.store.database import Database


def _run(server: Database, *, seconds: float, clients: int) -> dict[str, Any]:
    return bench_load(Bench(server, Settings()), seconds=seconds, clients=clients).figures


def _assert_healthy(report: dict[str, Any]) -> None:
    assert report["errors"] == 0, report["first_failures"]
    assert set(report["by_kind"]) == set(MIX)
    assert all(kind["requests"] > 0 for kind in report["by_kind"].values())
    assert report["requests"] == sum(int(n) for n in report["statuses"].values())
    assert report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]
    # The read models keep up: once the load stops they fold the rest within seconds.
    assert report["projection_catch_up_s"] < 30


def test_a_short_mixed_load_gets_no_error_answers(server: Database) -> None:
    report = _run(server, seconds=8, clients=4)

    _assert_healthy(report)
    assert report["requests_per_s"] > 10


@pytest.mark.long
def test_five_minutes_of_mixed_load_get_no_error_answers_and_memory_stays_flat(
    server: Database,
) -> None:
    report = _run(server, seconds=300, clients=8)

    _assert_healthy(report)
    assert report["rss_growth_mib"] < 100


def test_an_order_heavy_mix_on_one_account_gets_no_error_answers(server: Database) -> None:
    result = run_cli(
        "bench", "load", "--seconds", "6", "--clients", "6",
        "--mix", "place_order=10,receipt=2,shipment=3", "--json",
        env=cli_env(server),
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["mix"] == {"place_order": 10, "receipt": 2, "shipment": 3}
    assert report["errors"] == 0, report["first_failures"]
    assert report["by_kind"]["place_order"]["requests"] > 0
    assert set(report["by_kind"]) <= {"place_order", "receipt", "shipment"}


@pytest.mark.parametrize(
    ("mix", "message"),
    [
        ("orders=3", "error: --mix: unknown request kind 'orders'"),
        ("place_order=0", "error: --mix: the weight of place_order must be a positive whole"),
        ("place_order", "error: --mix: the weight of place_order must be a positive whole"),
    ],
)
def test_a_bad_mix_is_one_line_and_exit_2(server: Database, mix: str, message: str) -> None:
    result = run_cli("bench", "load", "--seconds", "1", "--mix", mix, env=cli_env(server))

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message)
