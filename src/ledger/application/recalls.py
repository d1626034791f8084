"""Recall use cases: initiate (holding the recalled lots), notify, recover, end and close."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision, arguments_of
from ledger.application.lots import MOVEMENT_RETRIES
from ledger.application.part import LedgerPart
from ledger.domain.errors import AlreadyRegistered, InvalidValue
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot_ref import NamedLot
from ledger.domain.recall.aggregate import Recall, RecoveryKind, recall_id
from ledger.domain.recall.errors import UnknownRecall
from ledger.domain.recall.rules import Jurisdiction, LotSelection, RecallLevel, WorkingCalendar
from ledger.domain.values import Gtin, lot_label, parse_lot_number, parse_text

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger


class Recalls(LedgerPart):
    """Use cases of recalls.

    ``calendar`` sets the working days that recall deadlines count (holidays configured in
    the settings); the deadlines computed are stored in the events.
    """

    def __init__(self, ledger: Ledger, calendar: WorkingCalendar) -> None:
        super().__init__(ledger)
        self.calendar = calendar

    def initiate_recall(
        self,
        *,
        number: str,
        level: RecallLevel,
        reason: str,
        jurisdiction: Jurisdiction,
        gtins: Sequence[str],
        initiator: str,
        occurred_at: datetime,
        lot_numbers: Sequence[str] = (),
        lot_range: tuple[str, str] | None = None,
        produced_between: tuple[date, date] | None = None,
        also_hold: Sequence[tuple[str, str]] = (),
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Open a recall and put every recalled unit in the ledger's own warehouses on hold.

        Named lots are held directly. For a lot-number or production-date range the caller
        lists the lots it knows in ``also_hold`` (from the stock read model); each must be
        covered by the range. Lots received later under a range are listed by the impact
        list; a lot on hold takes arriving units into hold.
        """
        arguments = arguments_of(locals())

        def decide() -> Decision:
            selection = LotSelection(
                gtins=tuple(Gtin.parse(g).value for g in gtins),
                lot_numbers=tuple(parse_lot_number(n) for n in lot_numbers),
                lot_range=lot_range,
                produced_between=produced_between,
            )
            for gtin in selection.gtins:
                self._ledger.product(Gtin(gtin))
            self._ledger.party(initiator)
            if self._find_recall(number) is not None:
                raise AlreadyRegistered("recall", number)
            recall = Recall.initiate(
                number=number, level=level, reason=reason, jurisdiction=jurisdiction,
                selection=selection, initiator=initiator, initiated_at=occurred_at,
                calendar=self.calendar,
            )  # fmt: skip
            lots = self._lots_to_hold(selection, also_hold)
            held = {}
            for lot in lots:
                if recall.number not in lot.holds:
                    lot.hold(hold=recall.number, reason=f"recall {recall.number}: {reason}",
                             occurred_at=occurred_at)  # fmt: skip
                held[lot_label(lot.gtin, lot.lot_number)] = lot.stock.total()
            outcome = {**_recall_outcome(recall), "held_lots": held}
            return [recall, *lots], outcome

        return self._ledger.execute(
            "initiate_recall", arguments, caller, decide, retries=MOVEMENT_RETRIES
        )

    def report_recall_to_regulator(
        self, *, number: str, reference: str, occurred_at: datetime, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Record that the regulator received the recall report."""
        return self._on_recall(
            "report_recall_to_regulator", arguments_of(locals()), caller, Recall.report_to_regulator
        )

    def submit_recall_plan(
        self, *, number: str, summary: str, occurred_at: datetime, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Record the recall plan's submission to the regulator."""
        return self._on_recall(
            "submit_recall_plan", arguments_of(locals()), caller, Recall.submit_plan
        )

    def send_recall_notice(
        self,
        *,
        number: str,
        consignee: str,
        channel: str,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record the notice sent to a consignee (a registered party)."""
        return self._on_recall(
            "send_recall_notice",
            arguments_of(locals()),
            caller,
            Recall.send_notice,
            parties=("consignee",),
        )

    def acknowledge_recall_notice(
        self,
        *,
        number: str,
        consignee: str,
        acknowledged_by: str,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record the consignee's acknowledgement of the notice."""
        return self._on_recall(
            "acknowledge_recall_notice", arguments_of(locals()), caller, Recall.acknowledge
        )

    def record_recall_recovery(
        self,
        *,
        number: str,
        consignee: str,
        gtin: str,
        lot_number: str,
        kind: RecoveryKind,
        quantity: int,
        occurred_at: datetime,
        location: str | None = None,
        note: str = "",
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record units returned, corrected, destroyed or confirmed used at a consignee.

        A return also receives the units into ``location`` (quarantine) and a confirmed use
        is reported on the lot, in the same save: the lot's stock and the recall agree.
        """
        arguments = arguments_of(locals())

        def decide() -> Decision:
            recall = self._load_recall(number)
            self._ledger.party(consignee)
            named = NamedLot(Gtin.parse(gtin), parse_lot_number(lot_number))
            lot = self._ledger.lots.load(named)
            if not recall.lots.covers(lot.gtin, lot.lot_number, lot.manufactured_on):
                raise InvalidValue("lot_number", f"{lot.label} is not in recall {recall.number}")
            changed: list[Any] = [recall]
            if kind is RecoveryKind.RETURNED:
                if location is None:
                    raise InvalidValue("location", "a return needs the location it comes into")
                back = f"recall {recall.number}"
                lot.receive_return(consignee=consignee, location=location, quantity=quantity,
                                   reason=back, occurred_at=occurred_at)  # fmt: skip
                changed.append(lot)
            elif kind is RecoveryKind.USED:
                lot.report_use(consignee=consignee, quantity=quantity, occurred_at=occurred_at)
                changed.append(lot)
            elif quantity > (held := lot.consignees.get(consignee, 0)):
                raise InvalidValue(
                    "quantity", f"{consignee} is believed to hold {held} units of {lot.label},"
                    f" fewer than {quantity}",
                )  # fmt: skip
            recall.record_recovery(consignee=consignee, gtin=lot.gtin, lot_number=lot.lot_number,
                                   kind=kind, quantity=quantity, occurred_at=occurred_at,
                                   note=note)  # fmt: skip
            return changed, _recall_outcome(recall)

        return self._ledger.execute(
            "record_recall_recovery", arguments, caller, decide, retries=MOVEMENT_RETRIES
        )

    def record_recall_exception(
        self,
        *,
        number: str,
        consignee: str,
        explanation: str,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Explain why a consignee cannot be resolved; close-out accepts it as such."""
        return self._on_recall(
            "record_recall_exception", arguments_of(locals()), caller, Recall.record_exception
        )

    def end_recall(
        self, *, number: str, occurred_at: datetime, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """End the recall's actions; the close-out report falls due."""
        return self._on_recall(
            "end_recall", arguments_of(locals()), caller, Recall.end, calendar=self.calendar
        )

    def close_recall(
        self,
        *,
        number: str,
        summary: str,
        occurred_at: datetime,
        outstanding: Mapping[str, int],
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Close the recall out; ``outstanding`` is every consignee of the impact list with
        the units still believed on hand or in transit to it (read from the impact list)."""
        return self._on_recall("close_recall", arguments_of(locals()), caller, Recall.close)

    # Loading -------------------------------------------------------------------------------

    def _on_recall(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        step: Callable[..., None],
        *,
        parties: Sequence[str] = (),
        **context: Any,
    ) -> CommandOutcome:
        """Take ``step`` on the recall numbered in ``arguments``, with its other arguments
        (and what else the step needs from the ledger, ``context``), and save it.

        Args:
            parties: arguments naming parties that must be registered.
        """
        given = {key: value for key, value in arguments.items() if key != "number"}

        def decide() -> Decision:
            recall = self._load_recall(arguments["number"])
            for role in parties:
                self._ledger.party(given[role])
            step(recall, **given, **context)
            return [recall], _recall_outcome(recall)

        return self._ledger.execute(command, arguments, caller, decide, retries=MOVEMENT_RETRIES)

    def _find_recall(self, number: str) -> Recall | None:
        return self._ledger.find(recall_id(parse_text("number", number)), Recall)

    def _load_recall(self, number: str) -> Recall:
        found = recall_id(parse_text("number", number))
        return self._ledger.load(found, Recall, lambda: UnknownRecall(number))

    def _lots_to_hold(
        self, selection: LotSelection, also_hold: Sequence[tuple[str, str]]
    ) -> list[Lot]:
        named = {(gtin, n) for gtin in selection.gtins for n in selection.lot_numbers}
        for gtin, number in also_hold:
            key = (Gtin.parse(gtin).value, parse_lot_number(number))
            named.add(key)
        lots = []
        for gtin, number in sorted(named):
            lot = self._ledger.lots.find(NamedLot(Gtin(gtin), number))
            if lot is None:
                continue  # not received here: nothing of it to hold
            if not selection.covers(lot.gtin, lot.lot_number, lot.manufactured_on):
                raise InvalidValue("also_hold", f"{lot.label} is not covered by the recall")
            lots.append(lot)
        return lots


def _recall_outcome(recall: Recall) -> dict[str, Any]:
    return {
        "recall_id": str(recall.id),
        "number": recall.number,
        "level": recall.level.value,
        "status": recall.status.value,
        "notify_by": recall.notify_by.isoformat(),
        "report_by": recall.report_by.isoformat(),
        "plan_by": recall.plan_by.isoformat() if recall.plan_by else None,
        "close_out_by": recall.close_out_by.isoformat() if recall.close_out_by else None,
    }
