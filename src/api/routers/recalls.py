"""``/v1/recalls``: initiate a recall (its lots go on hold), record notices, acknowledgements,
recovery and exceptions, end and close it; read its impact list and its due tasks.

Operators write; operators, auditors and regulators read. Writes need an
``Idempotency-Key``; reads accept ``min_position`` (read-your-writes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from api.deps import (
    READ_WAIT_SECONDS,
    RETRY_AFTER_SECONDS,
    LedgerDep,
    OperatorKey,
    ProjectionsDep,
    ReadsDep,
    WriteCaller,
    allow,
    caught_up,
)
from api.keys import ApiKey, Role
from api.problems import ReadModelBehind, ResourceNotFound
from api.routers.common import READ_PROBLEMS, WRITE_RESPONSES, CommandBody, answer, command
from ledger.domain.recall.aggregate import RecoveryKind
from ledger.domain.recall.errors import UnknownRecall
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from projections.lot_trace import LotTrace
from projections.recall_impact import (
    Recalls,
    impact_list,
    list_recalls,
    lots_matching,
    outstanding_units,
    recall_summary,
    recall_tasks,
)
from projections.stock import Stock

router = APIRouter(prefix="/v1/recalls", tags=["recalls"])
Code = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
LotNumber = Annotated[str, Field(min_length=1, max_length=20)]
RecallPath = Annotated[str, Path(max_length=64, description="The recall's number or id.")]
RecallReaderKey = Annotated[ApiKey, Depends(allow(Role.OPERATOR, Role.AUDITOR, Role.REGULATOR))]
"""Who may read recalls: the operator, auditors and regulators."""
_CaughtUp = Annotated[int | None, Depends(caught_up(Recalls.name, LotTrace.name, Stock.name))]


class RecallRecorded(BaseModel):
    """A recall step's answer: the recall's number, status and deadlines, and positions."""

    model_config = ConfigDict(extra="allow")

    positions: list[int] = Field(description="Positions of the events recorded.")


_RECORDED: dict[str, Any] = {
    "status_code": 201,
    "response_model": RecallRecorded,
    "responses": WRITE_RESPONSES,
}


class Step(CommandBody):
    """What every recall step states: when it happened."""

    model_config = ConfigDict(extra="forbid")

    occurred_at: AwareDatetime = Field(description="When it happened (timezone-aware).")


class InitiateRecall(Step):
    """A recall of lots of one or more products: name the lots, or give one lot-number or
    production-date range (which also covers lots received later)."""

    number: Code = Field(description="The recall's number, e.g. RC-2026-001.")
    level: RecallLevel
    reason: Text
    jurisdiction: Jurisdiction = Jurisdiction.CN
    gtins: list[Annotated[str, Field(max_length=20)]] = Field(min_length=1, max_length=100)
    lots: list[LotNumber] = Field(default=[], max_length=10000)
    lot_range: tuple[LotNumber, LotNumber] | None = None
    produced_between: tuple[date, date] | None = None
    initiator: Code = Field(description="The party initiating it (usually the manufacturer).")


class Notice(Step):
    """A notice sent to a consignee."""

    consignee: Code
    channel: Code = Field(description="How it went: email, letter, phone …")


class Acknowledgement(Step):
    """A consignee's acknowledgement of the notice."""

    consignee: Code
    acknowledged_by: Code = Field(description="Who acknowledged, at the consignee.")


class Recovery(Step):
    """Recalled units returned, corrected on site, destroyed or confirmed used."""

    consignee: Code
    gtin: Annotated[str, Field(max_length=20)]
    lot: LotNumber
    kind: RecoveryKind
    quantity: StrictInt
    location: Code | None = Field(default=None, description="Where returned units come in.")
    note: str = Field(default="", max_length=500)

    def arguments(self) -> dict[str, Any]:
        """The use case names the lot number ``lot_number``."""
        arguments = super().arguments()
        arguments["lot_number"] = arguments.pop("lot")
        return arguments


class ConsigneeException(Step):
    """Why a consignee cannot be resolved."""

    consignee: Code
    explanation: Text


class Report(Step):
    """The regulator's receipt of the recall report."""

    reference: Code


class Plan(Step):
    """The recall plan as submitted."""

    summary: Text


@router.post("", **_RECORDED)
def initiate(
    body: InitiateRecall,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    reads: ReadsDep,
    response: Response,
) -> dict[str, Any]:
    """Initiate a recall: every recalled unit in the ledger's warehouses goes on hold."""
    also_hold: list[tuple[str, str]] = []
    if body.lot_range is not None or body.produced_between is not None:
        with reads.connection() as conn, conn.cursor() as cursor:
            also_hold = lots_matching(cursor, gtins=body.gtins, lot_range=body.lot_range,
                                      produced_between=body.produced_between)  # fmt: skip
    result = ledger.recalls.initiate_recall(
        number=body.number, level=body.level, reason=body.reason,
        jurisdiction=body.jurisdiction, gtins=body.gtins, lot_numbers=body.lots,
        lot_range=body.lot_range, produced_between=body.produced_between,
        initiator=body.initiator, occurred_at=body.occurred_at, also_hold=also_hold,
        caller=caller,
    )  # fmt: skip
    return answer(result, response, location=f"/v1/recalls/{body.number}")


_RECALL = {"recall": (RecallPath, "number")}
for path, endpoint in (
    ("/{recall}/regulator-reports", command("recalls.report_recall_to_regulator", Report,
        key=OperatorKey, path=_RECALL, name="report",
        doc="Record the regulator's receipt of the recall report.")),
    ("/{recall}/plan", command("recalls.submit_recall_plan", Plan, key=OperatorKey,
        path=_RECALL, name="plan", doc="Record the recall plan's submission.")),
    ("/{recall}/notices", command("recalls.send_recall_notice", Notice, key=OperatorKey,
        path=_RECALL, name="notice", doc="Record the notice sent to a consignee.")),
    ("/{recall}/acknowledgements", command("recalls.acknowledge_recall_notice",
        Acknowledgement, key=OperatorKey, path=_RECALL, name="acknowledgement",
        doc="Record a consignee's acknowledgement of the notice.")),
    ("/{recall}/recoveries", command("recalls.record_recall_recovery", Recovery,
        key=OperatorKey, path=_RECALL, name="recovery", doc=
        "Record recalled units returned (into a location), corrected, destroyed or used.")),
    ("/{recall}/exceptions", command("recalls.record_recall_exception", ConsigneeException,
        key=OperatorKey, path=_RECALL, name="exception",
        doc="Explain why a consignee cannot be resolved.")),
    ("/{recall}/end", command("recalls.end_recall", Step, key=OperatorKey, path=_RECALL,
        name="end", doc="End the recall's actions; the close-out report falls due.")),
):  # fmt: skip
    router.add_api_route(path, endpoint, methods=["POST"], **_RECORDED)


@router.post("/{recall}/close", **_RECORDED)
def close(
    recall: RecallPath,
    body: Plan,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    reads: ReadsDep,
    projections: ProjectionsDep,
    response: Response,
) -> dict[str, Any]:
    """Close the recall out: every consignee must be resolved or excepted (409 names the
    others). Resolution is read from the impact list, once it has folded every event."""
    with reads.connection() as conn, conn.cursor() as cursor:
        head = cursor.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events")
        position = int(head.fetchone()[0])  # type: ignore[index]
        for model in (Recalls.name, LotTrace.name, Stock.name):
            if not projections.wait_for(model, position, timeout=READ_WAIT_SECONDS):
                raise ReadModelBehind(
                    f"the {model} read model has not reached position {position} yet",
                    retry_after=RETRY_AFTER_SECONDS, read_model=model, min_position=position,
                )  # fmt: skip
        outstanding = _found(outstanding_units, cursor, recall)
    result = ledger.recalls.close_recall(
        number=recall, summary=body.summary, occurred_at=body.occurred_at,
        outstanding=outstanding, caller=caller,
    )  # fmt: skip
    return answer(result, response)


@router.get("", responses=READ_PROBLEMS)
def recalls(key: RecallReaderKey, _caught_up: _CaughtUp, reads: ReadsDep) -> dict[str, Any]:
    """Every recall, newest first."""
    with reads.connection() as conn, conn.cursor() as cursor:
        return {"items": list_recalls(cursor)}


@router.get("/{recall}", responses=READ_PROBLEMS)
def recall_view(
    recall: RecallPath, key: RecallReaderKey, _caught_up: _CaughtUp, reads: ReadsDep
) -> dict[str, Any]:
    """The recall: level, reason, lots, deadlines and every step taken."""
    with reads.connection() as conn, conn.cursor() as cursor:
        summary: dict[str, Any] = _found(recall_summary, cursor, recall)
    return summary


@router.get("/{recall}/impact", responses=READ_PROBLEMS)
def impact(
    recall: RecallPath, key: RecallReaderKey, _caught_up: _CaughtUp, reads: ReadsDep
) -> dict[str, Any]:
    """The impact list: per lot where its units are; per consignee (down to hospitals) units
    shipped, bought, sold on, returned, used, destroyed, on hand and in transit, the
    shipments, and the notice; totals and effectiveness."""
    with reads.connection() as conn, conn.cursor() as cursor:
        listed: dict[str, Any] = _found(impact_list, cursor, recall)
    return listed


@router.get("/{recall}/tasks", responses=READ_PROBLEMS)
def tasks(
    recall: RecallPath,
    key: RecallReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    on: Annotated[date | None, Query(description="As of this day (default: today).")] = None,
) -> dict[str, Any]:
    """What the rules ask for and by when: done, pending or overdue."""
    day = on or datetime.now(UTC).date()
    with reads.connection() as conn, conn.cursor() as cursor:
        found = _found(lambda c, r: recall_tasks(c, r, on=day), cursor, recall)
    overdue = [task for task in found if task["status"] == "overdue"]
    return {"on": day.isoformat(), "items": found, "overdue": len(overdue)}


def _found(query: Any, cursor: Any, recall: str) -> Any:
    try:
        return query(cursor, recall)
    except UnknownRecall:
        raise ResourceNotFound(f"no recall {recall!r}", recall=recall) from None
