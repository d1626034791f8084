"""The credit domain on its own: money rounding, the credit rules, the account's decisions
and the events they record, dunning levels, the scorecard and the limit policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ledger.domain.credit.account import CreditAccount
from ledger.domain.credit.errors import (
    AllocationExceedsPayment,
    CurrencyMismatch,
    NothingPending,
    OverAllocation,
    SameApprover,
)
from ledger.domain.credit.rules import CreditFigures, CreditOutcome, decide_credit, level_reached
from ledger.domain.credit.score import ScoreInputs, propose_limit, score
from ledger.domain.errors import InvalidValue
from ledger.domain.money import parse_amount, round_money
from ledger.domain.order import OrderLine, SalesOrder

DAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 8, tzinfo=UTC)


def account(**profile: object) -> CreditAccount:
    values: dict[str, object] = {"grade": "A", "limit": Decimal(1000), "terms_days": 30}
    values.update(profile)
    return CreditAccount.open(
        customer="HOSP-U", currency="CNY", actor="finance", reason="onboarding", **values
    )  # type: ignore[arg-type]


def invoiced(amount: str, *, number: str = "INV-1", on: date = DAY) -> CreditAccount:
    acc = account(limit=Decimal(10**6))
    acc.raise_invoice(
        invoice=number, order="SO-1", shipment="S-1", lines=[], amount=Decimal(amount), issued_on=on
    )
    return acc


def test_amounts_are_rounded_half_up_per_currency() -> None:
    assert round_money(Decimal("2.345"), "CNY") == Decimal("2.35")
    assert round_money(Decimal("-2.345"), "USD") == Decimal("-2.35")
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    with pytest.raises(InvalidValue):
        parse_amount("amount", Decimal("1.005"), "CNY")
    with pytest.raises(InvalidValue):
        parse_amount("amount", 1.5, "CNY")


def figures(**changes: object) -> CreditFigures:
    values: dict[str, object] = {
        "grade": "A",
        "limit": Decimal(1000),
        "open_receivables": Decimal(0),
        "open_orders": Decimal(0),
        "order_amount": Decimal(100),
        "overdue_amount": Decimal(0),
        "oldest_overdue_days": 0,
        "tolerance_days": 0,
        "tolerance_amount": Decimal(0),
        "prepay_before_ship": False,
    }
    values.update(changes)
    return CreditFigures(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({}, "CR-APPROVE"),
        ({"prepay_before_ship": True, "order_amount": Decimal(5000)}, "CR-PREPAY"),
        ({"order_amount": Decimal(1501)}, "CR-REJECT-LIMIT"),
        ({"order_amount": Decimal(1500)}, "CR-HOLD-LIMIT"),
        ({"overdue_amount": Decimal(1), "oldest_overdue_days": 1}, "CR-HOLD-OVERDUE"),
        (
            {
                "overdue_amount": Decimal(50),
                "oldest_overdue_days": 3,
                "tolerance_days": 5,
                "tolerance_amount": Decimal(50),
            },
            "CR-APPROVE",
        ),
        ({"grade": "C"}, "CR-HOLD-GRADE"),
    ],
)
def test_the_first_rule_that_applies_decides(changes: dict[str, object], rule: str) -> None:
    assert decide_credit(figures(**changes)).id == rule


def test_a_credit_check_records_its_figures_and_reserves_the_order() -> None:
    acc = account()
    acc.check_credit(order="SO-1", amount=Decimal(400), currency="CNY", on=DAY, actor="op")

    rule = acc.check_credit(order="SO-2", amount=Decimal(700), currency="CNY", on=DAY, actor="op")

    event = acc.pending_events[-1]
    assert rule.outcome is CreditOutcome.HELD
    assert isinstance(event, CreditAccount.OrderCreditChecked)
    assert (event.open_orders, event.exposure, event.available, event.rule) == (
        Decimal(400),
        Decimal(1100),
        Decimal(-100),
        "CR-HOLD-LIMIT",
    )
    assert acc.reservations == {"SO-1": Decimal(400), "SO-2": Decimal(700)}
    with pytest.raises(CurrencyMismatch):
        acc.check_credit(order="SO-3", amount=Decimal(1), currency="USD", on=DAY, actor="op")


def test_a_review_decides_only_held_orders() -> None:
    acc = account(grade="C")
    acc.check_credit(order="SO-1", amount=Decimal(10), currency="CNY", on=DAY, actor="op")

    acc.review_order(order="SO-1", approve=False, actor="finance", reason="too risky")

    assert acc.reservations == {}
    with pytest.raises(NothingPending):
        acc.review_order(order="SO-1", approve=True, actor="finance", reason="changed mind")


def test_cash_is_applied_oldest_first_with_the_rest_unapplied() -> None:
    acc = invoiced("100.00", number="INV-B", on=DAY + timedelta(days=1))
    acc.raise_invoice(
        invoice="INV-A",
        order="SO-2",
        shipment="S-2",
        lines=[],
        amount=Decimal("100.00"),
        issued_on=DAY,
    )

    acc.receive_payment(
        payment="P-1", amount=Decimal("150.00"), currency="CNY", received_on=DAY, actor="finance"
    )
    acc.receive_payment(
        payment="P-2", amount=Decimal("80.00"), currency="CNY", received_on=DAY, actor="finance"
    )

    assert acc.invoices["INV-A"].outstanding == 0 and acc.invoices["INV-B"].outstanding == 0
    assert acc.unapplied == Decimal("30.00")


def test_named_allocations_may_not_exceed_the_invoice_or_the_payment() -> None:
    acc = invoiced("100.00")
    with pytest.raises(OverAllocation):
        acc.receive_payment(
            payment="P-1",
            amount=Decimal(200),
            currency="CNY",
            received_on=DAY,
            allocations={"INV-1": Decimal(150)},
            actor="finance",
        )
    with pytest.raises(AllocationExceedsPayment):
        acc.receive_payment(
            payment="P-1",
            amount=Decimal(50),
            currency="CNY",
            received_on=DAY,
            allocations={"INV-1": Decimal(60)},
            actor="finance",
        )


def test_a_write_off_needs_another_approver() -> None:
    acc = invoiced("100.00")
    acc.request_write_off(
        write_off="W-1",
        invoice="INV-1",
        amount=Decimal(40),
        requested_on=DAY,
        actor="zhang",
        reason="insolvent",
    )
    with pytest.raises(SameApprover):
        acc.decide_write_off(
            write_off="W-1", approve=True, decided_on=DAY, actor="zhang", reason="ok"
        )

    acc.decide_write_off(write_off="W-1", approve=True, decided_on=DAY, actor="li", reason="ok")

    assert acc.invoices["INV-1"].written_off == Decimal(40)
    assert acc.open_receivables == Decimal(60)


def test_dunning_levels_follow_the_due_date() -> None:
    due = date(2026, 4, 1)
    assert level_reached(due, due - timedelta(days=8)) is None
    assert level_reached(due, due - timedelta(days=7)) == ("due-in-7", -7)
    assert level_reached(due, due) == ("due", 0)
    assert level_reached(due, due + timedelta(days=14)) == ("overdue-1", 1)
    assert level_reached(due, due + timedelta(days=95)) == ("overdue-90", 90)


def test_the_sweep_opens_a_collection_task_from_30_days_and_never_repeats_a_level() -> None:
    acc = invoiced("100.00")
    due = DAY + timedelta(days=30)

    first = acc.sweep(due + timedelta(days=31))
    again = acc.sweep(due + timedelta(days=40))

    assert first == [("INV-1", "overdue-30")] and again == []
    assert acc.tasks == {
        "INV-1/overdue-30": {
            "invoice": "INV-1",
            "level": "overdue-30",
            "owner": "finance",
            "status": "open",
        }
    }


def test_the_scorecard_adds_up_its_factors_and_the_policy_raises_prompt_payers() -> None:
    prompt = score(
        ScoreInputs(
            grade="A",
            on_time_ratio=Decimal(1),
            dso=Decimal(20),
            dso_before=Decimal(25),
            utilisation=Decimal("0.3"),
            overdue_notices=0,
            terms_days=30,
        )
    )
    late = score(
        ScoreInputs(
            grade="C",
            on_time_ratio=Decimal("0.2"),
            dso=Decimal(95),
            dso_before=Decimal(60),
            utilisation=Decimal("1.1"),
            overdue_notices=3,
            terms_days=30,
        )
    )

    assert prompt.score == 100 and sum(f.points for f in prompt.factors) == 100
    assert late.score == sum(f.points for f in late.factors).quantize(Decimal(1))
    assert propose_limit(prompt, limit=Decimal(10000), on_time_ratio=Decimal(1)) == (
        Decimal(12000),
        "prompt payer: score 100, on-time ratio 1",
    )
    assert propose_limit(late, limit=Decimal(10000), on_time_ratio=Decimal("0.2"))[0] == Decimal(
        7500
    )


def test_a_limit_proposal_changes_the_limit_only_when_accepted() -> None:
    acc = account(grade="D", limit=Decimal(10000))

    acc.propose_limit_change(proposal="LP-1", as_of=DAY)
    acc.decide_limit_change(proposal="LP-1", accept=True, actor="cfo", reason="agreed")

    assert acc.limit == Decimal(7500)
    names = [type(e).__name__ for e in acc.pending_events]
    assert names[-3:] == ["LimitChangeProposed", "LimitChangeDecided", "CreditLimitChanged"]


def test_an_order_checks_its_lines_and_ships_only_when_approved() -> None:
    gtin = "06901234567892"
    with pytest.raises(InvalidValue):
        SalesOrder.place(
            order="SO-X",
            customer="H",
            currency="CNY",
            placed_at=AT,
            lines=[OrderLine(gtin, 0, Decimal(1))],
            actor="op",
        )
    order = SalesOrder.place(
        order="SO-X",
        customer="H",
        currency="JPY",
        placed_at=AT,
        lines=[OrderLine(gtin, 3, Decimal("333.5"))],
        actor="op",
    )
    assert order.amount == Decimal(1001)  # 1000.5 rounded half up to the yen
    order.record_credit(outcome=CreditOutcome.HELD, rule="CR-HOLD-LIMIT", actor="op", reason="x")
    with pytest.raises(Exception, match="credit_held"):
        order.check_shipment({gtin: 3})
