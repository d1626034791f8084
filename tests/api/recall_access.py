"""Who may call the recall routes, and a request each accepts.

Used by ``test_api_access``: ``RECALL_ALLOWED`` joins its table and ``recall_request`` builds
each request on a recall of a lot of its own (received, one unit delivered to HOSP-W, then
recalled), so that holds never touch the lot other routes move. Operators write; operators,
auditors and regulators read (a recall names every consignee: not partners or finance).
"""

from __future__ import annotations

from typing import Any

from api_harness import AT, receipt_body, shipment_body, unique

from api.keys import Role

READERS = frozenset({Role.OPERATOR, Role.AUDITOR, Role.REGULATOR})
OPERATOR = frozenset({Role.OPERATOR})
STEPS = ("regulator-reports", "plan", "notices", "acknowledgements", "recoveries",
         "exceptions", "end", "close")  # fmt: skip
RECALL_ALLOWED: dict[tuple[str, str], frozenset[Any]] = {
    ("POST", "/v1/recalls"): OPERATOR,
    **{("POST", f"/v1/recalls/{{recall}}/{step}"): OPERATOR for step in STEPS},
    ("GET", "/v1/recalls"): READERS,
    ("GET", "/v1/recalls/{recall}"): READERS,
    ("GET", "/v1/recalls/{recall}/impact"): READERS,
    ("GET", "/v1/recalls/{recall}/tasks"): READERS,
}


def recall_body(gtin: str, lot: str, number: str) -> dict[str, Any]:
    """An initiation of recall ``number`` of one lot, level II, China's rules."""
    return {"number": number, "level": "II", "reason": "seal may leak", "gtins": [gtin],
            "lots": [lot], "initiator": "SUP-W", "occurred_at": AT}  # fmt: skip


def recall_request(world: Any, method: str, path: str) -> tuple[str, Any] | None:
    """The URL and body of a request the route accepts, or None if not a recall route."""
    if (method, path) not in RECALL_ALLOWED:
        return None
    number = unique()
    lot, recall = f"R{number}", f"RC-{number}"
    world.write("/v1/lots/receipts", receipt_body(world.gtin, lot, 5, supplier="SUP-W"))
    shipped = world.write("/v1/shipments", shipment_body(world.gtin, lot, 1, consignee="HOSP-W"))
    world.write(f"/v1/shipments/{shipped['shipment']}/delivery",
                {"consignee": "HOSP-W", "lots": [{"gtin": world.gtin, "lot": lot}],
                 "occurred_at": AT})  # fmt: skip
    body = recall_body(world.gtin, lot, recall)
    if path == "/v1/recalls":
        return (path, body) if method == "POST" else (path, None)
    initiated = world.write("/v1/recalls", body)
    base = f"/v1/recalls/{recall}"
    if method == "GET":  # once the read models have folded the recall
        after = f"?min_position={initiated['positions'][-1]}"
        return path.replace("/v1/recalls/{recall}", base) + after, None
    step = path.rsplit("/", 1)[1]
    at = {"occurred_at": AT}
    notice = {**at, "consignee": "HOSP-W", "channel": "email"}
    if step == "acknowledgements":
        world.write(f"{base}/notices", notice)
    if step == "close":
        excepted = {**at, "consignee": "HOSP-W", "explanation": "implanted; patients followed"}
        world.write(f"{base}/exceptions", excepted)
        world.write(f"{base}/end", at)
    return f"{base}/{step}", {
        "regulator-reports": {**at, "reference": "NMPA-R-1"},
        "plan": {**at, "summary": "notify, quarantine, return"},
        "notices": notice,
        "acknowledgements": {**at, "consignee": "HOSP-W", "acknowledged_by": "pharmacy"},
        "recoveries": {**at, "consignee": "HOSP-W", "gtin": world.gtin, "lot": lot,
                       "kind": "destroyed", "quantity": 1},
        "exceptions": {**at, "consignee": "HOSP-W", "explanation": "closed down"},
        "end": at,
        "close": {**at, "summary": "all consignees resolved"},
    }[step]  # fmt: skip
