"""The SQL migrations: the events table the library expects, plus the chain's columns."""

from __future__ import annotations

from typing import Any

from api.bootstrap import build_ledger
from conftest import fresh_database, register_products
from ledger.application.ledger import Ledger
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.migrations import migrate

LIBRARY_COLUMNS = {
    "originator_id": ("uuid", "NO"),
    "originator_version": ("bigint", "NO"),
    "topic": ("text", "NO"),
    "state": ("bytea", "NO"),
    "notification_id": ("bigint", "NO"),
}
CHAIN_COLUMNS = {
    "recorded_at": ("timestamp with time zone", "NO"),
    "prev_hash": ("bytea", "NO"),
    "hash": ("bytea", "NO"),
}


def query(database: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute(sql, params or None).fetchall()


def catalogue(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """What the migrations made in the schema: tables, columns, indexes, triggers, types."""
    schema = database.schema
    return {
        "columns": query(
            database,
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = %s"
            " ORDER BY table_name, ordinal_position",
            schema,
        ),
        "indexes": query(
            database,
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1",
            schema,
        ),
        "triggers": query(
            database,
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT t.tgisinternal ORDER BY 1",
            schema,
        ),
        "functions": query(
            database,
            "SELECT p.proname, md5(p.prosrc) FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s ORDER BY 1",
            schema,
        ),
        "types": query(
            database,
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE n.nspname = %s AND t.typtype = 'c' ORDER BY 1",
            schema,
        ),
    }


def test_the_events_table_has_the_librarys_columns_plus_recorded_at_and_the_hashes(
    database: Database,
) -> None:
    rows = query(
        database,
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = 'ledger_events'",
        database.schema,
    )

    assert {name: (kind, nullable) for name, kind, nullable in rows} == {
        **LIBRARY_COLUMNS,
        **CHAIN_COLUMNS,
    }


def test_the_events_table_is_keyed_by_aggregate_and_version(database: Database) -> None:
    rows = query(
        database,
        "SELECT a.attname FROM pg_index i"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = 'ledger_events'::regclass AND i.indisprimary"
        " ORDER BY array_position(i.indkey, a.attnum)",
    )

    assert [name for (name,) in rows] == ["originator_id", "originator_version"]


def test_positions_are_unique_under_the_index_name_the_library_uses(
    database: Database, ledger: Ledger
) -> None:
    rows = query(
        database,
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = %s AND tablename = 'ledger_events' AND indexname <> %s",
        database.schema,
        "ledger_events_pkey",
    )

    [(name, definition)] = rows
    assert name == ledger.recorder.notification_id_index_name  # type: ignore[attr-defined]
    assert definition.startswith("CREATE UNIQUE INDEX")
    assert "(notification_id)" in definition


def test_the_librarys_composite_type_for_stored_events_exists(
    database: Database, ledger: Ledger
) -> None:
    type_name = ledger.recorder.stored_event_type_name  # type: ignore[attr-defined]
    rows = query(
        database,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_type t"
        " JOIN pg_namespace n ON n.oid = t.typnamespace"
        " JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0"
        " WHERE n.nspname = %s AND t.typname = %s ORDER BY a.attnum",
        database.schema,
        type_name,
    )

    assert type_name == "stored_event_uuid"
    assert rows == [
        ("originator_id", "uuid"),
        ("originator_version", "bigint"),
        ("topic", "text"),
        ("state", "bytea"),
    ]


def test_the_events_table_is_guarded_by_chain_and_append_only_triggers(
    database: Database,
) -> None:
    rows = query(
        database,
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_events'::regclass"
        " AND NOT tgisinternal ORDER BY tgname",
    )

    assert {name for (name,) in rows} >= {
        "ledger_events_chain",
        "ledger_events_no_update",
        "ledger_events_no_delete",
        "ledger_events_no_truncate",
    }


def test_migrating_an_up_to_date_schema_applies_nothing_and_changes_nothing(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 3)
    before = catalogue(database)
    rows_before = query(database, "SELECT notification_id, hash FROM ledger_events ORDER BY 1")

    applied = migrate(database, Settings().migrations_dir)

    assert applied == []
    assert catalogue(database) == before
    assert query(database, "SELECT notification_id, hash FROM ledger_events ORDER BY 1") == (
        rows_before
    )


def test_migrating_an_empty_schema_applies_every_migration_once(server: Database) -> None:
    migrations = sorted(path.stem for path in Settings().migrations_dir.glob("*.sql"))
    with fresh_database(server, migrated=False) as database:
        first = migrate(database, Settings().migrations_dir)
        second = migrate(database, Settings().migrations_dir)

        tables = query(
            database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            database.schema,
        )

    assert sorted(first) == migrations
    assert second == []
    assert ("ledger_events",) in tables


def test_two_schemas_on_one_server_are_separate_ledgers(server: Database) -> None:
    with fresh_database(server) as one, fresh_database(server) as other:
        app = build_ledger(Settings(pool_size=1), one)
        try:
            register_products(app, 2)
        finally:
            app.close()

        assert query(one, "SELECT count(*) FROM ledger_events") == [(2,)]
        assert query(other, "SELECT count(*) FROM ledger_events") == [(0,)]
