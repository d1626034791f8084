"""The scheduled dunning sweep of ``ledger serve``: every ``LEDGER_CREDIT_SWEEP_SECONDS``
(default a day; 0 turns it off) it sweeps every credit account as of the current date.

The first sweep runs one interval after the start, so a restart does not sweep twice; a
sweep that finds nothing due appends nothing, and a level is sent once per invoice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.bootstrap import Services
from ledger.application.commands import Caller
from projections.collections import credit_customers
from projections.receivables import Receivables

_log = logging.getLogger("ledger.credit")
SWEEP_ACTOR = Caller(actor="scheduled-sweep", scope="scheduled-sweep")


class SweepSettings(BaseSettings):
    """How often ``serve`` sweeps (``LEDGER_CREDIT_SWEEP_SECONDS``; 0: never)."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    credit_sweep_seconds: float = Field(default=86_400.0, ge=0)


def sweep_now(services: Services) -> int:
    """Sweep every credit account as of today (UTC); the number of notices sent."""
    services.projections.catch_up([Receivables.name])
    with services.database.connect() as conn, conn.cursor() as cur:
        customers = credit_customers(cur)
    today = datetime.now(UTC).date()
    results = services.ledger.credit.sweep_credit(
        customers=customers, as_of=today, caller=SWEEP_ACTOR
    )
    return sum(len(result.outcome["notices"]) for result in results)


def start_credit_sweeper(
    services: Services, stop: threading.Event, settings: SweepSettings | None = None
) -> Callable[[], None] | None:
    """Start the sweeping thread (None when turned off); returns a function that joins it
    (after ``stop`` is set)."""
    interval = (settings or SweepSettings()).credit_sweep_seconds
    if interval <= 0:
        return None

    def run() -> None:
        while not stop.wait(interval):
            try:
                sent = sweep_now(services)
                _log.info("credit sweep sent %d notices", sent)
            except Exception:
                # One failed sweep must not end the schedule; the next one retries.
                _log.exception("the scheduled credit sweep failed")

    thread = threading.Thread(target=run, name="ledger-credit-sweep", daemon=True)
    thread.start()
    return lambda: thread.join(timeout=10)
