"""The tables ageing as of any date reads, kept by the receivables model's writer.

Amounts are whole units of ``AMOUNT_SCALE`` decimal places (``bigint``: integer sums are
exact and far cheaper than ``numeric`` ones). Two tables are steps: each row holds from its
date until the next row's (``until_on``; NULL for the last), so the row in force on any day
is found through a GiST index on the span, one per customer, however long the history:

* ``receivable_dues``: what is open now per customer and due date, with the running total
  of what is open with that due date or an earlier one (due dates with nothing open have
  no row);
* ``receivable_balances``: each customer's invoiced, paid, credited and written off up to
  the end of each date with a change.

``receivable_overdue_lines`` holds the lines recorded after their invoice's due date: as of
a day D, what was overdue then is what is open now with a due date before D, less those of
the lines recorded after D whose due date was before D (their span contains D).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from psycopg import Cursor, sql

from projections.model import copy_rows

AMOUNT_SCALE = 2
"""Decimal places of the stored integer amounts: every currency of ``CURRENCY_PLACES`` has
as many or fewer, so each amount is a whole number of these units."""

Step = tuple[date, date | None, tuple[int, ...]]
_TOTALS = ("invoiced", "paid", "credited", "written_off")


def to_units(amount: Decimal) -> int:
    """``amount`` as a whole number of units of ``AMOUNT_SCALE`` decimal places.

    Raises:
        ValueError: the amount is finer than that (no currency the ledger books in is).
    """
    units = amount.scaleb(AMOUNT_SCALE)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more than {AMOUNT_SCALE} decimal places")
    return int(units)


def _with_ends(rows: list[tuple[date, tuple[int, ...]]]) -> list[Step]:
    ends: list[date | None] = [on for on, _ in rows[1:]]
    ends.append(None)
    return [(on, end, amounts) for (on, amounts), end in zip(rows, ends, strict=False)]


def balance_steps(
    stored: Sequence[tuple[date, Sequence[int]]], days: Mapping[date, Sequence[int]]
) -> list[Step]:
    """A customer's running totals once ``days`` are added: one step per date with a change,
    each in force until the next (the last with no end).

    ``stored`` are the steps kept so far from the one in force on the earliest of ``days``
    on (all of them when none is), in date order. The steps depend only on the dates and
    amounts, not on how the changes were split between calls.
    """
    kept = dict(stored)
    before: tuple[int, ...] = (0, 0, 0, 0)
    added: tuple[int, ...] = (0, 0, 0, 0)
    totals: list[tuple[date, tuple[int, ...]]] = []
    for on in sorted(kept.keys() | days.keys()):
        before = tuple(kept.get(on, before))
        if on in days:
            added = tuple(a + d for a, d in zip(added, days[on], strict=True))
        totals.append((on, tuple(b + a for b, a in zip(before, added, strict=True))))
    return _with_ends(totals)


def due_steps(
    stored: Sequence[tuple[date, int]], changes: Mapping[date, int], *, before: int = 0
) -> list[Step]:
    """What a customer has open per due date once ``changes`` are added, each step being
    (open with that due date, open with that due date or an earlier one).

    ``stored`` are the open amounts kept so far from the due date before the earliest of
    ``changes`` on, in date order; ``before`` is the running total before the first of
    them. Due dates with nothing open have no step.
    """
    open_on = dict(stored)
    for due_on, units in changes.items():
        open_on[due_on] = open_on.get(due_on, 0) + units
    steps: list[tuple[date, tuple[int, ...]]] = []
    running = before
    for due_on in sorted(open_on):
        if open_on[due_on]:
            running += open_on[due_on]
            steps.append((due_on, (open_on[due_on], running)))
    return _with_ends(steps)


# The steps from the one in force just before (dues) or on (balances) each customer's
# earliest changed date on.
_STEPS_FROM = """
SELECT s.customer, s.{key}, {amounts}
FROM unnest(%s::text[], %s::date[]) AS d(customer, since)
JOIN {table} AS s ON s.customer = d.customer AND s.{key} >= coalesce(
    (SELECT max(x.{key}) FROM {table} AS x WHERE x.customer = d.customer
     AND x.{key} {before} d.since),
    d.since)
ORDER BY s.customer, s.{key}
"""
_DROP_STEPS = """
DELETE FROM {table} AS s USING unnest(%s::text[], %s::date[]) AS d(customer, since)
WHERE s.customer = d.customer AND s.{key} >= d.since
"""


def _stored_steps(
    cursor: Cursor[Any],
    table: str,
    since: Mapping[str, date],
    *,
    key: str,
    amounts: tuple[str, ...],
    before: str,
) -> dict[str, list[tuple[date, list[int]]]]:
    """Each customer's stored steps from the one found by ``before``; drops them (they are
    written again)."""
    names = {"table": sql.Identifier(table), "key": sql.Identifier(key), "before": sql.SQL(before)}
    query = sql.SQL(_STEPS_FROM).format(
        amounts=sql.SQL(", ").join(sql.Identifier("s", a) for a in amounts), **names
    )
    customers = sorted(since)
    stored: dict[str, list[tuple[date, list[int]]]] = defaultdict(list)
    for customer, on, *values in cursor.execute(
        query, (customers, [since[c] for c in customers])
    ).fetchall():
        stored[customer].append((on, values))
    first = [stored[c][0][0] if stored[c] else since[c] for c in customers]
    cursor.execute(sql.SQL(_DROP_STEPS).format(**names), (customers, first))
    return stored


def write_dues(cursor: Cursor[Any], dues: Mapping[tuple[str, date], int], table: str) -> None:
    """Add to what is open per customer and due date, and rewrite the running totals from
    each customer's earliest changed due date on."""
    changes: dict[str, dict[date, int]] = defaultdict(dict)
    for (customer, due_on), units in dues.items():
        if units:
            changes[customer][due_on] = units
    if not changes:
        return
    since = {customer: min(days) for customer, days in changes.items()}
    stored = _stored_steps(
        cursor, table, since, key="due_on", amounts=("open", "running"), before="<"
    )
    rows = []
    for customer in sorted(changes):
        kept = stored[customer]
        before = kept[0][1][1] - kept[0][1][0] if kept else 0
        opened = [(on, values[0]) for on, values in kept]
        for due_on, until_on, amounts in due_steps(opened, changes[customer], before=before):
            rows.append((customer, due_on, until_on, *amounts))
    copy_rows(
        cursor, table, columns=("customer", "due_on", "until_on", "open", "running"), rows=rows
    )


def write_balances(
    cursor: Cursor[Any], days: Mapping[str, Mapping[date, Sequence[int]]], table: str
) -> None:
    """Rewrite each customer's running-total steps from its earliest changed date on."""
    if not days:
        return
    since = {customer: min(changes) for customer, changes in days.items()}
    stored = _stored_steps(cursor, table, since, key="from_on", amounts=_TOTALS, before="<=")
    rows = [
        (customer, from_on, until_on, *amounts)
        for customer in sorted(days)
        for from_on, until_on, amounts in balance_steps(stored[customer], days[customer])
    ]
    copy_rows(cursor, table, columns=("customer", "from_on", "until_on", *_TOTALS), rows=rows)


def write_overdue_lines(
    cursor: Cursor[Any], lines: Sequence[tuple[str, date, date, int]], table: str
) -> None:
    """Append the lines recorded after their due date."""
    copy_rows(cursor, table, columns=("customer", "due_on", "occurred_on", "amount"), rows=lines)
