"""The hash chain as the database writes it, and tampering as a superuser would do it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import errors

from api.bootstrap import build_ledger
from conftest import (
    fresh_database,
    positions,
    register_products,
    stored_rows,
    superuser_connection,
)
from ledger.application.ledger import Ledger
from ledger.domain.product import Product
from ledger.domain.values import Gtin, PartyRole, RiskClass
from ledger.settings import Settings
from ledger.store.chain import GENESIS_HASH, PG_EPOCH_UNIX_US, event_hash
from ledger.store.database import Database
from ledger.store.verify import verify_chain

# docs/integrity.md: the recording time enters the hash as PostgreSQL's binary timestamp,
# microseconds since 2000-01-01T00:00:00Z.
PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TAMPER_EXAMPLES = settings(max_examples=10)
TOPIC = "ledger.domain.product:ProductRegistered"


def microseconds_since_2000(moment: datetime) -> int:
    return (moment - PG_EPOCH) // timedelta(microseconds=1)


def recomputed_hash(row: tuple[Any, ...], prev: bytes) -> bytes:
    """The hash of a stored row, from its columns, as ``ledger.store.chain`` defines it."""
    position, originator_id, version, topic, state, recorded_at, _, _ = row
    return event_hash(
        prev,
        position=position,
        originator_id=originator_id.bytes,
        originator_version=version,
        recorded_at_us=microseconds_since_2000(recorded_at),
        topic=topic,
        state=bytes(state),
    )


def register_mixed_history(ledger: Ledger) -> None:
    """Single-event commands and a several-event batch, as the ledger really appends."""
    register_products(ledger, 3)
    ledger.master_data.register_party(
        code="DIST-001",
        name="East China Medical Supply No. 1",
        role=PartyRole.DISTRIBUTOR,
        region="East China",
        grade="B",
        recall_contact="recall@dist001.example.cn",
    )
    ledger.save(
        *[
            Product.register(
                gtin=Gtin.parse(gtin),
                name=f"IVD reagent kit {gtin}",
                registration_certificate="NMPA-2026-2-0100",
                risk_class=RiskClass.II,
                unit_of_use="kit",
                storage_min_celsius=Decimal("2"),
                storage_max_celsius=Decimal("8"),
            )
            for gtin in ("96385074", "036000291452", "9501101530003")
        ]
    )


# The chain as written


def test_events_saved_through_the_ledger_form_a_chain_that_verifies(
    database: Database, ledger: Ledger
) -> None:
    register_mixed_history(ledger)

    report = verify_chain(database)

    assert report.ok, report.findings
    assert report.events == 7
    assert report.head_hash == bytes(stored_rows(database)[-1][7])


def test_the_first_events_link_is_32_zero_bytes(database: Database, ledger: Ledger) -> None:
    register_products(ledger, 2)

    first = stored_rows(database)[0]

    assert bytes(first[6]) == GENESIS_HASH == b"\x00" * 32


def test_each_event_links_to_the_hash_of_the_event_before_it(
    database: Database, ledger: Ledger
) -> None:
    register_mixed_history(ledger)
    rows = stored_rows(database)

    assert len(rows) == 7
    for before, after in pairwise(rows):
        assert bytes(after[6]) == bytes(before[7])
    assert all(len(bytes(row[7])) == 32 for row in rows)


def test_recomputing_each_hash_from_its_stored_columns_gives_the_stored_hash(
    database: Database, ledger: Ledger
) -> None:
    register_mixed_history(ledger)

    for row in stored_rows(database):
        assert recomputed_hash(row, bytes(row[6])) == bytes(row[7]), row[0]


def test_positions_start_at_one_and_follow_the_order_of_appends(
    database: Database, ledger: Ledger
) -> None:
    register_mixed_history(ledger)
    rows = stored_rows(database)

    assert positions(database) == [1, 2, 3, 4, 5, 6, 7]
    recorded = [row[5] for row in rows]
    assert recorded == sorted(recorded)
    assert all(moment.tzinfo is not None for moment in recorded)


def test_an_empty_ledger_verifies_with_the_genesis_hash_as_its_head(database: Database) -> None:
    report = verify_chain(database)

    assert report.ok
    assert report.events == 0
    assert report.head_hash == GENESIS_HASH


def test_verifying_up_to_a_position_stops_there(database: Database, ledger: Ledger) -> None:
    register_products(ledger, 5)
    rows = stored_rows(database)

    report = verify_chain(database, stop=3)

    assert report.ok
    assert report.events == 3
    assert report.head_hash == bytes(rows[2][7])


def test_values_given_on_insert_for_the_chain_columns_are_overwritten_by_the_trigger(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 1)

    with database.connect(autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state,"
            " notification_id, recorded_at, prev_hash, hash)"
            " VALUES (%s, 1, 'a:B', '{}', 999, '2000-01-01', %s, %s)",
            (uuid4(), b"\x01" * 32, b"\x02" * 32),
        )

    rows = stored_rows(database)
    assert [row[0] for row in rows] == [1, 2]
    assert bytes(rows[1][6]) == bytes(rows[0][7])
    assert rows[1][5] > datetime(2020, 1, 1, tzinfo=UTC)
    assert verify_chain(database).ok


def test_a_topic_with_non_ascii_characters_is_hashed_by_its_utf8_bytes(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 1)
    with database.connect(autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
            " VALUES (%s, 1, %s, %s)",
            (uuid4(), "ledger.domain.召回:RecallOpened", '{"note":"批次"}'.encode()),
        )

    row = stored_rows(database)[1]
    assert recomputed_hash(row, bytes(row[6])) == bytes(row[7])
    assert verify_chain(database).ok


def test_the_postgresql_epoch_constant_is_2000_01_01_in_unix_microseconds() -> None:
    assert (PG_EPOCH - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    ) == PG_EPOCH_UNIX_US


# Tampering, as a superuser bypassing the triggers would do it. Each example gets a ledger
# of its own: the function-scoped ``database`` fixture is not reset between examples.


@contextmanager
def ledger_with_products(server: Database, count: int) -> Iterator[Database]:
    with fresh_database(server) as database:
        app = build_ledger(Settings(pool_size=1), database)
        try:
            register_products(app, count)
        finally:
            app.close()
        yield database


event_counts = st.integers(min_value=2, max_value=6)


@TAMPER_EXAMPLES
@given(count=event_counts, data=st.data())
def test_changing_one_byte_of_a_stored_state_is_found_as_changed_at_that_position(
    server: Database, count: int, data: st.DataObject
) -> None:
    with ledger_with_products(server, count) as database:
        target = data.draw(st.integers(1, count), label="position")
        with superuser_connection(database) as conn:
            (state,) = conn.execute(
                "SELECT state FROM ledger_events WHERE notification_id = %s", (target,)
            ).fetchone()
            offset = data.draw(st.integers(0, len(state) - 1), label="byte")
            changed = bytearray(state)
            changed[offset] ^= data.draw(st.integers(1, 255), label="xor")
            conn.execute(
                "UPDATE ledger_events SET state = %s WHERE notification_id = %s",
                (bytes(changed), target),
            )

        report = verify_chain(database)

    assert not report.ok
    assert report.findings[0].position == target
    assert report.findings[0].reason == "changed"
    assert [(f.position, f.reason) for f in report.findings] == [(target, "changed")]


@TAMPER_EXAMPLES
@given(count=event_counts, data=st.data())
def test_deleting_an_event_is_found_as_missing_at_the_event_after_it(
    server: Database, count: int, data: st.DataObject
) -> None:
    # Not the last event: a cut tail leaves a chain intact on its own, which only a signed
    # checkpoint of an earlier head can expose (a later feature).
    with ledger_with_products(server, count) as database:
        target = data.draw(st.integers(1, count - 1), label="position")
        with superuser_connection(database) as conn:
            conn.execute("DELETE FROM ledger_events WHERE notification_id = %s", (target,))

        report = verify_chain(database)

    assert not report.ok
    assert report.events == count - 1
    assert report.findings[0].position == target + 1
    assert report.findings[0].reason == "missing"


def test_deleting_the_last_event_is_not_detectable_without_a_checkpoint(
    database: Database, ledger: Ledger
) -> None:
    # Documents the limit of the chain alone; a signed checkpoint will close it.
    register_products(ledger, 3)
    with superuser_connection(database) as conn:
        conn.execute("DELETE FROM ledger_events WHERE notification_id = 3")

    assert verify_chain(database).ok


@TAMPER_EXAMPLES
@given(count=event_counts, data=st.data())
def test_two_events_swapping_positions_are_found_as_reordered_at_the_first(
    server: Database, count: int, data: st.DataObject
) -> None:
    with ledger_with_products(server, count) as database:
        first, second = sorted(
            data.draw(st.sets(st.integers(1, count), min_size=2, max_size=2), label="positions")
        )
        with superuser_connection(database) as conn:
            # A temporary negative position dodges the unique index on positions.
            for old, new in ((first, -1), (second, first), (-1, second)):
                conn.execute(
                    "UPDATE ledger_events SET notification_id = %s WHERE notification_id = %s",
                    (new, old),
                )

        report = verify_chain(database)

    assert not report.ok
    assert report.events == count
    assert report.findings[0].position == first
    assert report.findings[0].reason == "reordered"


@TAMPER_EXAMPLES
@given(
    count=event_counts,
    prev=st.binary(min_size=32, max_size=32),
    digest=st.binary(min_size=32, max_size=32),
    state=st.binary(max_size=64),
)
def test_a_forged_row_appended_with_arbitrary_hashes_is_found_as_inserted(
    server: Database, count: int, prev: bytes, digest: bytes, state: bytes
) -> None:
    if digest == prev:
        digest = bytes(byte ^ 0xFF for byte in digest)
    with ledger_with_products(server, count) as database:
        with superuser_connection(database) as conn:
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state,"
                " notification_id, prev_hash, hash) VALUES (%s, 1, %s, %s, %s, %s, %s)",
                (uuid4(), TOPIC, state, count + 1, prev, digest),
            )

        report = verify_chain(database)

    assert not report.ok
    assert report.events == count + 1
    assert [(f.position, f.reason) for f in report.findings] == [(count + 1, "inserted")]


def test_a_tampered_event_is_reported_even_when_later_events_were_appended_normally(
    server: Database,
) -> None:
    with fresh_database(server) as database:
        app = build_ledger(Settings(pool_size=1), database)
        try:
            register_products(app, 3)
            with superuser_connection(database) as conn:
                conn.execute(
                    "UPDATE ledger_events SET topic = 'forged:Event' WHERE notification_id = 2"
                )
            register_products(app, 2, start=10)
        finally:
            app.close()

        report = verify_chain(database)

    assert [(f.position, f.reason) for f in report.findings] == [(2, "changed")]
    assert report.events == 5


def test_a_forged_event_that_took_a_gap_in_the_positions_is_found_as_inserted(
    server: Database,
) -> None:
    with fresh_database(server) as database:
        app = build_ledger(Settings(pool_size=1), database)
        try:
            register_products(app, 2)
            # A refused command leaves a gap: its position was drawn before the refusal.
            with database.connect() as conn:
                conn.execute("SELECT nextval('ledger_events_notification_id_seq')")
                conn.commit()
            register_products(app, 2, start=10)
        finally:
            app.close()
        assert positions(database) == [1, 2, 4, 5]
        assert verify_chain(database).ok
        with superuser_connection(database) as conn:
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state,"
                " notification_id, prev_hash, hash) VALUES (%s, 1, 'a:B', '{}', 3, %s, %s)",
                (uuid4(), secrets.token_bytes(32), secrets.token_bytes(32)),
            )

        report = verify_chain(database)

    assert [(f.position, f.reason) for f in report.findings] == [(3, "inserted")]


def test_a_reset_position_sequence_stops_appends_instead_of_reusing_old_positions(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 2)
    with database.connect(autocommit=True) as conn:
        conn.execute("SELECT nextval('ledger_events_notification_id_seq')")  # a gap: 3
    register_products(ledger, 1, start=10)  # position 4
    before = stored_rows(database)

    with database.connect(autocommit=True) as conn:
        conn.execute("SELECT setval('ledger_events_notification_id_seq', 2)")
        with pytest.raises(errors.DataCorrupted, match="position 3 would follow position 4"):
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
                " VALUES (%s, 1, 'a:B', '{}')",
                (uuid4(),),
            )

    assert stored_rows(database) == before
    assert verify_chain(database).ok


def test_an_append_outside_read_committed_is_refused_and_appends_nothing(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 1)
    with database.connect() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(errors.FeatureNotSupported, match="READ COMMITTED"):
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
                " VALUES (gen_random_uuid(), 1, 'x:Y', '\\x00')"
            )
    assert positions(database) == [1]
