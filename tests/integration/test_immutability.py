"""The events table is append-only: the database itself refuses to rewrite history."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from conftest import register_products, stored_rows
from ledger.application.ledger import Ledger
from ledger.store.database import Database
from ledger.store.verify import verify_chain

# The application's pool does not set a search path: the table is named with its schema.
STATEMENTS = {
    "UPDATE": "UPDATE {table} SET topic = 'forged:Event' WHERE notification_id = 1",
    "UPDATE (no row matches)": "UPDATE {table} SET topic = topic WHERE false",
    "DELETE": "DELETE FROM {table} WHERE notification_id = 2",
    "DELETE (every row)": "DELETE FROM {table}",
    "TRUNCATE": "TRUNCATE {table}",
    "INSERT ... ON CONFLICT DO UPDATE": (
        "INSERT INTO {table} (originator_id, originator_version, topic, state)"
        " SELECT originator_id, originator_version, topic, state FROM {table}"
        " WHERE notification_id = 1"
        " ON CONFLICT (originator_id, originator_version) DO UPDATE SET topic = 'forged:Event'"
    ),
    "MERGE ... UPDATE": (
        "MERGE INTO {table} e USING (SELECT 1 AS id) s ON e.notification_id = s.id"
        " WHEN MATCHED THEN UPDATE SET topic = 'forged:Event'"
    ),
    "MERGE ... DELETE": (
        "MERGE INTO {table} e USING (SELECT 1 AS id) s ON e.notification_id = s.id"
        " WHEN MATCHED THEN DELETE"
    ),
}


def on_events(statement: str, database: Database) -> sql.Composed:
    table = sql.Identifier(database.schema, "ledger_events")
    return sql.SQL(statement).format(table=table)  # type: ignore[arg-type]


@pytest.mark.parametrize("statement", STATEMENTS.values(), ids=STATEMENTS.keys())
def test_rewriting_history_on_the_applications_own_connection_is_refused(
    database: Database, ledger: Ledger, statement: str
) -> None:
    register_products(ledger, 3)
    before = stored_rows(database)
    operation = {"TRUNCATE": "TRUNCATE", "DELETE": "DELETE"}.get(statement.split()[0], "UPDATE")
    if statement.startswith("MERGE") and statement.endswith("DELETE"):
        operation = "DELETE"

    # The very pool the application writes through, with the same role and settings.
    datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(on_events(statement, database))

    error = caught.value
    assert isinstance(error, errors.InsufficientPrivilege)
    assert error.sqlstate == "42501"
    assert "append-only" in str(error)
    assert f"{operation} on {database.schema}.ledger_events is not allowed" in str(error)
    assert error.diag.message_hint == "record a correcting event instead"
    assert stored_rows(database) == before
    assert verify_chain(database).ok


@pytest.mark.parametrize("statement", STATEMENTS.values(), ids=STATEMENTS.keys())
def test_rewriting_history_inside_a_transaction_is_refused_and_rolls_it_back(
    database: Database, ledger: Ledger, statement: str
) -> None:
    register_products(ledger, 2)
    before = stored_rows(database)

    with (
        database.connect() as conn,
        pytest.raises(errors.InsufficientPrivilege, match="append-only"),
        conn.transaction(),
    ):
        conn.execute(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
            " VALUES (gen_random_uuid(), 1, 'a:B', '{}')"
        )
        conn.execute(on_events(statement, database))

    assert stored_rows(database) == before


def test_appending_is_still_allowed_after_a_refused_rewrite(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 1)
    with database.connect() as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("DELETE FROM ledger_events")

    register_products(ledger, 2, start=100)

    assert len(stored_rows(database)) == 3
    assert verify_chain(database).ok
