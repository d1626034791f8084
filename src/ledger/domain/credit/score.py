"""The risk scorecard and the limit policy: transparent, each factor's points shown.

Score = the sum over factors of weight x a 0-1 rating, 0-100 in all:

============================  ======  ============================================
factor                        weight  rating
============================  ======  ============================================
grade                         30      A 1, B 0.75, C 0.4, D 0
on-time payment ratio         25      share of settled invoices settled by due date
days sales outstanding (DSO)  15      1 up to the terms, 0 at three times the terms
DSO trend (90 days)           10      1 when flat or falling, 0 when 30+ days longer
utilisation                   10      1 up to 50 % of the limit, 0 at 100 % or more
overdue history (365 days)    10      1 with no 30+ day notices, -0.25 per notice
============================  ======  ============================================

Unknown figures (no settled invoice yet, no sales in the window) rate 0.5: neither a
reward nor a penalty.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

WEIGHTS: dict[str, int] = {
    "grade": 30,
    "on_time_ratio": 25,
    "dso": 15,
    "dso_trend": 10,
    "utilisation": 10,
    "overdue_history": 10,
}
GRADE_RATING = {"A": Decimal(1), "B": Decimal("0.75"), "C": Decimal("0.4"), "D": Decimal(0)}
NEUTRAL = Decimal("0.5")
RAISE_FROM_SCORE = 80
RAISE_MIN_ON_TIME = Decimal("0.9")
RAISE_SHARE = Decimal("0.20")
CUT_BELOW_SCORE = 50
CUT_SHARE = Decimal("0.25")
LIMIT_STEP = Decimal(100)
"""Proposed limits are whole hundreds of the account's currency (raises rounded up, cuts
down, so a cut is never smaller than its share)."""


@dataclass(frozen=True, slots=True)
class ScoreInputs:
    """What the scorecard rates.

    Attributes:
        grade: A-D.
        on_time_ratio: settled-by-due-date share of settled invoices (None: none settled).
        dso: days sales outstanding now (None: no sales in the window).
        dso_before: DSO 90 days earlier.
        utilisation: exposure / limit (None when the limit is zero).
        overdue_notices: notices at 30+ days overdue in the last 365 days.
        terms_days: the payment terms.
    """

    grade: str
    on_time_ratio: Decimal | None
    dso: Decimal | None
    dso_before: Decimal | None
    utilisation: Decimal | None
    overdue_notices: int
    terms_days: int


@dataclass(frozen=True, slots=True)
class Factor:
    """One line of the scorecard: the figure, its 0-1 rating, weight and points."""

    name: str
    value: str
    rating: Decimal
    weight: int
    points: Decimal


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A 0-100 score and the factors it adds up."""

    score: int
    factors: tuple[Factor, ...]


def _clamp(value: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), value))


def _ratings(inputs: ScoreInputs) -> dict[str, tuple[str, Decimal]]:
    terms = Decimal(max(inputs.terms_days, 1))
    dso_rating = NEUTRAL
    if inputs.dso is not None:
        dso_rating = _clamp(1 - (inputs.dso - terms) / (2 * terms))
    trend_rating = NEUTRAL
    if inputs.dso is not None and inputs.dso_before is not None:
        trend_rating = _clamp(1 - (inputs.dso - inputs.dso_before) / 30)
    usage_rating = NEUTRAL
    if inputs.utilisation is not None:
        usage_rating = _clamp((1 - inputs.utilisation) * 2)
    return {
        "grade": (inputs.grade, GRADE_RATING.get(inputs.grade, Decimal(0))),
        "on_time_ratio": (
            str(inputs.on_time_ratio),
            NEUTRAL if inputs.on_time_ratio is None else _clamp(inputs.on_time_ratio),
        ),
        "dso": (str(inputs.dso), dso_rating),
        "dso_trend": (f"{inputs.dso_before} -> {inputs.dso}", trend_rating),
        "utilisation": (str(inputs.utilisation), usage_rating),
        "overdue_history": (
            str(inputs.overdue_notices),
            _clamp(1 - Decimal("0.25") * inputs.overdue_notices),
        ),
    }


def score(inputs: ScoreInputs) -> Scorecard:
    """Rate each factor and add up their points (see the module's table)."""
    factors = []
    for name, (value, rating) in _ratings(inputs).items():
        points = (rating * WEIGHTS[name]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        factors.append(Factor(name, value, rating, WEIGHTS[name], points))
    total = sum((factor.points for factor in factors), Decimal(0))
    return Scorecard(int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP)), tuple(factors))


def propose_limit(
    card: Scorecard, *, limit: Decimal, on_time_ratio: Decimal | None
) -> tuple[Decimal, str] | None:
    """The limit policy: raise prompt payers by 20 % (score 80+, 90 %+ on time), cut late
    ones by 25 % (score below 50); the new limit and why, or None to keep it."""
    if card.score >= RAISE_FROM_SCORE and (on_time_ratio or 0) >= RAISE_MIN_ON_TIME:
        raised = (limit * (1 + RAISE_SHARE) / LIMIT_STEP).quantize(
            Decimal(1), rounding=ROUND_CEILING
        )
        proposed = max(raised * LIMIT_STEP, limit + LIMIT_STEP)
        return proposed, f"prompt payer: score {card.score}, on-time ratio {on_time_ratio}"
    if card.score < CUT_BELOW_SCORE and limit > 0:
        cut = (limit * (1 - CUT_SHARE) / LIMIT_STEP).quantize(Decimal(1), rounding=ROUND_FLOOR)
        return cut * LIMIT_STEP, f"late payer: score {card.score}"
    return None
