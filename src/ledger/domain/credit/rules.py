"""The credit rules: how an order's credit check decides, dunning levels, ageing buckets.

Pure functions over figures; the ``CreditAccount`` gathers the figures and records the
decision with them, so an auditor can recompute it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

GRADES = ("A", "B", "C", "D")
MANUAL_GRADES = frozenset({"C", "D"})
"""Grades whose orders always go to a person, even within the limit."""
PREPAY_GRADES = frozenset({"D"})
"""Grades that must prepay before shipping unless finance says otherwise."""
REJECT_FACTOR = Decimal("1.5")
"""Exposure above this multiple of the limit is refused outright, not held."""


class CreditOutcome(enum.StrEnum):
    """What an order's credit check decided."""

    APPROVED = "approved"
    HELD = "held"
    PREPAYMENT_REQUIRED = "prepayment_required"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class CreditRule:
    """A rule of the credit check: its permanent id, what it says, and its outcome."""

    id: str
    text: str
    outcome: CreditOutcome


PREPAY = CreditRule(
    "CR-PREPAY",
    "the profile requires prepayment before shipping",
    CreditOutcome.PREPAYMENT_REQUIRED,
)
REJECT_OVER_LIMIT = CreditRule(
    "CR-REJECT-LIMIT", "exposure above 150 % of the limit", CreditOutcome.REJECTED
)
HOLD_OVERDUE = CreditRule(
    "CR-HOLD-OVERDUE", "overdue beyond tolerance (days or amount)", CreditOutcome.HELD
)
HOLD_OVER_LIMIT = CreditRule("CR-HOLD-LIMIT", "exposure above the limit", CreditOutcome.HELD)
HOLD_GRADE = CreditRule("CR-HOLD-GRADE", "the grade needs manual approval", CreditOutcome.HELD)
APPROVE = CreditRule(
    "CR-APPROVE",
    "within the limit, no overdue beyond tolerance, grade allows",
    CreditOutcome.APPROVED,
)
RULES = (PREPAY, REJECT_OVER_LIMIT, HOLD_OVERDUE, HOLD_OVER_LIMIT, HOLD_GRADE, APPROVE)
"""The rules in the order they are tried; the first that applies decides."""


@dataclass(frozen=True, slots=True)
class CreditFigures:
    """What a credit check looks at (all amounts in the account's currency).

    Attributes:
        grade: the customer's grade.
        limit: the credit limit.
        open_receivables: invoiced and not yet paid, credited or written off.
        open_orders: reserved for the customer's other unshipped orders.
        order_amount: this order.
        overdue_amount: open receivables past their due date.
        oldest_overdue_days: days the oldest overdue invoice is past due (0 if none).
        tolerance_days: overdue days accepted.
        tolerance_amount: overdue amount accepted.
        prepay_before_ship: whether the profile asks for prepayment.
    """

    grade: str
    limit: Decimal
    open_receivables: Decimal
    open_orders: Decimal
    order_amount: Decimal
    overdue_amount: Decimal
    oldest_overdue_days: int
    tolerance_days: int
    tolerance_amount: Decimal
    prepay_before_ship: bool

    @property
    def exposure(self) -> Decimal:
        """Open receivables + open unshipped orders + this order."""
        return self.open_receivables + self.open_orders + self.order_amount

    @property
    def available(self) -> Decimal:
        """The limit less the exposure (negative when over the limit)."""
        return self.limit - self.exposure


def decide_credit(figures: CreditFigures) -> CreditRule:
    """The first rule of ``RULES`` that applies to the figures."""
    overdue_beyond = (
        figures.overdue_amount > figures.tolerance_amount
        or figures.oldest_overdue_days > figures.tolerance_days
    )
    applies = {
        PREPAY.id: figures.prepay_before_ship,
        REJECT_OVER_LIMIT.id: figures.exposure > figures.limit * REJECT_FACTOR,
        HOLD_OVERDUE.id: figures.overdue_amount > 0 and overdue_beyond,
        HOLD_OVER_LIMIT.id: figures.exposure > figures.limit,
        HOLD_GRADE.id: figures.grade in MANUAL_GRADES,
        APPROVE.id: True,
    }
    return next(rule for rule in RULES if applies[rule.id])


# Dunning ---------------------------------------------------------------------------------

REMINDER_DAYS_BEFORE = 7
OVERDUE_LEVELS = (1, 15, 30, 60, 90)
COLLECTION_FROM_DAYS = 30
"""From this overdue level on, a notice also opens a collection task."""


def dunning_levels() -> list[tuple[str, int]]:
    """Every level with the days past due at which it is reached, in order."""
    return [
        (f"due-in-{REMINDER_DAYS_BEFORE}", -REMINDER_DAYS_BEFORE),
        ("due", 0),
        *((f"overdue-{days}", days) for days in OVERDUE_LEVELS),
    ]


def level_reached(due_on: date, as_of: date) -> tuple[str, int] | None:
    """The highest dunning level an invoice due on ``due_on`` has reached on ``as_of``."""
    days = (as_of - due_on).days
    reached = [level for level in dunning_levels() if days >= level[1]]
    return reached[-1] if reached else None


def level_rank(level: str) -> int:
    """A level's place in the order of levels (unknown levels rank first)."""
    names = [name for name, _ in dunning_levels()]
    return names.index(level) if level in names else -1


# Ageing ----------------------------------------------------------------------------------

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
PROVISION_RATES: dict[str, Decimal] = {
    "current": Decimal("0.01"),
    "1-30": Decimal("0.03"),
    "31-60": Decimal("0.10"),
    "61-90": Decimal("0.25"),
    "90+": Decimal("0.50"),
}
"""Default bad-debt provision per ageing bucket (share of the open amount)."""


def bucket(days_overdue: int) -> str:
    """The ageing bucket of an amount ``days_overdue`` past due (not yet due: current)."""
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"
