"""The recalls read model: one row per recall and one row per step taken under it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from psycopg import Cursor

from ledger.domain.recall.aggregate import Recall, RecallInitiated, RecallStatus
from projections.model import (
    PositionedEvent,
    ReadModel,
    copy_rows,
    event_topics,
    insert_rows,
    update_rows,
)

STEPS = (
    "ReportedToRegulator", "PlanSubmitted", "NoticeSent", "NoticeAcknowledged",
    "RecoveryRecorded", "ExceptionRecorded", "RecallEnded", "RecallClosed",
)  # fmt: skip
_INITIATION_COLUMNS = (
    "recall_id", "number", "level", "reason", "jurisdiction", "gtins", "lot_numbers",
    "lot_from", "lot_to", "produced_from", "produced_to", "initiator", "initiated_at",
    "notify_by", "report_by", "plan_by", "status", "position",
)  # fmt: skip
_STEP_COLUMNS = (
    "position", "recall_id", "step", "occurred_at", "recorded_at", "consignee", "gtin",
    "lot_number", "kind", "quantity", "detail",
)  # fmt: skip
_STEP_TYPES = (
    "int8", "uuid", "text", "timestamptz", "timestamptz", "text", "text", "text", "text",
    "int8", "text",
)  # fmt: skip
# Columns a step sets on the recall's own row.
_SETS: dict[str, tuple[str, ...]] = {
    "ReportedToRegulator": ("reported_at",),
    "PlanSubmitted": ("plan_submitted_at",),
    "RecallEnded": ("ended_at", "close_out_by", "status"),
    "RecallClosed": ("closed_at", "status"),
}
_UPDATES = {
    step: "UPDATE {} SET " + ", ".join(f"{c} = %s" for c in columns) + " WHERE recall_id = %s"
    for step, columns in _SETS.items()
}


@dataclass
class RecallChanges:
    """New recalls, their steps, and the row updates the steps make, in order."""

    recalls: list[tuple[Any, ...]] = field(default_factory=list)
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)


class Recalls(ReadModel[RecallChanges]):
    """Each recall, and every step taken under it."""

    name: ClassVar[str] = "recalls"
    tables: ClassVar[tuple[str, ...]] = ("recall_recalls", "recall_steps")
    append_only: ClassVar[frozenset[str]] = frozenset({"recall_steps"})
    topics: ClassVar[frozenset[str]] = event_topics(
        Recall, RecallInitiated, *(getattr(Recall, step) for step in STEPS)
    )

    def fold(self, events: Sequence[PositionedEvent]) -> RecallChanges:
        """Rows for initiations, steps and the recall columns they set."""
        changes = RecallChanges()
        for item in events:
            e = item.event
            if isinstance(e, RecallInitiated):
                s = e.selection
                lot_range = s.get("lot_range") or (None, None)
                produced = s.get("produced_between") or (None, None)
                changes.recalls.append(
                    (e.originator_id, e.number, e.level.value, e.reason, e.jurisdiction.value,
                     s["gtins"], s.get("lot_numbers") or [], lot_range[0], lot_range[1],
                     produced[0], produced[1], e.initiator, e.initiated_at, e.notify_by,
                     e.report_by, e.plan_by, RecallStatus.OPEN.value, item.position)
                )  # fmt: skip
                continue
            step = type(e).__name__
            kind = getattr(e, "kind", None)
            detail = next(
                (getattr(e, f) for f in ("reference", "summary", "channel", "explanation",
                                          "acknowledged_by", "note") if getattr(e, f, None)),
                None,
            )  # fmt: skip
            changes.steps.append(
                (item.position, e.originator_id, step, e.occurred_at, item.recorded_at,
                 getattr(e, "consignee", None), getattr(e, "gtin", None),
                 getattr(e, "lot_number", None), kind.value if kind else None,
                 getattr(e, "quantity", None), detail)
            )  # fmt: skip
            if step in _SETS:
                values = {
                    "reported_at": e.occurred_at,
                    "plan_submitted_at": e.occurred_at,
                    "ended_at": e.occurred_at,
                    "closed_at": e.occurred_at,
                    "close_out_by": getattr(e, "close_out_by", None),
                    "status": (
                        RecallStatus.ENDED if step == "RecallEnded" else RecallStatus.CLOSED
                    ).value,
                }
                columns = _SETS[step]
                changes.updates.append((step, (*(values[c] for c in columns), e.originator_id)))
        return changes

    def write(self, cursor: Cursor[Any], changes: RecallChanges, tables: Mapping[str, str]) -> None:
        """Insert recalls and steps; apply the steps' updates in order."""
        recalls = tables["recall_recalls"]
        insert_rows(cursor, recalls, columns=_INITIATION_COLUMNS, rows=changes.recalls)
        copy_rows(
            cursor,
            tables["recall_steps"],
            columns=_STEP_COLUMNS,
            rows=changes.steps,
            types=_STEP_TYPES,
        )
        for step, values in changes.updates:
            update_rows(cursor, recalls, statement=_UPDATES[step], rows=[values])
