"""Reaching the database: URL forms accepted, failures named in one sentence."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from psycopg import sql

from ledger.settings import Settings
from ledger.store.database import Database, open_database
from ledger.store.errors import DatabaseUnavailable


@pytest.fixture
def new_schema(server: Database) -> Iterator[str]:
    schema = f"t_{secrets.token_hex(6)}"
    yield schema
    with server.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.mark.parametrize(
    "prefix", ["postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"]
)
def test_sqlalchemy_style_and_short_urls_reach_the_same_server(
    server: Database, new_schema: str, prefix: str
) -> None:
    url = prefix + server.url.removeprefix("postgresql://")

    database = open_database(Settings(database_url=url, db_schema=new_schema))

    assert database.url.startswith("postgresql://")
    assert database.params == server.params
    with database.connect() as conn:
        (schema,) = conn.execute("SELECT current_schema()").fetchone()
    assert schema == new_schema


def test_opening_the_database_creates_the_ledgers_schema_when_missing(
    server: Database, new_schema: str
) -> None:
    open_database(Settings(database_url=server.url, db_schema=new_schema))
    open_database(Settings(database_url=server.url, db_schema=new_schema))

    with server.connect() as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (new_schema,)
        ).fetchone()
    assert found == (1,)


def test_a_url_that_is_not_a_postgresql_url_is_refused_by_name() -> None:
    with pytest.raises(DatabaseUnavailable, match="not a PostgreSQL URL"):
        open_database(Settings(database_url="http//db.example/ledger"))


def test_an_unreachable_server_is_named_without_its_password() -> None:
    settings = Settings(database_url="postgresql://nobody:s3cret@127.0.0.1:1/nowhere")

    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(settings)

    message = str(caught.value)
    assert message.startswith("cannot reach postgresql://nobody@127.0.0.1:1/nowhere: ")
    assert "s3cret" not in message
    assert "\n" not in message
