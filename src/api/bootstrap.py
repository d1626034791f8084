"""The one place that wires settings to the database and the application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import psycopg
from eventsourcing.utils import get_topic
from psycopg_pool import ConnectionPool

from ledger.application.ledger import Ledger
from ledger.domain.recall.rules import WorkingCalendar
from ledger.settings import Settings
from ledger.store.database import CONNECT_TIMEOUT_SECONDS, Database, open_database
from ledger.store.limits import bound_waits, statement_timeout_option
from ledger.store.migrations import migrate
from ledger.store.recorder import LedgerRecorder
from ledger.store.roles import application_database
from projections.catalogue import Catalogue
from projections.collections import Collections, SalesOrders
from projections.lot_trace import LotTrace
from projections.model import ReadModel
from projections.recall_impact import Recalls
from projections.receivables import Receivables
from projections.runner import Projections
from projections.stock import Stock

POOL_OPEN_TIMEOUT_SECONDS = 10.0

ReadPool = ConnectionPool[psycopg.Connection[Any]]


def prepare_database(settings: Settings) -> Database:
    """Reach (or start) the database and bring its schema up to date."""
    database = open_database(settings)
    migrate(database, settings.migrations_dir)
    return database


def build_ledger(settings: Settings, database: Database) -> Ledger:
    """The ``Ledger`` application on the given, migrated database."""
    env = database.library_env(pool_size=settings.pool_size)
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(LedgerRecorder)
    calendar = WorkingCalendar(
        holidays=frozenset(settings.recall_holidays),
        working_weekend_days=frozenset(settings.recall_working_weekend_days),
    )
    ledger = Ledger(env=env, calendar=calendar)
    bound_waits(
        cast(LedgerRecorder, ledger.recorder).datastore,
        statement_ms=settings.statement_timeout_ms,
        pool_seconds=settings.pool_timeout_seconds,
    )
    return ledger


def build_read_pool(settings: Settings, database: Database) -> ReadPool:
    """Connections for the HTTP layer's own reads (API keys, event pages, health).

    Autocommit, the ledger's schema as search path, and UTC as the session time zone, so
    that times read back in UTC. The sessions are named ``ledger-api/<schema>``.
    """
    pool: ReadPool = ConnectionPool(
        database.url,
        min_size=1,
        max_size=settings.pool_size,
        kwargs={
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": f"-c search_path={database.schema} -c timezone=UTC "
            + statement_timeout_option(settings.statement_timeout_ms),
            # Tells the API's sessions apart in pg_stat_activity, per schema.
            "application_name": f"ledger-api/{database.schema}"[:63],
        },
        open=False,
        name="ledger-api-reads",
        # A connection is checked as it is handed out, so that after a database restart
        # no request meets a dead one; it costs one empty round trip.
        check=ConnectionPool.check_connection,
        timeout=settings.pool_timeout_seconds,
    )
    pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT_SECONDS)
    return pool


def build_projections(database: Database, ledger: Ledger) -> Projections:
    """The read models the API queries, fed from the ledger's events."""
    models: list[ReadModel[Any]] = [Catalogue(), Stock(), LotTrace()]
    models += [Receivables(), SalesOrders(), Collections(), Recalls()]
    return Projections(database, ledger.mapper.to_domain_event, models)


@dataclass
class Services:
    """What the HTTP API works with, built once per app start and closed at shutdown.

    Attributes:
        database: the migrated database, as the application's role reaches it.
        ledger: the application (its own connection pool writes and loads aggregates).
        reads: connections for the API's own queries.
        projections: the read models, woken by every save of the ledger.
    """

    database: Database
    ledger: Ledger
    reads: ReadPool
    projections: Projections

    def close(self) -> None:
        """Close the pools."""
        try:
            self.reads.close()
        finally:
            self.ledger.close()


def open_services(settings: Settings, database: Database | None = None) -> Services:
    """Prepare the database (unless one is given, already migrated) and build the services."""
    # Migrated as the owner; served as a role that can append history but not rewrite it.
    database = application_database(
        database or prepare_database(settings), settings.app_database_url
    )
    ledger = build_ledger(settings, database)
    try:
        reads = build_read_pool(settings, database)
    except BaseException:
        ledger.close()
        raise
    projections = build_projections(database, ledger)
    ledger.on_saved(projections.wake)
    return Services(database=database, ledger=ledger, reads=reads, projections=projections)
