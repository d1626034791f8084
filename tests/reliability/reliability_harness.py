"""Helpers of the reliability tests: writing clients that retry, faults, and the checks.

Not a conftest (a second ``conftest`` module would shadow the root one).
"""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import random
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psutil
from psycopg import sql

from api.bench.serve import ServeProcess
from api.bootstrap import build_projections
from conftest import valid_gtin
from ledger.application.ledger import Ledger
from ledger.store.database import Database

# The API tests' helpers (keys, bodies, problem checks) are shared with these tests; their
# directory is on the import path only when pytest collects it, so it is added here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
import api_harness

AT = api_harness.AT
SUPPLIER = "SUP-CRASH"
Write = tuple[str, str, dict[str, Any]]  # idempotency key, path, body


def operator_writes(client: int, product_gtin: str) -> Iterator[Write]:
    """An endless plan of writes for one client: products, parties and receipts of new lots.

    None of them can be refused by a rule, so every one must end acknowledged.
    """
    for number in itertools.count():
        key = f"crash-{client}-{number}"
        kind = number % 3
        if kind == 0:
            yield key, "/v1/lots/receipts", {
                "gtin": product_gtin, "lot": f"C{client}N{number}", "supplier": SUPPLIER,
                "purchase_order": f"PO-{client}-{number}", "location": "WH-SH-01",
                "accepted": 10, "expiry": "2029-01-31", "occurred_at": AT,
            }  # fmt: skip
        elif kind == 1:
            yield key, "/v1/products", {
                "gtin": valid_gtin(client * 1_000_000 + number, prefix="0693"),
                "name": f"Crash-test catheter {client}-{number}",
                "registration_certificate": f"NMPA-2026-C{client}{number:06d}",
                "risk_class": "II", "unit_of_use": "each",
                "storage_min_celsius": "2.0", "storage_max_celsius": "25.0",
            }  # fmt: skip
        else:
            code = f"HOSP-C{client}N{number}"
            yield key, "/v1/parties", {
                "code": code, "name": f"Hospital {code}", "role": "hospital",
                "region": "East China", "recall_contact": f"recall@{code.lower()}.example.cn",
            }  # fmt: skip


@dataclass
class Acknowledgements:
    """What the server acknowledged to the clients: idempotency key -> positions."""

    positions: dict[str, list[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class RetryingClient(threading.Thread):
    """Sends its writes one after another; a write is retried with the same key until the
    server acknowledges it (2xx), whatever happens to the server in between."""

    def __init__(
        self, url: str, token: str, writes: Iterator[Write], acks: Acknowledgements
    ) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.token = token
        self.writes = writes
        self.acks = acks
        self.stop = threading.Event()
        self.deadline = float("inf")

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx2.Client(base_url=self.url, headers=headers, timeout=10.0) as http:
            while not self.stop.is_set():
                key, path, body = next(self.writes)
                if not self._until_acknowledged(http, key, path, body):
                    return

    def _until_acknowledged(
        self, http: httpx2.Client, key: str, path: str, body: dict[str, Any]
    ) -> bool:
        while time.monotonic() < self.deadline:
            with self.acks.lock:
                self.acks.attempts += 1
            try:
                response = http.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx2.TransportError:
                time.sleep(0.05)  # the server is down or restarting: same key again
                continue
            if response.status_code in (200, 201):
                with self.acks.lock:
                    self.acks.positions[key] = response.json()["positions"]
                return True
            if response.status_code == 503:
                time.sleep(0.05)
                continue
            with self.acks.lock:
                self.acks.failures.append(f"{key} {response.status_code} {response.text[:300]}")
            return False
        with self.acks.lock:
            self.acks.failures.append(f"{key} never acknowledged")
        return False


def run_clients(
    url: str, token: str, product_gtin: str, *, clients: int, faults: Callable[[], None]
) -> Acknowledgements:
    """Let ``clients`` write while ``faults()`` runs; then let them finish what they began."""
    acks = Acknowledgements()
    threads = [
        RetryingClient(url, token, operator_writes(number, product_gtin), acks)
        for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        faults()
    finally:
        for thread in threads:
            thread.stop.set()
            thread.deadline = time.monotonic() + 60
        for thread in threads:
            thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a client never finished"
    return acks


def kill_and_restart(server: ServeProcess, *, cycles: int, seed: int) -> Callable[[], None]:
    """Faults: ``kill -9`` the server at random moments, ``cycles`` times, restarting it."""
    chance = random.Random(seed)

    def faults() -> None:
        for _ in range(cycles):
            time.sleep(chance.uniform(0.05, 0.6))
            server.kill()
            time.sleep(chance.uniform(0, 0.2))
            server.start()
        time.sleep(0.3)

    return faults


def restart_database(
    database: Database, server: ServeProcess, *, cycles: int, seed: int
) -> Callable[[], None]:
    """Faults: restart PostgreSQL at random moments, down for up to three seconds each time
    (longer than the server's own retries last). The embedded server is stopped and
    started with ``pg_ctl``; an external one, which a test cannot restart, loses every
    session of the server process to ``pg_terminate_backend`` instead."""
    chance = random.Random(seed)

    def faults() -> None:
        for cycle in range(cycles):
            time.sleep(chance.uniform(0.1, 0.8))
            if database.embedded:  # the first time surely longer than the server's retries
                _pg_ctl_restart(database, down_for=3.0 if cycle == 0 else chance.uniform(0, 3))
            else:
                _terminate_sessions_of(database, server.pid)
        time.sleep(0.5)

    return faults


_restarted: set[Path] = set()


def _pg_ctl_restart(database: Database, *, down_for: float) -> None:
    with database.connect(autocommit=True) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    pgdata = Path(row[0])
    # How the server was started: the postgres binary, then its options.
    binary, *arguments = shlex.split((pgdata / "postmaster.opts").read_text())
    pg_ctl = Path(binary).with_name("pg_ctl")
    if "-D" in arguments:  # pg_ctl gives the data directory itself
        at = arguments.index("-D")
        del arguments[at : at + 2]
    options = shlex.join(arguments)
    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name

    def pg_ctl_run(*args: str) -> None:
        subprocess.run(
            [str(pg_ctl), *args, "-w", "-D", str(pgdata)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=owner if os.geteuid() == 0 else None,
            timeout=60,
        )

    pg_ctl_run("stop", "-m", "fast")
    time.sleep(down_for)
    pg_ctl_run("start", "-o", options, "-l", str(pgdata / "log"))
    # The embedded server stops its postmaster at exit only if it is the one it started;
    # this one is stopped here instead, so that no server outlives the test run.
    if pgdata not in _restarted:
        _restarted.add(pgdata)
        atexit.register(pg_ctl_run, "stop", "-m", "fast")


def _terminate_sessions_of(database: Database, pid: int) -> None:
    ports = [c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp") if c.raddr]
    with database.connect(autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
            (ports,),
        )


# Checks --------------------------------------------------------------------------------


def assert_acknowledged_exactly_once(database: Database, acks: Acknowledgements) -> None:
    """Every acknowledged write is recorded once, with the positions the client was told,
    and every event belongs to exactly one recorded write."""
    assert not acks.failures, acks.failures[:5]
    with database.connect() as conn:
        commands = dict(
            conn.execute("SELECT idempotency_key, positions FROM ledger_commands").fetchall()
        )
        events = [row[0] for row in conn.execute("SELECT notification_id FROM ledger_events")]
    for key, positions in acks.positions.items():
        assert key in commands, f"acknowledged write {key} is not in the ledger"
        assert list(commands[key]) == positions, key
    recorded = [position for positions in commands.values() for position in positions]
    assert len(recorded) == len(set(recorded)), "an event is claimed by two writes"
    assert sorted(recorded) == sorted(events), "an event belongs to no acknowledged write"


def wait_until_caught_up(database: Database, ledger: Ledger, *, timeout: float = 60) -> None:
    """Wait until the running server's follower has folded every event into every model."""
    projections = build_projections(database, ledger)
    deadline = time.monotonic() + timeout
    while any(status.lag for status in projections.status()):
        assert time.monotonic() < deadline, projections.status()
        time.sleep(0.1)


def assert_read_models_equal_a_rebuild(database: Database, ledger: Ledger) -> None:
    """Every read model, as the live follower left it, equals a rebuild from position 0."""
    projections = build_projections(database, ledger)
    projections.catch_up()
    for name, model in projections.models.items():
        live = {table: _rows(database, table) for table in model.tables}
        projections.rebuild(name)
        rebuilt = {table: _rows(database, table) for table in model.tables}
        assert rebuilt == live, f"read model {name} differs from its rebuild"


def _rows(database: Database, table: str) -> list[str]:
    with database.connect() as conn:
        rows = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))).fetchall()
    return sorted(repr(row) for row in rows)
