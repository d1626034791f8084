"""The projection runner and the catalogue read model, on a real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.application.ledger import Ledger
from ledger.domain.values import PartyRole, RiskClass, gs1_check_digit
from ledger.store.database import Database
from projections.catalogue import Catalogue, list_parties, list_products
from projections.runner import Projections


def _gtin(number: int) -> str:
    body = f"0690{number:09d}"
    return body + str(gs1_check_digit(body))


def _register_product(ledger: Ledger, number: int) -> None:
    ledger.master_data.register_product(
        gtin=_gtin(number),
        name=f"Device {number}",
        registration_certificate=f"REG-{number}",
        risk_class=RiskClass.II,
        unit_of_use="each",
    )


def _register_party(ledger: Ledger, number: int) -> None:
    ledger.master_data.register_party(
        code=f"HOSP-{number:04d}",
        name=f"Hospital {number}",
        role=PartyRole.HOSPITAL,
        region="East China",
        recall_contact="qa@example.cn",
    )


def _projections(database: Database, ledger: Ledger, page_size: int = 1000) -> Projections:
    return Projections(database, ledger.mapper.to_domain_event, [Catalogue()], page_size=page_size)


def _table(database: Database, table: str) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def test_catch_up_folds_registrations_into_the_catalogue(
    database: Database, ledger: Ledger
) -> None:
    for number in range(5):
        _register_product(ledger, number)
    _register_party(ledger, 1)
    projections = _projections(database, ledger, page_size=2)

    positions = projections.catch_up()

    assert positions == {"catalogue": 6}
    with database.connect() as conn, conn.cursor() as cur:
        products = list_products(cur)
        parties = list_parties(cur, role="hospital")
        assert list_parties(cur, role="distributor") == []
    assert [row[1] for row in products] == [_gtin(n) for n in range(5)]
    assert [row[1] for row in parties] == ["HOSP-0001"]
    [status] = projections.status()
    assert (status.position, status.head, status.lag) == (6, 6, 0)


def test_status_shows_the_lag_of_a_model_behind_the_stream(
    database: Database, ledger: Ledger
) -> None:
    projections = _projections(database, ledger)
    projections.catch_up()
    _register_product(ledger, 1)
    _register_product(ledger, 2)

    [status] = projections.status()

    assert (status.position, status.head, status.lag) == (0, 2, 2)


def test_a_follower_wakes_on_save_and_readers_can_wait_for_a_position(
    database: Database, ledger: Ledger
) -> None:
    projections = _projections(database, ledger)
    ledger.on_saved(projections.wake)
    stop = threading.Event()
    follower = threading.Thread(target=projections.run, args=(stop,), kwargs={"interval": 5.0})
    follower.start()
    try:
        outcome = ledger.master_data.register_product(
            gtin=_gtin(7),
            name="x",
            registration_certificate="r",
            risk_class=RiskClass.I,
            unit_of_use="each",
        )
        assert projections.wait_for("catalogue", outcome.positions[-1], timeout=3.0)
        with database.connect() as conn, conn.cursor() as cur:
            assert [row[1] for row in list_products(cur)] == [_gtin(7)]
    finally:
        stop.set()
        projections.wake()
        follower.join(timeout=10)
    assert not follower.is_alive()


def test_waiting_for_a_position_not_yet_recorded_times_out(
    database: Database, ledger: Ledger
) -> None:
    projections = _projections(database, ledger)

    assert projections.wait_for("catalogue", 1, timeout=0.05) is False


def test_an_unknown_model_is_named_in_the_error(database: Database, ledger: Ledger) -> None:
    with pytest.raises(KeyError, match=r"no read model called .stock.*catalogue"):
        _projections(database, ledger).rebuild("stock")


@contextmanager
def _fresh(server: Database) -> Iterator[tuple[Database, Ledger]]:
    """A schema and application of their own, for one hypothesis example."""
    import secrets

    from psycopg import sql

    from api.bootstrap import build_ledger
    from ledger.settings import Settings
    from ledger.store.migrations import migrate

    schema = f"t_{secrets.token_hex(6)}"
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    database = Database(url=server.url, schema=schema, embedded=server.embedded)
    migrate(database, Settings().migrations_dir)
    ledger = build_ledger(Settings(pool_size=1), database)
    try:
        yield database, ledger
    finally:
        ledger.close()
        with server.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@settings(max_examples=8)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("product"), st.integers(0, 40)),
            st.tuples(st.just("party"), st.integers(0, 40)),
            st.tuples(st.just("catch_up"), st.just(0)),
        ),
        max_size=25,
    ),
    page_size=st.integers(1, 7),
)
def test_a_rebuilt_model_equals_the_live_one_row_for_row(
    server: Database, steps: list[tuple[str, int]], page_size: int
) -> None:
    with _fresh(server) as (database, ledger):
        projections = _projections(database, ledger, page_size=page_size)
        for kind, number in steps:
            if kind == "catch_up":
                projections.catch_up()
                continue
            try:
                (_register_product if kind == "product" else _register_party)(ledger, number)
            except Exception as exc:  # a repeated number is a rejected registration
                assert "already registered" in str(exc)
        projections.catch_up()
        live = {t: _table(database, t) for t in Catalogue.tables}

        position = projections.rebuild("catalogue")

        assert {t: _table(database, t) for t in Catalogue.tables} == live
        [status] = projections.status()
        assert status.position == position == status.head
        # A second rebuild works too: the swapped tables' index names were restored.
        projections.rebuild("catalogue")
        assert {t: _table(database, t) for t in Catalogue.tables} == live
