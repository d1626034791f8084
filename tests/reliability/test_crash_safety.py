"""Crash safety: ``kill -9`` of the server, and restarts of PostgreSQL, lose and double nothing.

Clients write continuously through ``ledger serve`` and retry every unacknowledged write
with its Idempotency-Key. Afterwards every acknowledged write is in the ledger exactly once,
``ledger verify`` passes, and the read models the server kept equal a rebuild.

By default a short run (a few cycles); ``-m long`` runs 50 cycles of each fault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx2
import pytest
from reliability_harness import (
    SUPPLIER,
    Acknowledgements,
    api_harness,
    assert_acknowledged_exactly_once,
    assert_read_models_equal_a_rebuild,
    kill_and_restart,
    restart_database,
    run_clients,
    wait_until_caught_up,
)

from api.bench.serve import ServeProcess, free_port
from api.keys import Role
from conftest import cli_env, run_cli
from ledger.application.ledger import Ledger
from ledger.store.database import Database

CLIENTS = 3
Faults = Callable[[Database, ServeProcess], Callable[[], None]]


@pytest.fixture
def served(database: Database, tmp_path: Path) -> Iterator[tuple[ServeProcess, str, str]]:
    """``ledger serve`` on the test's schema, an operator key, and a product to receive."""
    token = api_harness.issue(database, Role.OPERATOR, name="crash-test")
    server = ServeProcess(cli_env(database), port=free_port(), log=tmp_path / "serve.log")
    server.start()
    try:
        product = api_harness.product_body(api_harness.unique())
        with httpx2.Client(base_url=server.url, timeout=10.0) as http:
            for number, (path, body) in enumerate(
                [("/v1/products", product), ("/v1/parties", api_harness.party_body(SUPPLIER))]
            ):
                headers = api_harness.bearer(token, f"setup-{number}")
                assert http.post(path, json=body, headers=headers).status_code == 201
        yield server, token, product["gtin"]
    finally:
        server.stop()


def _survives(
    database: Database, ledger: Ledger, served: tuple[ServeProcess, str, str], faults: Faults
) -> Acknowledgements:
    server, token, gtin = served
    acks = run_clients(server.url, token, gtin, clients=CLIENTS, faults=faults(database, server))

    assert len(acks.positions) >= CLIENTS, "the clients got (almost) nothing acknowledged"
    assert_acknowledged_exactly_once(database, acks)
    verified = run_cli("verify", "--json", env=cli_env(database))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    wait_until_caught_up(database, ledger)
    server.stop()
    assert_read_models_equal_a_rebuild(database, ledger)
    return acks


def _postmaster_start(database: Database) -> datetime:
    with database.connect(autocommit=True) as conn:
        row = conn.execute("SELECT pg_postmaster_start_time()").fetchone()
    assert row is not None
    started: datetime = row[0]
    return started


def _kills(cycles: int) -> Faults:
    return lambda _database, server: kill_and_restart(server, cycles=cycles, seed=cycles)


def _database_restarts(cycles: int) -> Faults:
    return lambda database, server: restart_database(database, server, cycles=cycles, seed=cycles)


def test_writes_acknowledged_across_five_kills_of_the_server_are_recorded_once(
    database: Database, ledger: Ledger, served: tuple[ServeProcess, str, str]
) -> None:
    acks = _survives(database, ledger, served, _kills(5))

    assert acks.attempts > len(acks.positions), "no write was ever retried: no fault was hit"


def test_the_server_rides_out_three_database_restarts_without_being_restarted(
    database: Database, ledger: Ledger, served: tuple[ServeProcess, str, str]
) -> None:
    started = _postmaster_start(database)
    _survives(database, ledger, served, _database_restarts(3))

    assert served[0].starts == 1
    if database.embedded:  # the faults really stopped and started the server
        assert _postmaster_start(database) > started


@pytest.mark.long
def test_writes_acknowledged_across_fifty_kills_of_the_server_are_recorded_once(
    database: Database, ledger: Ledger, served: tuple[ServeProcess, str, str]
) -> None:
    _survives(database, ledger, served, _kills(50))


@pytest.mark.long
def test_the_server_rides_out_fifty_database_restarts_without_being_restarted(
    database: Database, ledger: Ledger, served: tuple[ServeProcess, str, str]
) -> None:
    _survives(database, ledger, served, _database_restarts(50))
