"""Queries of the recalls read model: recalls, their steps and tasks, and the impact list.

The impact list is a query: the recall's lots (by its selection) joined with the lot-trace
counters, the stock movements and the catalogue, then shaped by
``ledger.integrity.evidence.impact_fold.assemble`` (the same function an evidence bundle's
verifier runs over the bundle's events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor

from ledger.domain.recall.errors import UnknownRecall
from ledger.integrity.evidence.impact_fold import CONSIGNEE_COUNTERS, LOT_COUNTERS, assemble, iso

# Queries -------------------------------------------------------------------------------------

_RECALL_COLUMNS = (
    "recall_id", "number", "level", "reason", "jurisdiction", "gtins", "lot_numbers",
    "lot_from", "lot_to", "produced_from", "produced_to", "initiator", "initiated_at",
    "notify_by", "report_by", "plan_by", "reported_at", "plan_submitted_at", "ended_at",
    "close_out_by", "closed_at", "status",
)  # fmt: skip
# The recall's lots: its products, then named lots, a lot-number range or production dates.
_LOTS = (
    " FROM recall_recalls r, stock_lots l WHERE l.gtin = ANY(r.gtins) AND ("
    " (cardinality(r.lot_numbers) > 0 AND l.lot_number = ANY(r.lot_numbers))"
    " OR (r.lot_from IS NOT NULL AND l.lot_number BETWEEN r.lot_from AND r.lot_to)"
    " OR (r.produced_from IS NOT NULL AND l.manufactured_on BETWEEN r.produced_from"
    " AND r.produced_to))"
)


def _recall_row(cursor: Cursor[Any], recall: str) -> dict[str, Any]:
    """The recall's row by id or number."""
    columns = ", ".join(_RECALL_COLUMNS)
    try:
        key: Any = UUID(recall)
        where = "recall_id = %s"
    except ValueError:
        key, where = recall, "number = %s"
    row = cursor.execute(
        f"SELECT {columns} FROM recall_recalls WHERE {where}".encode(), (key,)
    ).fetchone()
    if row is None:
        raise UnknownRecall(recall)
    return dict(zip(_RECALL_COLUMNS, row, strict=True))


def selection_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The recall's lot selection, as its initiation event states it."""
    return {
        "gtins": list(row["gtins"]),
        "lot_numbers": list(row["lot_numbers"]),
        "lot_range": [row["lot_from"], row["lot_to"]] if row["lot_from"] is not None else None,
        "produced_between": (
            [row["produced_from"].isoformat(), row["produced_to"].isoformat()]
            if row["produced_from"] is not None
            else None
        ),
    }


def list_recalls(cursor: Cursor[Any]) -> list[dict[str, Any]]:
    """Every recall, newest first, with its status and deadlines."""
    rows = cursor.execute(
        "SELECT recall_id, number, level, reason, jurisdiction, status, initiated_at,"
        " notify_by, ended_at, closed_at FROM recall_recalls ORDER BY initiated_at DESC, number"
    ).fetchall()
    names = ("recall_id", "number", "level", "reason", "jurisdiction", "status",
             "initiated_at", "notify_by", "ended_at", "closed_at")  # fmt: skip
    return [_json(dict(zip(names, row, strict=True))) for row in rows]


def recall_summary(cursor: Cursor[Any], recall: str) -> dict[str, Any]:
    """The recall's facts, deadlines and steps (notices, recovery …) for reports."""
    row = _recall_row(cursor, recall)
    steps = cursor.execute(
        "SELECT position, step, occurred_at, consignee, gtin, lot_number, kind, quantity, detail"
        " FROM recall_steps WHERE recall_id = %s ORDER BY position",
        (row["recall_id"],),
    ).fetchall()
    names = ("position", "step", "occurred_at", "consignee", "gtin", "lot_number", "kind",
             "quantity", "detail")  # fmt: skip
    summary = _json({k: v for k, v in row.items() if k not in _SELECTION_COLUMNS})
    summary["id"] = str(row["recall_id"])
    summary["selection"] = selection_of(row)
    summary["steps"] = [_json(dict(zip(names, step, strict=True))) for step in steps]
    return summary


_SELECTION_COLUMNS = frozenset(
    {"gtins", "lot_numbers", "lot_from", "lot_to", "produced_from", "produced_to"}
)


def recall_lots(cursor: Cursor[Any], recall: str) -> list[tuple[UUID, str, str]]:
    """The lots the recall covers that the ledger has received: (lot id, GTIN, lot number)."""
    row = _recall_row(cursor, recall)
    found = cursor.execute(
        (
            "SELECT l.lot_id, l.gtin, l.lot_number" + _LOTS + " AND r.recall_id = %s"
            " ORDER BY l.gtin, l.lot_number"
        ).encode(),
        (row["recall_id"],),
    ).fetchall()
    return [(lot, gtin, number) for lot, gtin, number in found]


def impact_list(cursor: Cursor[Any], recall: str) -> dict[str, Any]:
    """Every consignee that received the recalled lots, directly or through a distributor's
    reported sales, with units shipped, returned, used, destroyed, on hand and in transit;
    per lot, where the units received are now; notice status and effectiveness."""
    summary = recall_summary(cursor, recall)
    lots_found = recall_lots(cursor, recall)
    ids = [lot for lot, _g, _n in lots_found]
    key_of = {lot: (gtin, number) for lot, gtin, number in lots_found}
    lots: dict[tuple[str, str], dict[str, Any]] = {}
    for lot, expiry in cursor.execute(
        "SELECT lot_id, expiry FROM stock_lots WHERE lot_id = ANY(%s)", (ids,)
    ):
        lots[key_of[lot]] = {
            "expiry": expiry.isoformat() if expiry else None,
            **dict.fromkeys(LOT_COUNTERS, 0),
        }
    for lot, *sums in cursor.execute(_LOT_SUMS, (ids,)):
        lots[key_of[lot]].update(zip(LOT_COUNTERS, (int(s) for s in sums), strict=True))
    consignees: dict[tuple[str, str, str], dict[str, Any]] = {}
    counters = ", ".join(CONSIGNEE_COUNTERS)
    for lot, party, *values in cursor.execute(
        f"SELECT lot_id, consignee, {counters} FROM lot_consignees WHERE lot_id = ANY(%s)".encode(),
        (ids,),
    ):
        consignees[(party, *key_of[lot])] = dict(zip(CONSIGNEE_COUNTERS, values, strict=True))
    shipments: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for lot, party, shipment, quantity, dispatched, delivered in cursor.execute(_SHIPMENTS, (ids,)):
        shipments.setdefault((party, *key_of[lot]), []).append(
            {"shipment": shipment, "quantity": quantity, "dispatched_at": iso(dispatched),
             "delivered_at": iso(delivered)}
        )  # fmt: skip
    bought_from: dict[tuple[str, str, str], dict[str, int]] = {}
    for lot, seller, buyer, quantity in cursor.execute(
        "SELECT lot_id, from_party, to_party, quantity FROM lot_flows"
        " WHERE lot_id = ANY(%s) AND from_party <> ''",
        (ids,),
    ):
        bought_from.setdefault((buyer, *key_of[lot]), {})[seller] = quantity
    codes = sorted({party for party, _g, _n in consignees})
    parties = {
        code: {"name": name, "contact": contact}
        for code, name, contact in cursor.execute(
            "SELECT code, name, recall_contact FROM catalogue_parties WHERE code = ANY(%s)",
            (codes,),
        )
    }
    return assemble(summary, lots, consignees, shipments, bought_from, parties, summary["steps"])


_LOT_SUMS = (
    "SELECT lot_id,"
    " coalesce(sum(delta) FILTER (WHERE movement = 'LotReceived'), 0),"
    " coalesce(sum(delta) FILTER (WHERE movement = 'StockAdjusted'), 0),"
    " -coalesce(sum(delta) FILTER (WHERE movement = 'TransferDiscrepancyRecorded'), 0),"
    " -coalesce(sum(delta) FILTER (WHERE movement = 'StockScrapped'), 0),"
    " coalesce(sum(delta) FILTER (WHERE movement = 'ReturnReceived'), 0),"
    " coalesce(sum(delta) FILTER (WHERE movement = 'ShipmentDispatched'"
    "   AND status = 'in_transit'), 0),"
    " -coalesce(sum(delta) FILTER (WHERE movement = 'ShipmentDelivered'), 0),"
    " coalesce(sum(delta) FILTER (WHERE movement = 'TransferDispatched'"
    "   AND status = 'in_transit'), 0),"
    " -coalesce(sum(delta) FILTER (WHERE movement = 'TransferReceived'"
    "   AND status = 'in_transit'), 0)"
    " FROM stock_movements WHERE lot_id = ANY(%s) GROUP BY lot_id"
)
_SHIPMENTS = (
    "SELECT lot_id, min(party), reference,"
    " sum(quantity) FILTER (WHERE movement = 'ShipmentDispatched')::bigint,"
    " min(occurred_at) FILTER (WHERE movement = 'ShipmentDispatched'),"
    " min(occurred_at) FILTER (WHERE movement = 'ShipmentDelivered')"
    " FROM lot_trace_entries WHERE lot_id = ANY(%s)"
    " AND movement IN ('ShipmentDispatched', 'ShipmentDelivered')"
    " GROUP BY lot_id, reference"
)


def impact_positions(cursor: Cursor[Any], recall: str) -> list[int]:
    """Positions of every event the impact list rests on: the recall's, its lots' and the
    registrations of the parties named in it, ascending."""
    row = _recall_row(cursor, recall)
    ids = [lot for lot, _g, _n in recall_lots(cursor, recall)]
    found = cursor.execute(
        "SELECT position FROM recall_recalls WHERE recall_id = %(r)s"
        " UNION SELECT position FROM recall_steps WHERE recall_id = %(r)s"
        " UNION SELECT position FROM lot_trace_entries WHERE lot_id = ANY(%(lots)s)"
        " UNION SELECT p.position FROM catalogue_parties p WHERE p.code IN"
        "  (SELECT consignee FROM lot_consignees WHERE lot_id = ANY(%(lots)s))"
        " ORDER BY 1",
        {"r": row["recall_id"], "lots": ids},
    ).fetchall()
    return [int(position) for (position,) in found]


def outstanding_units(cursor: Cursor[Any], recall: str) -> dict[str, int]:
    """Per consignee of the impact list, the recalled units still believed on hand (less
    those corrected) or in transit to it: what close-out checks."""
    totals: dict[str, int] = {}
    for person in impact_list(cursor, recall)["consignees"]:
        party = person["party"]
        totals[party] = totals.get(party, 0) + person["outstanding"]
    return totals


def lots_matching(
    cursor: Cursor[Any],
    *,
    gtins: Sequence[str],
    lot_range: tuple[str, str] | None,
    produced_between: tuple[date, date] | None,
) -> list[tuple[str, str]]:
    """Lots received so far that a lot-number or production-date range covers."""
    rows = cursor.execute(
        "SELECT gtin, lot_number FROM stock_lots WHERE gtin = ANY(%(g)s) AND ("
        " (%(lf)s::text IS NOT NULL AND lot_number BETWEEN %(lf)s AND %(lt)s)"
        " OR (%(pf)s::date IS NOT NULL AND manufactured_on BETWEEN %(pf)s AND %(pt)s))"
        " ORDER BY gtin, lot_number",
        {
            "g": list(gtins),
            "lf": lot_range[0] if lot_range else None,
            "lt": lot_range[1] if lot_range else None,
            "pf": produced_between[0] if produced_between else None,
            "pt": produced_between[1] if produced_between else None,
        },
    ).fetchall()
    return [(gtin, number) for gtin, number in rows]


def _json(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            out[key] = iso(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, UUID):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def recall_tasks(cursor: Cursor[Any], recall: str, *, on: date) -> list[dict[str, Any]]:
    """What the recall's rules ask for and by when, as of day ``on``: the regulator's report,
    the plan, one notice and one acknowledgement per consignee, the close-out report; each
    ``done``, ``pending`` or ``overdue``."""
    summary = recall_summary(cursor, recall)
    people = sorted({c["party"] for c in impact_list(cursor, recall)["consignees"]})
    steps = summary["steps"]
    noticed = {s["consignee"]: s["occurred_at"] for s in steps if s["step"] == "NoticeSent"}
    acknowledged = {
        s["consignee"]: s["occurred_at"] for s in steps if s["step"] == "NoticeAcknowledged"
    }
    tasks = [
        _task("report to the regulator", None, summary["report_by"], summary["reported_at"], on),
        _task("submit the recall plan", None, summary["plan_by"], summary["plan_submitted_at"], on),
    ]
    for party in people:
        tasks.append(_task("send the notice", party, summary["notify_by"], noticed.get(party), on))
        tasks.append(_task("obtain the acknowledgement", party, None, acknowledged.get(party), on))
    if summary["ended_at"]:
        tasks.append(_task("close-out report", None, summary["close_out_by"],
                           summary["closed_at"], on))  # fmt: skip
    return [task for task in tasks if task["due"] is not None or task["consignee"] is not None]


def _task(
    task: str, consignee: str | None, due: str | None, done_at: str | None, on: date
) -> dict[str, Any]:
    if done_at is not None:
        status = "done"
    elif due is not None and date.fromisoformat(due) < on:
        status = "overdue"
    else:
        status = "pending"
    return {"task": task, "consignee": consignee, "due": due, "done_at": done_at,
            "status": status}  # fmt: skip
