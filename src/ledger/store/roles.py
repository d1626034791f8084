"""The role the application's sessions run as: one that can append history, not rewrite it.

Migrations (``migrations/0010_application_role.sql``) grant the NOLOGIN role
``ledger_writer`` what the application needs on the ledger's schema: SELECT and INSERT on the
events and command records, SELECT on API keys, row access to the read models; never
UPDATE, DELETE or TRUNCATE on history. The application logs in as ``ledger_app``, a member
of ``ledger_writer`` that the owner creates without a password, for servers that trust
local connections (the embedded one, trust or peer authentication); elsewhere the operator
creates a login role and names it in ``LEDGER_APP_DATABASE_URL``.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.store.database import CONNECT_TIMEOUT_SECONDS, Database, libpq_url

WRITER_ROLE = "ledger_writer"
APPLICATION_ROLE = "ledger_app"
_log = logging.getLogger("ledger.store")


def application_database(database: Database, app_url: str | None = None) -> Database:
    """``database`` as the application's sessions reach it.

    With ``app_url`` (``LEDGER_APP_DATABASE_URL``), that URL on the same schema. Otherwise
    as ``ledger_app``, created by the owner when it may create roles and the server lets
    ``ledger_app`` in without a password; failing that, as the owner itself (logged).
    """
    if app_url:
        return replace(database, url=libpq_url(app_url))
    try:
        with database.connect(autocommit=True) as conn:
            if not _ensure_application_role(conn):
                return database
        app = replace(database, url=_as_user(database.url, APPLICATION_ROLE))
        with psycopg.connect(app.url, connect_timeout=CONNECT_TIMEOUT_SECONDS):
            pass  # the server lets it in
    except psycopg.Error as exc:
        _log.warning(
            "the application connects as the owner of the tables: %s cannot log in (%s); "
            "set LEDGER_APP_DATABASE_URL to a member of %s",
            APPLICATION_ROLE,
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            WRITER_ROLE,
        )
        return database
    return app


def _ensure_application_role(conn: psycopg.Connection[Any]) -> bool:
    """Create ``ledger_app`` in ``ledger_writer`` if missing; False when that cannot be."""
    row = conn.execute(
        "SELECT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user),"
        " EXISTS (SELECT FROM pg_roles WHERE rolname = %s),"
        " EXISTS (SELECT FROM pg_roles WHERE rolname = %s)",
        (WRITER_ROLE, APPLICATION_ROLE),
    ).fetchone()
    may_create, writer_exists, app_exists = row if row else (False, False, False)
    if not writer_exists:
        _log.warning("role %s is missing: the application connects as the owner", WRITER_ROLE)
        return False
    if app_exists:
        return True
    if not may_create:
        _log.warning(
            "the owner may not create %s: the application connects as the owner",
            APPLICATION_ROLE,
        )
        return False
    # Another process may create it at the same moment.
    with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE {}").format(
                sql.Identifier(APPLICATION_ROLE), sql.Identifier(WRITER_ROLE)
            )
        )
    return True


def _as_user(url: str, user: str) -> str:
    params = conninfo_to_dict(url)
    params["user"] = user
    params.pop("password", None)
    return make_conninfo("", **{key: value for key, value in params.items() if value is not None})
