"""Settings from the environment, and the one database URL seen by each client."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from yoyo.connections import parse_uri

from ledger.settings import Settings
from ledger.store.database import Database


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("LEDGER_DATABASE_URL", "LEDGER_DATA_DIR", "LEDGER_DB_SCHEMA", "LEDGER_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_defaults_are_the_embedded_server_in_dot_ledger_and_the_public_schema(
    clean_env: pytest.MonkeyPatch,
) -> None:
    settings = Settings()

    assert settings.database_url is None
    assert settings.data_dir == Path(".ledger")
    assert settings.db_schema == "public"
    assert settings.pool_size == 5
    assert (settings.migrations_dir / "0001_events.sql").is_file()


def test_settings_are_read_from_ledger_environment_variables(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("LEDGER_DATABASE_URL", "postgresql://ledger@db.example:5433/trace")
    clean_env.setenv("LEDGER_DATA_DIR", "/var/lib/ledger")
    clean_env.setenv("LEDGER_DB_SCHEMA", "ledger_2026")
    clean_env.setenv("LEDGER_POOL_SIZE", "12")

    settings = Settings()

    assert settings.database_url == "postgresql://ledger@db.example:5433/trace"
    assert settings.data_dir == Path("/var/lib/ledger")
    assert settings.db_schema == "ledger_2026"
    assert settings.pool_size == 12


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_database_url_means_the_embedded_server(
    clean_env: pytest.MonkeyPatch, blank: str
) -> None:
    clean_env.setenv("LEDGER_DATABASE_URL", blank)

    assert Settings().database_url is None


@pytest.mark.parametrize("schema", ["public", "ledger", "_x", "t_0a1b2c", "a" * 63])
def test_plain_lower_case_schema_names_are_accepted(schema: str) -> None:
    assert Settings(db_schema=schema).db_schema == schema


@pytest.mark.parametrize(
    "schema",
    ["Bad-Name", "Ledger", "1ledger", "", "led ger", 'x"; drop table y; --', "a" * 64],
)
def test_schema_names_that_are_not_plain_identifiers_are_refused(schema: str) -> None:
    with pytest.raises(ValidationError, match="schema must be lower-case"):
        Settings(db_schema=schema)


@pytest.mark.parametrize("size", [0, -1, 101])
def test_a_pool_size_outside_1_to_100_is_refused(size: int) -> None:
    with pytest.raises(ValidationError):
        Settings(pool_size=size)


def test_the_displayed_url_never_shows_the_password() -> None:
    database = Database(url="postgresql://ledger:s3cret@db.example:5433/trace", schema="s")

    assert database.display == "postgresql://ledger@db.example:5433/trace"
    assert "s3cret" not in database.display


def test_the_displayed_url_fills_in_the_default_host_and_port() -> None:
    assert Database(url="postgresql:///trace", schema="s").display == (
        "postgresql://@localhost:5432/trace"
    )


def test_the_librarys_environment_names_the_same_server_schema_and_pool() -> None:
    database = Database(url="postgresql://ledger:pw@db.example:5433/trace", schema="ledger_a")

    env = database.library_env(pool_size=3)

    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["CREATE_TABLE"] == "false"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.example", "5433")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("ledger", "pw")
    assert env["POSTGRES_DBNAME"] == "trace"
    assert env["POSTGRES_SCHEMA"] == "ledger_a"
    assert env["POSTGRES_POOL_SIZE"] == "3"


def yoyo_connection(database: Database) -> dict[str, object]:
    """The connection parameters yoyo-migrations derives from the URL it is given."""
    uri = parse_uri(database.yoyo_url())
    params: dict[str, object] = {"dbname": uri.database, **uri.args}
    for key, value in (
        ("user", uri.username),
        ("password", uri.password),
        ("host", uri.hostname),
        ("port", uri.port),
    ):
        if value is not None:
            params[key] = value
    if "port" in params:
        params["port"] = str(params["port"])
    return params


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ledger@db.example:5433/trace",
        "postgresql://us%40er:p%40ss%2Fw%3Ard@db.example:5433/trace",
        "postgresql://postgres:@/postgres?host=/tmp/ledger/pgdata&port=5433",
        "postgresql://ledger@db.example/trace?sslmode=require&application_name=ledger",
        "postgresql://ledger@db.example:5432/trace%20archive",
        "postgresql://ledger@[::1]:5432/trace",
    ],
    ids=["tcp", "quoted credentials", "unix socket", "options", "dbname with a space", "ipv6"],
)
def test_the_migration_url_names_the_same_connection_as_the_database_url(url: str) -> None:
    database = Database(url=url, schema="ledger_a")

    assert yoyo_connection(database) == {**database.params, "schema": "ledger_a"}
