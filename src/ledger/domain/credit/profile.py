"""A credit account's profile: grade, terms, tolerance, prepayment rule, collector and limit.

These are commands of ``CreditAccount``, written out of its class and bound in it
(``CreditAccount.change_profile`` is ``change_profile`` here): each decides, then records
through one of the account's ``_record_*`` methods.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.domain.credit.rules import GRADES
from ledger.domain.errors import InvalidValue
from ledger.domain.money import parse_amount
from ledger.domain.values import parse_text

if TYPE_CHECKING:
    from ledger.domain.credit.account import CreditAccount


def parse_grade(grade: str) -> str:
    """A credit grade, one of ``GRADES``.

    Raises:
        InvalidValue: any other grade.
    """
    if grade not in GRADES:
        raise InvalidValue("grade", f"one of {', '.join(GRADES)}")
    return grade


def parse_days(field: str, value: int, *, maximum: int = 365) -> int:
    """Whole days from 0 to ``maximum``.

    Raises:
        InvalidValue: not an int, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidValue(field, f"whole days from 0 to {maximum}")
    return value


@dataclass(frozen=True)
class CreditProfile:
    """The terms a customer buys on, apart from the limit.

    Attributes:
        grade: A-D.
        terms_days: net payment terms in days.
        tolerance_days, tolerance_amount: overdue accepted before orders are held.
        prepay_before_ship: orders wait for prepayment.
        collector: the owner of the account's collection tasks.
    """

    grade: str
    terms_days: int
    tolerance_days: int
    tolerance_amount: Decimal
    prepay_before_ship: bool
    collector: str

    def parsed(self, currency: str) -> CreditProfile:
        """This profile with every field checked, amounts rounded to ``currency``.

        Raises:
            InvalidValue: the first field out of its format or range.
        """
        return CreditProfile(
            grade=parse_grade(self.grade),
            terms_days=parse_days("terms_days", self.terms_days),
            tolerance_days=parse_days("tolerance_days", self.tolerance_days),
            tolerance_amount=parse_amount(
                "tolerance_amount", self.tolerance_amount, currency, allow_zero=True
            ),
            prepay_before_ship=bool(self.prepay_before_ship),
            collector=parse_text("collector", self.collector),
        )


def change_profile(self: CreditAccount, *, actor: str, reason: str, **changes: Any) -> None:
    """Change the grade, terms, tolerance, prepayment rule or collector (named ones)."""
    unknown = set(changes) - {field.name for field in fields(CreditProfile)}
    if unknown:
        raise InvalidValue(sorted(unknown)[0], "not a field of the credit profile")
    given = {name: value for name, value in changes.items() if value is not None}
    profile = replace(self.profile, **given).parsed(self.currency)
    self._record_profile(
        **asdict(profile), actor=parse_text("actor", actor), reason=parse_text("reason", reason)
    )


def change_limit(
    self: CreditAccount, *, limit: Decimal, actor: str, reason: str, proposal: str | None = None
) -> None:
    """Set a new credit limit."""
    self._record_limit(
        previous=self.limit,
        limit=parse_amount("limit", limit, self.currency, allow_zero=True),
        proposal=proposal,
        actor=parse_text("actor", actor),
        reason=parse_text("reason", reason),
    )
