"""Finding, reaching and preparing the ledger's PostgreSQL database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ledger.settings import Settings
from ledger.store.embedded import start_embedded_server
from ledger.store.errors import DatabaseUnavailable

CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Database:
    """Where the ledger's tables live: a server URL and a schema in it."""

    url: str
    schema: str
    embedded: bool = False

    @property
    def params(self) -> dict[str, Any]:
        """The URL split into libpq connection parameters."""
        return conninfo_to_dict(self.url)

    @property
    def display(self) -> str:
        """The URL without its password, for messages."""
        params = self.params
        host = params.get("host") or "localhost"
        port = params.get("port") or "5432"
        return f"postgresql://{params.get('user') or ''}@{host}:{port}/{params.get('dbname')}"

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """Open a new connection whose search path is the ledger's schema."""
        conn = psycopg.connect(
            self.url,
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            options=f"-c search_path={self.schema}",
        )
        return conn

    def yoyo_url(self) -> str:
        """The same database as a ``postgresql+psycopg://`` URL for yoyo-migrations.

        Everything but the credentials travels as query parameters, which yoyo decodes and
        hands to psycopg unchanged (its path and host parts are not decoded, so a database
        name with a space or an IPv6 host would otherwise name another connection).
        """
        params = {key: str(value) for key, value in self.params.items() if value is not None}
        user = quote(params.pop("user", ""), safe="")
        password = params.pop("password", "")
        auth = user + (f":{quote(password, safe='')}" if password else "")
        query = {**params, "schema": self.schema}
        return f"postgresql+psycopg://{auth}@/?{urlencode(query)}"

    def library_env(self, *, pool_size: int) -> dict[str, str]:
        """Environment for the ``eventsourcing`` library's PostgreSQL persistence."""
        params = self.params
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "CREATE_TABLE": "false",
            "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
            "POSTGRES_HOST": str(params.get("host") or "localhost"),
            "POSTGRES_PORT": str(params.get("port") or "5432"),
            "POSTGRES_USER": str(params.get("user") or ""),
            "POSTGRES_PASSWORD": str(params.get("password") or ""),
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
        }


def open_database(settings: Settings) -> Database:
    """Resolve the database from settings, start the embedded one if needed, and check it.

    The ledger's schema is created when missing.

    Raises:
        DatabaseUnavailable: naming the URL or directory and the reason.
    """
    if settings.database_url:
        database = Database(url=_libpq_url(settings.database_url), schema=settings.db_schema)
        where = database.display
    else:
        url = start_embedded_server(settings.data_dir)
        database = Database(url=url, schema=settings.db_schema, embedded=True)
        where = f"the embedded PostgreSQL in {(settings.data_dir / 'pgdata').resolve()}"
    try:
        with psycopg.connect(
            database.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(database.schema))
            )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(f"cannot reach {where}: {reason}") from exc
    return database


def _libpq_url(url: str) -> str:
    # Accept SQLAlchemy-style driver suffixes so one URL works everywhere.
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise DatabaseUnavailable(f"LEDGER_DATABASE_URL is not a PostgreSQL URL: {exc}") from exc
    return url


def libpq_url(url: str) -> str:
    """``url`` as libpq reads it (driver suffixes such as ``+psycopg`` removed).

    Raises:
        DatabaseUnavailable: not a PostgreSQL URL.
    """
    return _libpq_url(url)
