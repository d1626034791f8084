"""``ledger credit``: the dunning sweep and receivables reports from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer

from api.cli.output import JsonFlag, emit, fail, ledger_read_models
from ledger.application.commands import Caller
from ledger.application.ledger import Ledger
from ledger.domain.credit.rules import BUCKETS
from ledger.store.database import Database
from projections.collections import credit_customers
from projections.receivable_reports import (
    EARLIEST_REPORT_DAY,
    CustomerReceivables,
    Totals,
    receivables_as_of,
    totals,
)
from projections.receivables import Receivables

credit_app = typer.Typer(help="Credit control: the dunning sweep, ageing.", no_args_is_help=True)
CLI_CALLER = Caller(actor="cli", scope="cli")
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="The date, YYYY-MM-DD (default: today, UTC).")
]


def _day(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise fail(f"error: --as-of {text!r} is not a date (YYYY-MM-DD)", 2) from None
    if day < EARLIEST_REPORT_DAY:
        raise fail(f"error: --as-of {text} is before {EARLIEST_REPORT_DAY.isoformat()}", 2)
    return day


@contextmanager
def _ledger_caught_up() -> Iterator[tuple[Database, Ledger]]:
    """The ledger, with the receivables read model folded up to the last event."""
    with ledger_read_models() as (database, ledger, projections):
        projections.catch_up([Receivables.name])
        yield database, ledger


@credit_app.command()
def sweep(as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """Send due reminders, dunning notices and collection tasks as of a date (idempotent)."""
    day = _day(as_of)
    with _ledger_caught_up() as (database, ledger):
        with database.connect() as conn, conn.cursor() as cur:
            customers = credit_customers(cur)
        results = ledger.credit.sweep_credit(customers=customers, as_of=day, caller=CLI_CALLER)
    notices = [
        {"customer": r.outcome["customer"], **notice}
        for r in results
        for notice in r.outcome["notices"]
    ]
    lines = [f"sweep as of {day}: {len(notices)} notices for {len(customers)} customers"]
    lines += [f"  {n['customer']:<14} {n['invoice']:<20} {n['level']}" for n in notices]
    emit(
        as_json,
        {"as_of": day.isoformat(), "customers": len(customers), "notices": notices},
        "\n".join(lines),
    )


def _row(row: CustomerReceivables | Totals) -> dict[str, Any]:
    name = row.customer if isinstance(row, CustomerReceivables) else row.key
    return {
        "customer": name,
        "currency": row.currency,
        **{bucket: str(row.buckets[bucket]) for bucket in BUCKETS},
        "open": str(row.open),
        "dso": None if row.dso is None else str(row.dso),
        "provision": str(row.provision),
    }


@credit_app.command()
def ageing(
    as_of: AsOf = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ageing buckets, DSO and bad-debt provision per customer as of a date, with totals."""
    day = _day(as_of)
    with _ledger_caught_up() as (database, _), database.connect() as conn, conn.cursor() as cur:
        rows = receivables_as_of(cur, as_of=day, customer=customer)
    sums = totals(rows)
    header = f"{'customer':<14} {'cur':<4}" + "".join(f"{b:>12}" for b in BUCKETS)
    header += f"{'open':>14}{'DSO':>8}{'provision':>12}"
    text = [f"ageing as of {day}", header]
    for item in [*map(_row, rows), *({**_row(t), "customer": "TOTAL"} for t in sums)]:
        cells = "".join(f"{item[b]:>12}" for b in BUCKETS)
        text.append(
            f"{item['customer']:<14} {item['currency']:<4}{cells}{item['open']:>14}"
            f"{item['dso'] or '-':>8}{item['provision']:>12}"
        )
    emit(
        as_json,
        {
            "as_of": day.isoformat(),
            "customers": [_row(r) for r in rows],
            "totals": [_row(t) for t in sums],
        },
        "\n".join(text),
    )
