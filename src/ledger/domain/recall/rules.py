"""Recall rules: levels, jurisdictions and their deadlines, the working-day calendar, and
which lots a recall covers.

Deadlines are computed when a step happens and stored in its event, so a replay gives the
same dates whatever the calendar's configuration is later.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ledger.domain.errors import InvalidValue


class RecallLevel(enum.StrEnum):
    """Severity: I may cause or has caused serious harm, II temporary or reversible harm,
    III unlikely to harm (NMPA Order No. 29; the FDA's classes I to III are alike)."""

    I = "I"  # noqa: E741 - the regulators' own name for the level
    II = "II"
    III = "III"


class Jurisdiction(enum.StrEnum):
    """Whose recall rules set the deadlines."""

    CN = "CN"
    US = "US"
    EU = "EU"


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: Monday to Friday, minus public holidays, plus the weekend days worked
    in their place (China moves working days onto weekends around its holidays)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    working_weekend_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """True on a day the regulator counts as a working day."""
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.working_weekend_days

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
        day = start
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


@dataclass(frozen=True)
class Deadlines:
    """What is due by when, from a recall's initiation."""

    notify_consignees: date
    report_to_regulator: date
    submit_plan: date | None

    def as_dict(self) -> dict[str, str | None]:
        """ISO dates by step."""
        return {
            "notify_consignees": self.notify_consignees.isoformat(),
            "report_to_regulator": self.report_to_regulator.isoformat(),
            "submit_plan": self.submit_plan.isoformat() if self.submit_plan else None,
        }


# China, NMPA Order No. 29: notify distributors and users within 1 / 3 / 7 days by level;
# report the decision to the regulator at once (the same day); plan within 5 working days;
# close-out report within 10 working days after the recall ends.
_CN_NOTIFY_DAYS = {RecallLevel.I: 1, RecallLevel.II: 3, RecallLevel.III: 7}
# USA, 21 CFR 806: report a correction or removal within 10 working days; consignees are
# notified with the same urgency.
_US_REPORT_WORKING_DAYS = 10
# EU MDR vigilance: serious public health threat 2 days, death or serious deterioration
# 10 days, otherwise 15 days (mapped to levels I / II / III); the field safety notice goes
# to every affected user by then.
_EU_NOTIFY_DAYS = {RecallLevel.I: 2, RecallLevel.II: 10, RecallLevel.III: 15}
CLOSE_OUT_WORKING_DAYS = {Jurisdiction.CN: 10, Jurisdiction.US: 10, Jurisdiction.EU: 10}


def deadlines(
    jurisdiction: Jurisdiction,
    level: RecallLevel,
    initiated_at: datetime,
    calendar: WorkingCalendar,
) -> Deadlines:
    """The deadlines a recall of ``level`` initiated at ``initiated_at`` must meet."""
    day = initiated_at.date()
    if jurisdiction is Jurisdiction.CN:
        return Deadlines(
            notify_consignees=day + timedelta(days=_CN_NOTIFY_DAYS[level]),
            report_to_regulator=day,
            submit_plan=calendar.add_working_days(day, 5),
        )
    if jurisdiction is Jurisdiction.US:
        report = calendar.add_working_days(day, _US_REPORT_WORKING_DAYS)
        return Deadlines(notify_consignees=report, report_to_regulator=report, submit_plan=None)
    notify = day + timedelta(days=_EU_NOTIFY_DAYS[level])
    return Deadlines(notify_consignees=notify, report_to_regulator=notify, submit_plan=None)


def close_out_deadline(
    jurisdiction: Jurisdiction, ended_at: datetime, calendar: WorkingCalendar
) -> date:
    """When the close-out report is due after the recall ends."""
    return calendar.add_working_days(ended_at.date(), CLOSE_OUT_WORKING_DAYS[jurisdiction])


@dataclass(frozen=True)
class LotSelection:
    """The lots a recall covers: named lots, or ranges of lot numbers or production dates
    of its products. A range covers lots received after the recall too."""

    gtins: tuple[str, ...]
    lot_numbers: tuple[str, ...] = ()
    lot_range: tuple[str, str] | None = None
    produced_between: tuple[date, date] | None = None

    def __post_init__(self) -> None:
        if not self.gtins:
            raise InvalidValue("products", "a recall names at least one product")
        chosen = [bool(self.lot_numbers), self.lot_range is not None,
                  self.produced_between is not None]  # fmt: skip
        if sum(chosen) != 1:
            raise InvalidValue(
                "lots", "name the lots, or give one lot-number range or production-date range"
            )
        if self.lot_range and self.lot_range[0] > self.lot_range[1]:
            raise InvalidValue("lot_range", "the range's first lot number is after its last")
        if self.produced_between and self.produced_between[0] > self.produced_between[1]:
            raise InvalidValue("produced_between", "the range's start is after its end")

    def covers(self, gtin: str, lot_number: str, manufactured_on: date | None) -> bool:
        """True if the lot ``gtin``/``lot_number`` made on ``manufactured_on`` is recalled."""
        if gtin not in self.gtins:
            return False
        if self.lot_numbers:
            return lot_number in self.lot_numbers
        if self.lot_range is not None:
            first, last = self.lot_range
            return first <= lot_number <= last
        assert self.produced_between is not None
        start, end = self.produced_between
        return manufactured_on is not None and start <= manufactured_on <= end

    def as_dict(self) -> dict[str, object]:
        """The selection as JSON-ready data (as recall events store it)."""
        return {
            "gtins": list(self.gtins),
            "lot_numbers": list(self.lot_numbers),
            "lot_range": list(self.lot_range) if self.lot_range else None,
            "produced_between": (
                [d.isoformat() for d in self.produced_between] if self.produced_between else None
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LotSelection:
        """The selection stored by ``as_dict``."""
        lot_range = data.get("lot_range")
        produced = data.get("produced_between")
        return cls(
            gtins=tuple(data["gtins"]),  # type: ignore[arg-type]
            lot_numbers=tuple(data.get("lot_numbers") or ()),  # type: ignore[arg-type]
            lot_range=(lot_range[0], lot_range[1]) if lot_range else None,  # type: ignore[index]
            produced_between=(
                (date.fromisoformat(produced[0]), date.fromisoformat(produced[1]))  # type: ignore[index]
                if produced
                else None
            ),
        )
