"""A recall's impact list, computed from events alone (Python's standard library only).

Two callers share ``assemble``: the impact-list read model (``projections.recall_impact``)
gives it counters summed in SQL, and an evidence bundle's verifier gives it the counters
``impact_from_events`` folds from the bundle's events, so the list a regulator recomputes
is shaped, ordered and rounded exactly as the one the ledger stated.

Per lot the units reconcile: ``received + adjusted - lost = own_on_hand +
transfer_in_transit + shipment_in_transit + at_consignees + consumed + destroyed``.
"""

import datetime as _dt
from typing import Any

Json = dict[str, Any]

LOT_COUNTERS = (
    "received", "adjusted", "lost", "scrapped", "returned", "shipped", "delivered",
    "transfer_out", "transfer_in",
)  # fmt: skip
CONSIGNEE_COUNTERS = ("shipped", "delivered", "bought", "sold_on", "returned", "used")


def iso(value: Any) -> str | None:
    """A time as ISO 8601 in UTC, however it was given (text or a datetime)."""
    if value is None:
        return None
    moment: _dt.datetime = _dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(_dt.UTC).isoformat()


def covers(selection: Json, gtin: str, lot_number: str, manufactured_on: Any) -> bool:
    """True if the recall's selection covers this lot (``manufactured_on`` ISO text or None)."""
    if gtin not in selection["gtins"]:
        return False
    if selection.get("lot_numbers"):
        return bool(lot_number in selection["lot_numbers"])
    if selection.get("lot_range"):
        first, last = selection["lot_range"]
        return bool(first <= lot_number <= last)
    produced = selection.get("produced_between")
    if not produced or manufactured_on is None:
        return False
    return bool(produced[0] <= str(manufactured_on) <= produced[1])


def assemble(
    recall: Json,
    lots: dict[tuple[str, str], Json],
    consignees: dict[tuple[str, str, str], Json],
    shipments: dict[tuple[str, str, str], list[Json]],
    bought_from: dict[tuple[str, str, str], dict[str, int]],
    parties: dict[str, Json],
    steps: list[Json],
) -> Json:
    """The impact list from its counters.

    Args:
        recall: ``number``, ``level``, ``jurisdiction``, ``status``, ``notify_by``.
        lots: ``{(gtin, lot_number): {"expiry": ISO date or None, <LOT_COUNTERS>: int}}``.
        consignees: ``{(party, gtin, lot_number): {<CONSIGNEE_COUNTERS>: int}}``.
        shipments: ``{(party, gtin, lot_number): [{"shipment", "quantity", "dispatched_at",
            "delivered_at"}]}``.
        bought_from: ``{(party, gtin, lot_number): {seller: units}}``.
        parties: ``{code: {"name", "contact"}}``.
        steps: the recall's steps in order: ``{"step", "consignee", "gtin", "lot_number",
            "kind", "quantity", "occurred_at"}``.
    """
    recovered: dict[tuple[str, str, str], dict[str, int]] = {}
    notices: dict[str, Json] = {}
    exceptions: set[str] = set()
    for step in steps:
        party: str = step.get("consignee") or ""
        if step["step"] == "NoticeSent":
            notices[party] = {"status": "sent", "sent_at": iso(step["occurred_at"]),
                              "acknowledged_at": None}  # fmt: skip
        elif step["step"] == "NoticeAcknowledged" and party in notices:
            notices[party] = {**notices[party], "status": "acknowledged",
                              "acknowledged_at": iso(step["occurred_at"])}  # fmt: skip
        elif step["step"] == "RecoveryRecorded":
            counts = recovered.setdefault((party, step["gtin"], step["lot_number"]), {})
            counts[step["kind"]] = counts.get(step["kind"], 0) + int(step["quantity"])
        elif step["step"] == "ExceptionRecorded":
            exceptions.add(party)
    people: list[Json] = []
    at_consignees: dict[tuple[str, str], int] = {}
    destroyed_at: dict[tuple[str, str], int] = {}
    for held in sorted(k for k, c in consignees.items() if c["shipped"] or c["bought"]):
        party, gtin, lot_number = key3 = held
        c = consignees[key3]
        done = recovered.get(key3, {})
        destroyed = done.get("destroyed", 0)
        on_hand = c["delivered"] + c["bought"] - c["sold_on"] - c["returned"] - c["used"]
        on_hand -= destroyed
        in_transit = c["shipped"] - c["delivered"]
        at_consignees[(gtin, lot_number)] = at_consignees.get((gtin, lot_number), 0) + on_hand
        destroyed_at[(gtin, lot_number)] = destroyed_at.get((gtin, lot_number), 0) + destroyed
        known = parties.get(party, {})
        notice = notices.get(party, {"status": "not sent", "sent_at": None,
                                     "acknowledged_at": None})  # fmt: skip
        people.append({
            "party": party, "name": known.get("name"), "contact": known.get("contact"),
            "gtin": gtin, "lot_number": lot_number,
            **{name: c[name] for name in CONSIGNEE_COUNTERS},
            "destroyed": destroyed, "corrected": done.get("corrected", 0),
            "in_transit": in_transit, "on_hand": on_hand,
            "outstanding": max(0, on_hand - done.get("corrected", 0)) + in_transit,
            "shipments": sorted(shipments.get(key3, []), key=lambda s: s["shipment"]),
            "bought_from": dict(sorted(bought_from.get(key3, {}).items())),
            "notice": {**notice, "due": recall["notify_by"]},
            "exception": party in exceptions,
        })  # fmt: skip
    rows: list[Json] = []
    for lot in sorted(lots):
        n = lots[lot]
        lost = n["lost"]
        transfer_in_transit = n["transfer_out"] - n["transfer_in"] - lost
        own = (n["received"] + n["adjusted"] + n["returned"] - n["scrapped"] - n["shipped"]
               - transfer_in_transit - lost)  # fmt: skip
        rows.append({
            "gtin": lot[0], "lot_number": lot[1], "expiry": n["expiry"],
            "received": n["received"], "adjusted": n["adjusted"], "lost": lost,
            "own_on_hand": own, "transfer_in_transit": transfer_in_transit,
            "shipment_in_transit": n["shipped"] - n["delivered"],
            "at_consignees": at_consignees.get(lot, 0),
            "consumed": sum(p["used"] for p in people if (p["gtin"], p["lot_number"]) == lot),
            "destroyed": n["scrapped"] + destroyed_at.get(lot, 0),
            "returned": n["returned"],
        })  # fmt: skip
    parties_reached = sorted({p["party"] for p in people})
    acknowledged = [
        p for p in parties_reached if notices.get(p, {}).get("status") == "acknowledged"
    ]
    units_out = sum(p["shipped"] for p in people)
    accounted = sum(p["returned"] + p["used"] + p["destroyed"] + p["corrected"] for p in people)
    return {
        "recall": {key: recall[key] for key in ("number", "level", "jurisdiction", "status")},
        "lots": rows,
        "consignees": people,
        "totals": {
            "consignees": len(parties_reached),
            "notified": len([p for p in parties_reached if p in notices]),
            "acknowledged": len(acknowledged),
            "exceptions": len([p for p in parties_reached if p in exceptions]),
            "units_out": units_out,
            "units_accounted": accounted,
            "consignees_acknowledged_share": _share(len(acknowledged), len(parties_reached)),
            "units_accounted_share": _share(min(accounted, units_out), units_out),
        },
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _name(topic: str) -> str:
    """An event's class name from its stored topic (``module:Class.Event`` → ``Event``)."""
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def _value(tagged: Any) -> Any:
    """A stored value with its type tag removed (times and dates stay ISO text)."""
    if isinstance(tagged, dict) and "_type_" in tagged and "_data_" in tagged:
        return _value(tagged["_data_"])
    return tagged


def _recall_from_events(recall_id: str, events: list[Json]) -> Json:
    """The recall's facts from its initiation event; its status from its end and close."""
    found: Json | None = None
    status = "open"
    for record in events:
        if str(record["aggregate_id"]) != recall_id:
            continue
        kind = _name(record["type"])
        if kind == "RecallInitiated":
            p = {k: _value(v) for k, v in record["payload"].items()}
            found = {key: p[key] for key in ("number", "level", "jurisdiction", "notify_by",
                                             "selection")}  # fmt: skip
        elif kind == "RecallEnded" and status == "open":
            status = "ended"
        elif kind == "RecallClosed":
            status = "closed"
    if found is None:
        raise ValueError(f"the events do not include the initiation of recall {recall_id}")
    return {**found, "id": recall_id, "status": status}


def impact_from_events(recall: Json, events: list[Json]) -> Json:
    """Fold the impact list from events (audit-export records, any order is sorted).

    Args:
        recall: the recall's record; only its ``id`` is taken from it. Everything else (the
            number, level, jurisdiction, notice deadline and the lots it covers) comes from
            the recall's own ``RecallInitiated`` event, and its status from its steps, so a
            stated record cannot narrow what the events say.
        events: records with ``position``, ``type``, ``aggregate_id`` and ``payload``.

    Raises:
        ValueError: the events do not include the recall's initiation.
    """
    recall = _recall_from_events(recall["id"], events)
    selection = recall["selection"]
    lot_keys: dict[str, tuple[str, str]] = {}
    lots: dict[tuple[str, str], Json] = {}
    consignees: dict[tuple[str, str, str], Json] = {}
    shipments: dict[tuple[str, str, str], list[Json]] = {}
    bought_from: dict[tuple[str, str, str], dict[str, int]] = {}
    parties: dict[str, Json] = {}
    steps: list[Json] = []

    def counters(key: tuple[str, str, str]) -> Json:
        return consignees.setdefault(key, dict.fromkeys(CONSIGNEE_COUNTERS, 0))

    for record in sorted(events, key=lambda r: r["position"]):
        kind = _name(record["type"])
        p = {k: _value(v) for k, v in record["payload"].items()}
        if kind == "PartyRegistered":
            parties[p["code"]] = {"name": p["name"], "contact": p["recall_contact"]}
            continue
        if record["type"].startswith("ledger.domain.recall:"):
            if str(record["aggregate_id"]) == recall["id"] and kind != "RecallInitiated":
                steps.append({"step": kind, "consignee": p.get("consignee"),
                              "gtin": p.get("gtin"), "lot_number": p.get("lot_number"),
                              "kind": p.get("kind"), "quantity": p.get("quantity"),
                              "occurred_at": p.get("occurred_at")})  # fmt: skip
            continue
        if kind == "LotOpened":
            if covers(selection, p["gtin"], p["lot_number"], p.get("manufactured_on")):
                key = (p["gtin"], p["lot_number"])
                lot_keys[str(record["aggregate_id"])] = key
                lots[key] = {"expiry": p.get("expiry"), **dict.fromkeys(LOT_COUNTERS, 0)}
            continue
        found = lot_keys.get(str(record["aggregate_id"]))
        if found is None:
            continue
        key = found
        n = lots[key]
        if kind == "LotReceived":
            n["received"] += p["accepted"] + p["rejected"]
        elif kind == "StockAdjusted":
            n["adjusted"] += p["change"]
        elif kind == "StockScrapped":
            n["scrapped"] += p["quantity"]
        elif kind == "TransferDispatched":
            n["transfer_out"] += p["quantity"]
        elif kind == "TransferReceived":
            n["transfer_in"] += p["quantity"]
        elif kind == "TransferDiscrepancyRecorded":
            n["lost"] += p["dispatched"] - p["received"]
        elif kind == "ShipmentDispatched":
            n["shipped"] += p["quantity"]
            counters((p["consignee"], *key))["shipped"] += p["quantity"]
            shipments.setdefault((p["consignee"], *key), []).append({
                "shipment": p["shipment"], "quantity": p["quantity"],
                "dispatched_at": iso(p["occurred_at"]), "delivered_at": None})  # fmt: skip
        elif kind == "ShipmentDelivered":
            n["delivered"] += p["quantity"]
            counters((p["consignee"], *key))["delivered"] += p["quantity"]
            for shipment in shipments.get((p["consignee"], *key), []):
                if shipment["shipment"] == p["shipment"]:
                    shipment["delivered_at"] = iso(p["occurred_at"])
        elif kind == "ReturnReceived":
            n["returned"] += p["quantity"]
            counters((p["consignee"], *key))["returned"] += p["quantity"]
        elif kind == "UseReported":
            counters((p["consignee"], *key))["used"] += p["quantity"]
        elif kind == "SalesReported":
            counters((p["seller"], *key))["sold_on"] += p["quantity"]
            counters((p["buyer"], *key))["bought"] += p["quantity"]
            sellers = bought_from.setdefault((p["buyer"], *key), {})
            sellers[p["seller"]] = sellers.get(p["seller"], 0) + p["quantity"]
    return assemble(recall, lots, consignees, shipments, bought_from, parties, steps)
