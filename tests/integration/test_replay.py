"""Time travel: read models replayed as of a past position or time, in a schema of their own.

A replay as of time T must answer exactly what the live model answers "as the ledger knew
it at T" (``known_at``); a replay up to the head must equal the live model row for row.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from api.bootstrap import build_projections
from conftest import cli_env, fresh_database, register_products, run_cli
from ledger.application.ledger import Ledger
from ledger.domain.errors import LedgerError
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import PartyRole, ShipmentLine
from ledger.settings import Settings
from ledger.store.database import Database
from projections.runner import Projections
from projections.stock import StockLine, stock_on_hand

WHEN = datetime(2026, 4, 1, 8, tzinfo=UTC)
PLACES = ["WH-SH-A1", "WH-SH-A2", "WH-BJ-A1"]

moves = st.lists(
    st.tuples(
        st.sampled_from(["receive", "put_away", "ship", "adjust", "quarantine", "scrap"]),
        st.integers(0, 2),  # which lot
        st.sampled_from(PLACES),
        st.sampled_from(PLACES),
        st.integers(1, 9),
    ),
    min_size=1,
    max_size=25,
)


def _set_up(ledger: Ledger) -> str:
    (gtin,) = register_products(ledger, 1)
    for code, role in (("MFR-1", PartyRole.MANUFACTURER), ("DIST-1", PartyRole.DISTRIBUTOR)):
        grade = "A" if code == "DIST-1" else None
        ledger.master_data.register_party(code=code, name=code, role=role, region="East",
                              recall_contact="qa@x.cn", grade=grade)  # fmt: skip
    return gtin


Step = tuple[str, int, str, str, int]  # movement, lot, here, there, quantity


def _move(ledger: Ledger, gtin: str, lot: str, step: Step, n: int) -> None:
    kind, _lot, here, there, quantity = step
    at = WHEN + timedelta(hours=n)
    named = {"lot": LotRef(gtin, lot), "occurred_at": at}
    try:
        if kind == "receive":
            ledger.lots.receive(supplier="MFR-1", purchase_order=f"PO-{n}", location=here,
                           accepted=quantity, expiry=date(2028, 1, 1), **named)  # fmt: skip
        elif kind == "put_away":
            ledger.lots.put_away(from_location=here, to_location=there, quantity=quantity, **named)
        elif kind == "ship":
            line = ShipmentLine(gtin=gtin, lot_number=lot, quantity=quantity, from_location=here)
            ledger.channel.ship(
                shipment=f"SH-{lot}-{n}", consignee="DIST-1", lines=[line], occurred_at=at
            )
        elif kind == "adjust":
            ledger.lots.adjust_stock(location=here, change=-quantity, reason="count", **named)
        elif kind == "quarantine":
            ledger.lots.quarantine(location=here, quantity=quantity, reason="inspection", **named)
        else:
            ledger.lots.scrap(location=here, quantity=quantity, reason="damaged", **named)
    except LedgerError:
        pass  # refused movements append nothing; the history goes on


def _stock(conn: psycopg.Connection[Any], **query: Any) -> list[StockLine]:
    with conn.cursor() as cursor:
        return stock_on_hand(cursor, **query)


def _in(database: Database, schema: str) -> psycopg.Connection[Any]:
    conn = database.connect(autocommit=True)
    conn.execute(sql.SQL("SET search_path TO {}, {}").format(
        sql.Identifier(schema), sql.Identifier(database.schema)))  # fmt: skip
    return conn


@contextmanager
def _dropped(database: Database, schema: str) -> Iterator[str]:
    """``schema``, dropped afterwards: replays live beside the test's own schema."""
    try:
        yield schema
    finally:
        with database.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(schema)))  # fmt: skip


def _rows(conn: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL("SELECT * FROM {} ORDER BY 1, 2, 3").format(
        sql.Identifier(table))).fetchall()  # fmt: skip


@pytest.fixture(scope="module")
def history(server: Database) -> Iterator[tuple[Database, Ledger, Projections, str]]:
    with fresh_database(server) as database:
        from api.bootstrap import build_ledger

        ledger = build_ledger(Settings(pool_size=2), database)
        gtin = _set_up(ledger)
        yield database, ledger, build_projections(database, ledger), gtin
        ledger.close()


examples = itertools.count()


@settings(max_examples=10)
@given(steps=moves, cut=st.floats(0, 1))
def test_a_replay_as_of_a_time_answers_what_the_live_model_knew_then(
    history: tuple[Database, Ledger, Projections, str],
    steps: list[Step],
    cut: float,
) -> None:
    database, ledger, projections, gtin = history
    example = next(examples)
    for n, step in enumerate(steps):
        _move(ledger, gtin, f"X{example}-{step[1]}", step, n)
    projections.catch_up()
    with database.connect() as conn:
        times = [r[0] for r in conn.execute("SELECT recorded_at FROM ledger_events ORDER BY 1")]
    as_of = times[min(len(times) - 1, int(cut * len(times)))]
    with _dropped(database, f"{database.schema}_t{example}") as schema:
        done = projections.replay(["stock"], schema=schema, as_of=as_of)
        with _in(database, schema) as replayed, database.connect() as live:
            assert _stock(replayed) == _stock(live, known_at=as_of)
            assert _stock(replayed, gtin=gtin, location="WH-SH") == _stock(
                live, gtin=gtin, location="WH-SH", known_at=as_of
            )
            recorded = live.execute(
                "SELECT count(*) FROM ledger_events WHERE recorded_at <= %s", (as_of,)
            ).fetchone()
            assert recorded is not None and done.position == recorded[0]


def test_a_replay_to_the_head_equals_the_live_models_row_for_row(
    database: Database, ledger: Ledger
) -> None:
    gtin = _set_up(ledger)
    for n, step in enumerate(
        [("receive", 0, "WH-SH-A1", "", 9), ("ship", 0, "WH-SH-A1", "", 4),
         ("put_away", 0, "WH-SH-A1", "WH-SH-A2", 2), ("receive", 1, "WH-BJ-A1", "", 5),
         ("quarantine", 1, "WH-BJ-A1", "", 1), ("scrap", 1, "WH-BJ-A1", "", 1)]
    ):  # fmt: skip
        _move(ledger, gtin, f"H-{step[1]}", step, n)
    ledger.channel.confirm_delivery(shipment="SH-H-0-1", consignee="DIST-1", lots=[(gtin, "H-0")],
                            occurred_at=WHEN + timedelta(days=1))  # fmt: skip
    projections = build_projections(database, ledger)
    projections.catch_up()
    head = projections.status()[0].head

    with _dropped(database, f"{database.schema}_head") as schema:
        done = projections.replay(["stock", "lot_trace"], schema=schema, to_position=head + 50)
        _equal_to_live(database, schema, head)
    assert (done.position, done.head) == (head, head)


def _equal_to_live(database: Database, schema: str, head: int) -> None:
    with _in(database, schema) as replayed, database.connect() as live:
        for table in ("stock_lots", "stock_balances", "stock_movements", "lot_trace_entries",
                      "lot_flows", "lot_consignees"):  # fmt: skip
            assert _rows(replayed, table) == _rows(live, table), table
            assert _rows(live, table), table  # the comparison is not between empty tables
        info = replayed.execute("SELECT model, position, head FROM ledger_replay ORDER BY 1")
        assert info.fetchall() == [("lot_trace", head, head), ("stock", head, head)]


def test_a_replay_to_an_early_position_holds_only_what_came_before(
    database: Database, ledger: Ledger
) -> None:
    gtin = _set_up(ledger)
    _move(ledger, gtin, "E-1", ("receive", 0, "WH-SH-A1", "", 7), 0)
    with database.connect() as conn:
        (after_receipt,) = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()
    _move(ledger, gtin, "E-1", ("ship", 0, "WH-SH-A1", "", 3), 1)
    projections = build_projections(database, ledger)

    with _dropped(database, f"{database.schema}_early") as schema:
        projections.replay(["stock"], schema=schema, to_position=after_receipt)
        with _in(database, schema) as replayed:
            shown = [(s.lot_number, s.location, s.status, s.quantity) for s in _stock(replayed)]
    assert shown == [("E-1", "WH-SH-A1", "available", 7)]


def test_replay_from_the_command_line_reports_json_and_refuses_bad_requests(
    database: Database, ledger: Ledger
) -> None:
    gtin = _set_up(ledger)
    _move(ledger, gtin, "C-1", ("receive", 0, "WH-SH-A1", "", 7), 0)
    env = cli_env(database)

    replay_3 = f"{database.schema}_replay_3"
    with _dropped(database, replay_3):
        result = run_cli("replay", "--to-position", "3", "--model", "stock", "--json", env=env)
        again = run_cli("replay", "--to-position", "3", env=env)

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["schema"], out["models"], out["position"]) == (replay_3, ["stock"], 3)
    assert again.returncode == 1 and f"schema {replay_3!r} already exists" in again.stderr
    for args, message in (
        ([], "give exactly one of --to-position and --as-of"),
        (["--to-position", "3", "--as-of", "2026-01-01"], "give exactly one"),
        (["--to-position", "3", "--model", "nope", "--schema", "r_x"], "no read model called"),
        (["--to-position", "3", "--schema", "Bad-Name"], "not a plain lower-case name"),
    ):
        refused = run_cli("replay", *args, env=env)
        assert refused.returncode == 1, args
        assert message in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    with database.connect() as conn:
        schemas = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('r_x', 'bad-name')"
        ).fetchone()
    assert schemas == (0,)
