"""The ``Recall`` aggregate: a recall's level, lots, deadlines, notices, recovery and close-out.

Which consignees hold recalled units is not kept here: that follows from the lots' own
events (the impact list, a read model). The recall records what was decided and done about
them: notices sent and acknowledged, units returned, corrected, destroyed or confirmed used,
exceptions explained, and the end and close-out.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.domain.errors import InvalidValue
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
from ledger.domain.topics import stored_under
from ledger.domain.values import LEDGER_NAMESPACE, parse_quantity, parse_text, parse_time


def recall_id(number: str) -> UUID:
    """The permanent id of a recall: uuid5 of its number."""
    return uuid5(LEDGER_NAMESPACE, f"recall|{number}")


class RecallStatus(enum.StrEnum):
    """Where a recall stands."""

    OPEN = "open"
    ENDED = "ended"
    CLOSED = "closed"


class RecoveryKind(enum.StrEnum):
    """What became of recalled units at a consignee."""

    RETURNED = "returned"
    CORRECTED = "corrected"
    DESTROYED = "destroyed"
    USED = "used"


class RecallInitiated(Aggregate.Created):
    """A recall began: what, why, how severe, whose rules, and the deadlines they set.

    Fields: number, level, reason, jurisdiction, selection (products and lots, as data),
    initiator (party code), initiated_at, notify_by, report_by, plan_by (dates).
    """

    number: str
    level: RecallLevel
    reason: str
    jurisdiction: Jurisdiction
    selection: dict[str, Any]
    initiator: str
    initiated_at: datetime
    notify_by: date
    report_by: date
    plan_by: date | None


class Recall(Aggregate):
    """One recall, identified by its number."""

    @classmethod
    def initiate(
        cls,
        *,
        number: str,
        level: RecallLevel,
        reason: str,
        jurisdiction: Jurisdiction,
        selection: LotSelection,
        initiator: str,
        initiated_at: datetime,
        calendar: WorkingCalendar,
    ) -> Recall:
        """Open a recall; its deadlines follow from the jurisdiction's rules and the level."""
        at = parse_time("initiated_at", initiated_at)
        due = deadlines(jurisdiction, level, at, calendar)
        number = parse_text("number", number)
        # _create with the id given skips the library's generic argument handling.
        return cls._create(
            RecallInitiated,
            id=recall_id(number),
            number=number,
            level=level,
            reason=parse_text("reason", reason),
            jurisdiction=jurisdiction,
            selection=selection.as_dict(),
            initiator=parse_text("initiator", initiator),
            initiated_at=at,
            notify_by=due.notify_consignees,
            report_by=due.report_to_regulator,
            plan_by=due.submit_plan,
        )

    @event(RecallInitiated)
    def __init__(
        self,
        *,
        number: str,
        level: RecallLevel,
        reason: str,
        jurisdiction: Jurisdiction,
        selection: dict[str, Any],
        initiator: str,
        initiated_at: datetime,
        notify_by: date,
        report_by: date,
        plan_by: date | None,
    ) -> None:
        self.number = number
        self.level = level
        self.reason = reason
        self.jurisdiction = jurisdiction
        self.selection = selection
        self.initiator = initiator
        self.initiated_at = initiated_at
        self.notify_by = notify_by
        self.report_by = report_by
        self.plan_by = plan_by
        self.status = RecallStatus.OPEN
        self.reported_at: datetime | None = None
        self.plan_submitted_at: datetime | None = None
        self.notices: dict[str, datetime] = {}
        self.acknowledged: dict[str, datetime] = {}
        self.recovered: dict[str, dict[str, int]] = {}
        self.exceptions: dict[str, str] = {}
        self.ended_at: datetime | None = None
        self.close_out_by: date | None = None
        self.closed_at: datetime | None = None

    @property
    def lots(self) -> LotSelection:
        """The lots the recall covers."""
        return LotSelection.from_dict(self.selection)

    # Reporting and planning ----------------------------------------------------------------

    def report_to_regulator(self, *, reference: str, occurred_at: datetime) -> None:
        """Record that the regulator was told of the recall (its receipt reference)."""
        self._take_step(
            "report to the regulator", self._record_report, occurred_at, reference=reference
        )

    @event("ReportedToRegulator")
    def _record_report(self, *, reference: str, occurred_at: datetime) -> None:
        self.reported_at = occurred_at

    def submit_plan(self, *, summary: str, occurred_at: datetime) -> None:
        """Record the recall plan's submission."""
        self._take_step("submit a plan", self._record_plan, occurred_at, summary=summary)

    @event("PlanSubmitted")
    def _record_plan(self, *, summary: str, occurred_at: datetime) -> None:
        self.plan_submitted_at = occurred_at

    # Notices ---------------------------------------------------------------------------------

    def send_notice(self, *, consignee: str, channel: str, occurred_at: datetime) -> None:
        """Record the recall notice sent to a consignee, due by the level's deadline."""
        self._require_not_closed("send a notice")
        party = parse_text("consignee", consignee)
        if party in self.notices:
            raise NoticeAlreadySent(self.number, party)
        self._record_notice(
            consignee=party,
            channel=parse_text("channel", channel),
            occurred_at=parse_time("occurred_at", occurred_at),
            due=self.notify_by,
        )

    @event("NoticeSent")
    def _record_notice(
        self, *, consignee: str, channel: str, occurred_at: datetime, due: date
    ) -> None:
        self.notices[consignee] = occurred_at

    def acknowledge(self, *, consignee: str, acknowledged_by: str, occurred_at: datetime) -> None:
        """Record that a consignee acknowledged the notice."""
        self._require_not_closed("record an acknowledgement")
        party = parse_text("consignee", consignee)
        if party not in self.notices:
            raise NoNoticeSent(self.number, party)
        if party in self.acknowledged:
            raise AlreadyAcknowledged(self.number, party)
        self._record_acknowledgement(
            consignee=party,
            acknowledged_by=parse_text("acknowledged_by", acknowledged_by),
            occurred_at=parse_time("occurred_at", occurred_at),
        )

    @event("NoticeAcknowledged")
    def _record_acknowledgement(
        self, *, consignee: str, acknowledged_by: str, occurred_at: datetime
    ) -> None:
        self.acknowledged[consignee] = occurred_at

    # Recovery --------------------------------------------------------------------------------

    def record_recovery(
        self,
        *,
        consignee: str,
        gtin: str,
        lot_number: str,
        kind: RecoveryKind,
        quantity: int,
        occurred_at: datetime,
        note: str = "",
    ) -> None:
        """Record recalled units returned, corrected on site, destroyed or confirmed used
        at a consignee (a return also moves the lot's stock; see the application)."""
        self._require_not_closed("record a recovery")
        # A production-date range cannot be checked here (the lot's date is on the lot).
        if not self._date_based() and not self.lots.covers(gtin, lot_number, None):
            raise InvalidValue("lot_number", f"lot {lot_number} of {gtin} is not in the recall")
        self._record_recovery(
            consignee=parse_text("consignee", consignee),
            gtin=gtin,
            lot_number=lot_number,
            kind=kind,
            quantity=parse_quantity(quantity),
            occurred_at=parse_time("occurred_at", occurred_at),
            note=note.strip(),
        )

    @event("RecoveryRecorded")
    def _record_recovery(
        self,
        *,
        consignee: str,
        gtin: str,
        lot_number: str,
        kind: RecoveryKind,
        quantity: int,
        occurred_at: datetime,
        note: str,
    ) -> None:
        counts = self.recovered.setdefault(consignee, {})
        counts[kind.value] = counts.get(kind.value, 0) + quantity

    def record_exception(self, *, consignee: str, explanation: str, occurred_at: datetime) -> None:
        """Explain why a consignee cannot be resolved (closed down, unreachable …)."""
        self._take_step(
            "record an exception",
            self._record_exception,
            occurred_at,
            consignee=consignee,
            explanation=explanation,
        )

    @event("ExceptionRecorded")
    def _record_exception(self, *, consignee: str, explanation: str, occurred_at: datetime) -> None:
        self.exceptions[consignee] = explanation

    # End and close-out -----------------------------------------------------------------------

    def end(self, *, occurred_at: datetime, calendar: WorkingCalendar) -> None:
        """End the recall's actions; the close-out report is due within the rules' days."""
        self._require_status("end it", RecallStatus.OPEN)
        at = parse_time("occurred_at", occurred_at)
        due = close_out_deadline(self.jurisdiction, at, calendar)
        self._record_end(occurred_at=at, close_out_by=due)

    @event("RecallEnded")
    def _record_end(self, *, occurred_at: datetime, close_out_by: date) -> None:
        self.status = RecallStatus.ENDED
        self.ended_at = occurred_at
        self.close_out_by = close_out_by

    def close(self, *, outstanding: Mapping[str, int], summary: str, occurred_at: datetime) -> None:
        """Close the recall out.

        Args:
            outstanding: every consignee of the impact list with the recalled units still
                believed on hand or in transit to it (0 when none).
        """
        self._require_status("close it (end it first)", RecallStatus.ENDED)
        unresolved = sorted(
            party
            for party, units in outstanding.items()
            if party not in self.exceptions and (units > 0 or party not in self.acknowledged)
        )
        if unresolved:
            raise RecallNotResolved(self.number, unresolved)
        self._record_close(
            summary=parse_text("summary", summary),
            consignees=len(outstanding),
            exceptions=len([p for p in outstanding if p in self.exceptions]),
            occurred_at=parse_time("occurred_at", occurred_at),
        )

    @event("RecallClosed")
    def _record_close(
        self, *, summary: str, consignees: int, exceptions: int, occurred_at: datetime
    ) -> None:
        self.status = RecallStatus.CLOSED
        self.closed_at = occurred_at

    def _take_step(
        self, step: str, record: Callable[..., None], occurred_at: datetime, **texts: str
    ) -> None:
        """Record a step of a recall not closed yet with ``record``: each of ``texts`` must
        say something, and ``occurred_at`` be timezone-aware."""
        self._require_not_closed(step)
        record(
            **{name: parse_text(name, text) for name, text in texts.items()},
            occurred_at=parse_time("occurred_at", occurred_at),
        )

    def _require_not_closed(self, step: str) -> None:
        self._require_status(step, RecallStatus.OPEN, RecallStatus.ENDED)

    def _require_status(self, step: str, *allowed: RecallStatus) -> None:
        if self.status not in allowed:
            raise RecallNotOpen(self.number, self.status.value, step)

    def _date_based(self) -> bool:
        return self.selection.get("produced_between") is not None


stored_under(Recall, "ledger.domain.recall")  # its module in 0.1.0

stored_under(RecallInitiated, "ledger.domain.recall")  # its module in 0.1.0
