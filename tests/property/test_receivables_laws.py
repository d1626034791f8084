"""Laws of the receivables: for any sequence of invoices, payments, credit notes, cash
applications and write-offs, open receivables = invoiced - paid - credited - written off,
to the cent, per customer and in total; and the read model's ageing as of any date D
equals the ageing computed from a replay of the events dated up to D."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import build_ledger
from conftest import fresh_database
from ledger.application.ledger import Ledger
from ledger.domain.credit.account import CreditAccount
from ledger.domain.credit.receivables import ageing
from ledger.domain.errors import LedgerError
from ledger.domain.money import ZERO
from ledger.settings import Settings
from ledger.store.database import Database
from projections.receivable_reports import receivables_as_of
from projections.receivables import Receivables
from projections.runner import Projections

START = date(2026, 1, 5)
CUSTOMERS = ("HOSP-P1", "HOSP-P2")
Step = tuple[str, int, int, int, int]  # kind, customer, cents, pick, days later
_runs = itertools.count(1)

steps = st.lists(
    st.tuples(
        st.sampled_from(["invoice", "invoice", "pay", "pay_named", "credit", "write_off", "apply"]),
        st.integers(0, len(CUSTOMERS) - 1),
        st.integers(1, 500_000),
        st.integers(0, 50),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=30,
)


def _open_invoice(account: CreditAccount, pick: int) -> str | None:
    open_ones = sorted(inv for inv, b in account.invoices.items() if b.outstanding > 0)
    return open_ones[pick % len(open_ones)] if open_ones else None


def _apply(account: CreditAccount, step: Step, number: int, on: date) -> None:
    """One step on an account; steps the account refuses are skipped (as a client's would be)."""
    kind, _, cents, pick, _ = step
    amount = Decimal(cents) / 100
    target = _open_invoice(account, pick)
    ref = f"R-{number}"
    try:
        if kind == "invoice":
            account.raise_invoice(
                invoice=f"INV-{number}",
                order=f"SO-{number}",
                shipment=ref,
                lines=[],
                amount=amount,
                issued_on=on,
            )
        elif kind in ("pay", "pay_named"):
            named = None
            if kind == "pay_named" and target is not None:
                named = {target: min(amount, account.invoices[target].outstanding)}
            account.receive_payment(
                payment=ref,
                amount=amount,
                currency="CNY",
                received_on=on,
                allocations=named,
                actor="finance",
            )
        elif kind == "credit":
            account.issue_credit_note(
                credit_note=ref,
                amount=amount,
                issued_on=on,
                reason="returned goods",
                actor="finance",
            )
        elif kind == "write_off" and target is not None:
            share = min(amount, account.invoices[target].outstanding)
            account.request_write_off(
                write_off=ref,
                invoice=target,
                amount=share,
                requested_on=on,
                actor="collector",
                reason="insolvent",
            )
            account.decide_write_off(
                write_off=ref, approve=True, decided_on=on, actor="controller", reason="approved"
            )
        elif kind == "apply":
            account.allocate_unapplied(reference=ref, applied_on=on, actor="finance")
    except LedgerError:
        pass


def run_steps(
    script: list[Step], customers: tuple[str, ...] = CUSTOMERS
) -> tuple[dict[str, CreditAccount], date]:
    """Accounts after the steps (events pending), and the last day used."""
    accounts = {
        code: CreditAccount.open(
            customer=code,
            currency="CNY",
            grade="B",
            limit=Decimal(10**9),
            terms_days=30,
            actor="finance",
            reason="test",
        )
        for code in customers
    }
    day = START
    for number, step in enumerate(script):
        day += timedelta(days=step[4])
        _apply(accounts[customers[step[1]]], step, number, day)
    return accounts, day


def _totals(account: CreditAccount) -> dict[str, Decimal]:
    invoices = account.invoices.values()
    return {
        "invoiced": sum((b.amount for b in invoices), ZERO),
        "paid": sum((b.paid for b in invoices), ZERO),
        "credited": sum((b.credited for b in invoices), ZERO),
        "written_off": sum((b.written_off for b in invoices), ZERO),
    }


@given(steps)
@settings(max_examples=200)
def test_open_receivables_are_invoiced_less_paid_credited_and_written_off(
    script: list[Step],
) -> None:
    accounts, _ = run_steps(script)

    for account in accounts.values():
        t = _totals(account)
        assert (
            account.open_receivables == t["invoiced"] - t["paid"] - t["credited"] - t["written_off"]
        )
        assert all(b.outstanding >= 0 for b in account.invoices.values())
        cash = sum(
            (
                e.amount
                for e in account.pending_events
                if isinstance(e, CreditAccount.PaymentReceived | CreditAccount.CreditNoteIssued)
            ),
            ZERO,
        )
        assert cash == t["paid"] + t["credited"] + account.unapplied


def _event_day(event: Any) -> date | None:
    for name in ("issued_on", "received_on", "applied_on", "decided_on", "requested_on"):
        if hasattr(event, name):
            return getattr(event, name)  # type: ignore[no-any-return]
    return None


def replayed_ageing(events: list[Any], on: date) -> dict[str, Decimal]:
    """Ageing on ``on`` of an account rebuilt from its events dated up to ``on``."""
    account: CreditAccount | None = None
    for event in events:
        day = _event_day(event)
        if day is None or day <= on:
            account = event.mutate(account)
    assert account is not None
    return ageing(account.invoices.values(), on)


@pytest.fixture(scope="module")
def shared(server: Database) -> Iterator[tuple[Database, Ledger, Projections]]:
    """One ledger for every example (each example books for customers of its own)."""
    with fresh_database(server) as database:
        ledger = build_ledger(Settings(pool_size=1), database)
        # Small pages, so that an invoice and its payments often fall in different ones.
        projections = Projections(
            database, ledger.mapper.to_domain_event, [Receivables()], page_size=7
        )
        try:
            yield database, ledger, projections
        finally:
            ledger.close()


@given(script=steps, probe=st.integers(0, 400))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_read_model_agrees_with_the_events_to_the_cent_on_any_date(
    shared: tuple[Database, Ledger, Projections], script: list[Step], probe: int
) -> None:
    database, ledger, projections = shared
    run = next(_runs)
    customers = tuple(f"{code}-{run}" for code in CUSTOMERS)
    accounts, last_day = run_steps(script, customers)
    events = {code: list(account.pending_events) for code, account in accounts.items()}
    on = START + timedelta(days=probe)

    ledger.save(*accounts.values())
    projections.catch_up()
    with database.connect() as conn, conn.cursor() as cur:
        final = {r.customer: r for r in receivables_as_of(cur, as_of=last_day)}
        then = {r.customer: r for r in receivables_as_of(cur, as_of=on)}
        # After every change: answered from the open items and the accounts' totals.
        today = {r.customer: r for r in receivables_as_of(cur, as_of=date(2031, 1, 1))}

    total_open = ZERO
    for code, account in accounts.items():
        t = _totals(account)
        row = final.get(code)
        figures = (row.invoiced, row.paid, row.credited, row.written_off) if row else (ZERO,) * 4
        assert figures == (t["invoiced"], t["paid"], t["credited"], t["written_off"])
        assert (
            (row.open if row else ZERO)
            == account.open_receivables
            == (t["invoiced"] - t["paid"] - t["credited"] - t["written_off"])
        )
        total_open += row.open if row else ZERO
        now = today.get(code)
        assert (
            (now.invoiced, now.paid, now.credited, now.written_off) if now else (ZERO,) * 4
        ) == (figures)
        assert (now.open if now else ZERO) == account.open_receivables
        assert (now.unapplied if now else account.unapplied) == account.unapplied
        expected = replayed_ageing(events[code], on)
        got = then[code].buckets if code in then else dict.fromkeys(expected, ZERO)
        assert got == expected
    assert total_open == sum((a.open_receivables for a in accounts.values()), ZERO)


@given(script=steps)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_two_readings_of_a_past_date_agree_on_every_day_of_the_history(
    shared: tuple[Database, Ledger, Projections], script: list[Step]
) -> None:
    """Summing the lines up to a day, and taking what is open now less the lines after it,
    give the same report for every day of the history (the ledger reads whichever is
    fewer)."""
    database, ledger, projections = shared
    run = next(_runs)
    customers = tuple(f"{code}-{run}" for code in CUSTOMERS)
    accounts, last_day = run_steps(script, customers)
    ledger.save(*accounts.values())
    projections.catch_up()
    with database.connect() as conn, conn.cursor() as cur:
        for offset in range(0, (last_day - START).days + 1, 3):
            day = START + timedelta(days=offset)
            for code in customers:
                lines = receivables_as_of(cur, as_of=day, customer=code, reading="lines")
                open_now = receivables_as_of(cur, as_of=day, customer=code, reading="open_items")
                assert open_now == lines, (code, day)
