"""Database roles: the application appends history as a role that cannot rewrite it.

Migrations run as the owner of the tables; the API's sessions run as ``ledger_app`` (a
member of ``ledger_writer``), which may insert events but whose UPDATE, DELETE and TRUNCATE
fail on privileges, even with the append-only triggers disabled by the owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import errors
from reliability_harness import api_harness

from api.bootstrap import build_ledger, build_projections
from api.keys import Role
from conftest import register_products
from ledger.application.ledger import Ledger
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.roles import APPLICATION_ROLE, application_database


@pytest.fixture
def app_database(database: Database) -> Database:
    app = application_database(database)
    if app.params.get("user") != APPLICATION_ROLE:
        pytest.skip("this server does not let ledger_app in without a password")
    return app


@pytest.fixture
def app_ledger(app_database: Database) -> Iterator[Ledger]:
    ledger = build_ledger(Settings(pool_size=1), app_database)
    yield ledger
    ledger.close()


def _as_app(app_database: Database, statement: str) -> None:
    with app_database.connect(autocommit=True) as conn:
        conn.execute(statement)


def test_the_application_role_is_no_superuser_and_owns_nothing(app_database: Database) -> None:
    with app_database.connect() as conn:
        row = conn.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb,"
            " (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
            "  AND tableowner = current_user)"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()

    assert row == (APPLICATION_ROLE, False, False, False, 0)


def test_the_application_role_appends_events_through_the_ledger(
    app_database: Database, app_ledger: Ledger
) -> None:
    register_products(app_ledger, 3)

    with app_database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
    assert row is not None and row[0] == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_events SET topic = 'forged'",
        "DELETE FROM ledger_events",
        "TRUNCATE ledger_events",
        "UPDATE ledger_commands SET actor = 'someone else'",
        "DELETE FROM ledger_commands",
        "TRUNCATE ledger_commands",
        "INSERT INTO api_keys (id, name, role, secret_hash) VALUES"
        " ('forged', 'forged', 'operator', sha256('x'))",
        "UPDATE api_keys SET revoked_at = now()",
        "ALTER TABLE ledger_events DISABLE TRIGGER ALL",
        "DROP TABLE stock_balances",
    ],
)
def test_rewriting_history_fails_on_privileges_even_without_the_triggers(
    database: Database, app_database: Database, app_ledger: Ledger, statement: str
) -> None:
    register_products(app_ledger, 2)
    with database.connect(autocommit=True) as owner:
        # The owner (or an attacker with its rights) disables every guard trigger first.
        for table in ("ledger_events", "ledger_commands", "api_keys"):
            owner.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")

    with pytest.raises(errors.InsufficientPrivilege):
        _as_app(app_database, statement)


def test_the_api_serves_as_the_application_role(database: Database) -> None:
    token = api_harness.issue(database, Role.OPERATOR)
    with api_harness.api_client(database) as client:
        response = client.post(
            "/v1/products",
            json=api_harness.product_body(api_harness.unique()),
            headers=api_harness.bearer(token, "as-app-1"),
        )
        assert response.status_code == 201, response.text
        with database.connect() as conn:
            users = conn.execute(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = %s",
                (f"ledger-api/{database.schema}",),
            ).fetchall()

    if application_database(database).params.get("user") == APPLICATION_ROLE:
        assert users == [(APPLICATION_ROLE,)]


def test_read_models_rebuilt_by_the_owner_stay_readable_and_writable_by_the_application(
    database: Database, app_database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 3)
    owner_side = build_projections(database, ledger)
    owner_side.catch_up()
    owner_side.rebuild("catalogue")  # new tables, created by the owner
    register_products(ledger, 2, start=10)

    app_side = build_projections(app_database, ledger)
    app_side.catch_up()

    with app_database.connect() as conn:
        row: Any = conn.execute("SELECT count(*) FROM catalogue_products").fetchone()
    assert row[0] == 5


def test_an_application_url_of_its_own_is_used_as_given(database: Database) -> None:
    url = "postgresql://reader@db.example:5433/ledger"

    app = application_database(database, url)

    assert (app.url, app.schema) == (url, database.schema)
