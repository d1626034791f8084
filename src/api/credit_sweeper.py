"""The scheduled dunning sweep of ``ledger serve``: every ``LEDGER_CREDIT_SWEEP_SECONDS``
(default a day; 0 turns it off) it sweeps every credit account as of the current date.

The first sweep runs one interval after the start, so a restart does not sweep twice; a
sweep that finds nothing due appends nothing, and a level is sent once per invoice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from api.bootstrap import Services
from ledger.application.commands import Caller
from ledger.settings import Settings
from projections.collections import credit_customers
from projections.receivables import Receivables

_log = logging.getLogger("ledger.credit")
SWEEP_ACTOR = Caller(actor="scheduled-sweep", scope="scheduled-sweep")


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
    services: Services, stop: threading.Event, settings: Settings
) -> Callable[[], None] | None:
    """Start the sweeping thread, every ``settings.credit_sweep_seconds`` (None when turned
    off); returns a function that joins it (after ``stop`` is set)."""
    interval = settings.credit_sweep_seconds
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
