"""Recall rules in memory: deadlines per jurisdiction and level, the working-day calendar,
lot selections, and the Recall aggregate's refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import InvalidValue
from ledger.domain.recall.aggregate import Recall, RecoveryKind
from ledger.domain.recall.errors import (
    AlreadyAcknowledged,
    NoNoticeSent,
    NoticeAlreadySent,
    RecallNotOpen,
    RecallNotResolved,
)
from ledger.domain.recall.rules import (
    Jurisdiction,
    LotSelection,
    RecallLevel,
    WorkingCalendar,
    close_out_deadline,
    deadlines,
)

FRIDAY = datetime(2026, 9, 25, 16, tzinfo=UTC)
# China's National Day week 2026: 1-7 October off, Sunday 27 September and Saturday
# 10 October worked instead.
NATIONAL_DAY = WorkingCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    working_weekend_days=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


@pytest.mark.parametrize(("level", "notify"), [("I", 26), ("II", 28), ("III", 32)])
def test_china_notifies_within_1_3_7_days_and_plans_within_5_working_days(
    level: str, notify: int
) -> None:
    due = deadlines(Jurisdiction.CN, RecallLevel(level), FRIDAY, NATIONAL_DAY)

    assert due.notify_consignees == date(2026, 9, 25) + timedelta(days=notify - 25)
    assert due.report_to_regulator == date(2026, 9, 25)
    # Sun 27 Sep (worked), Mon 28, Tue 29, Wed 30, then the holiday week, then Thu 8 Oct.
    assert due.submit_plan == date(2026, 10, 8)


def test_the_close_out_counts_10_working_days_skipping_holidays_and_counting_worked_weekends() -> (
    None
):
    ended = datetime(2026, 9, 30, 10, tzinfo=UTC)

    # 8, 9, 10 (Saturday worked), 12, 13, 14, 15, 16, 19, 20 October.
    assert close_out_deadline(Jurisdiction.CN, ended, NATIONAL_DAY) == date(2026, 10, 20)
    assert close_out_deadline(Jurisdiction.CN, ended, WorkingCalendar()) == date(2026, 10, 14)


def test_the_us_reports_within_10_working_days_and_the_eu_by_severity() -> None:
    us = deadlines(Jurisdiction.US, RecallLevel.II, FRIDAY, WorkingCalendar())
    eu = deadlines(Jurisdiction.EU, RecallLevel.I, FRIDAY, WorkingCalendar())

    assert us.report_to_regulator == date(2026, 10, 9) and us.submit_plan is None
    assert eu.notify_consignees == date(2026, 9, 27)


@given(start=st.dates(date(2026, 1, 1), date(2027, 12, 31)), days=st.integers(0, 40))
def test_adding_working_days_lands_on_a_working_day_with_exactly_that_many_between(
    start: date, days: int
) -> None:
    end = NATIONAL_DAY.add_working_days(start, days)
    between = [start + timedelta(n) for n in range(1, (end - start).days + 1)]

    assert sum(NATIONAL_DAY.is_working_day(day) for day in between) == days
    assert days == 0 or NATIONAL_DAY.is_working_day(end)


def test_a_selection_names_lots_or_one_range() -> None:
    named = LotSelection(gtins=("09506000134352",), lot_numbers=("A1", "A2"))
    ranged = LotSelection(gtins=("09506000134352",), lot_range=("A100", "A199"))
    dated = LotSelection(
        gtins=("09506000134352",), produced_between=(date(2026, 1, 1), date(2026, 1, 31))
    )

    assert named.covers("09506000134352", "A2", None) and not named.covers("09506000134352",
                                                                            "A3", None)  # fmt: skip
    assert ranged.covers("09506000134352", "A150", None)
    assert not ranged.covers("04006381333931", "A150", None)
    assert dated.covers("09506000134352", "X", date(2026, 1, 9))
    assert not dated.covers("09506000134352", "X", None)
    assert LotSelection.from_dict(dated.as_dict()) == dated
    for wrong in ({}, {"lot_numbers": ("A",), "lot_range": ("A", "B")},
                  {"lot_range": ("B", "A")}):  # fmt: skip
        with pytest.raises(InvalidValue):
            LotSelection(gtins=("09506000134352",), **wrong)  # type: ignore[arg-type]


def _recall() -> Recall:
    return Recall.initiate(
        number="RC-1", level=RecallLevel.II, reason="seal", jurisdiction=Jurisdiction.CN,
        selection=LotSelection(gtins=("09506000134352",), lot_numbers=("A1",)),
        initiator="MFR", initiated_at=FRIDAY, calendar=WorkingCalendar(),
    )  # fmt: skip


def test_notices_are_sent_once_and_acknowledged_once() -> None:
    recall = _recall()
    with pytest.raises(NoNoticeSent):
        recall.acknowledge(consignee="H1", acknowledged_by="x", occurred_at=FRIDAY)
    recall.send_notice(consignee="H1", channel="email", occurred_at=FRIDAY)
    with pytest.raises(NoticeAlreadySent):
        recall.send_notice(consignee="H1", channel="fax", occurred_at=FRIDAY)
    recall.acknowledge(consignee="H1", acknowledged_by="x", occurred_at=FRIDAY)
    with pytest.raises(AlreadyAcknowledged):
        recall.acknowledge(consignee="H1", acknowledged_by="x", occurred_at=FRIDAY)


def test_close_out_needs_an_end_and_every_consignee_resolved_or_excepted() -> None:
    recall = _recall()
    with pytest.raises(RecallNotOpen):
        recall.close(outstanding={}, summary="s", occurred_at=FRIDAY)
    recall.send_notice(consignee="H1", channel="email", occurred_at=FRIDAY)
    recall.acknowledge(consignee="H1", acknowledged_by="x", occurred_at=FRIDAY)
    recall.end(occurred_at=FRIDAY, calendar=WorkingCalendar())

    with pytest.raises(RecallNotResolved) as refused:
        recall.close(outstanding={"H1": 0, "H2": 0, "H3": 4}, summary="s", occurred_at=FRIDAY)
    assert refused.value.unresolved == ["H2", "H3"]  # H2 never acknowledged, H3 holds units

    recall.record_exception(consignee="H2", explanation="closed down", occurred_at=FRIDAY)
    recall.record_exception(consignee="H3", explanation="implanted", occurred_at=FRIDAY)
    recall.close(outstanding={"H1": 0, "H2": 0, "H3": 4}, summary="s", occurred_at=FRIDAY)
    with pytest.raises(RecallNotOpen):
        recall.record_recovery(consignee="H1", gtin="09506000134352", lot_number="A1",
                               kind=RecoveryKind.DESTROYED, quantity=1,
                               occurred_at=FRIDAY)  # fmt: skip


def test_a_recovery_names_a_recalled_lot_and_a_positive_quantity() -> None:
    recall = _recall()
    for lot, quantity in (("B9", 1), ("A1", 0)):
        with pytest.raises(InvalidValue):
            recall.record_recovery(consignee="H1", gtin="09506000134352", lot_number=lot,
                                   kind=RecoveryKind.CORRECTED, quantity=quantity,
                                   occurred_at=FRIDAY)  # fmt: skip
