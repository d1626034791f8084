"""``/v1/recalls`` over HTTP: a recall through a multi-level channel, its impact list with
read-your-writes, its tasks, close-out refused until every consignee is resolved, and bad
requests as problems that append nothing."""

from __future__ import annotations

from typing import Any

from api_harness import api_client, assert_problem, bearer, event_count, issue, unique
from fastapi.testclient import TestClient

from api.bootstrap import build_ledger
from api.keys import Role
from ledger.settings import Settings
from ledger.store.database import Database
from recall_story import LOT, at, channel

NUMBER = "RC-HTTP-1"


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=bearer(token, f"k-{unique()}"))


def test_a_recall_over_http_from_initiation_to_close_out(database: Database) -> None:
    ledger = build_ledger(Settings(pool_size=1), database)
    gtin = channel(ledger)
    ledger.close()
    operator, regulator = issue(database, Role.OPERATOR), issue(database, Role.REGULATOR)
    with api_client(database) as client:
        started = _post(client, operator, "/v1/recalls", {
            "number": NUMBER, "level": "I", "reason": "sterile barrier", "gtins": [gtin],
            "lots": [LOT], "initiator": "MFR-ORION", "occurred_at": at(100).isoformat(),
        })  # fmt: skip
        assert started.status_code == 201, started.text
        assert started.headers["location"] == f"/v1/recalls/{NUMBER}"
        after = started.json()["positions"][-1]
        impact = client.get(f"/v1/recalls/{NUMBER}/impact?min_position={after}",
                            headers=bearer(regulator))  # fmt: skip
        assert impact.status_code == 200, impact.text
        assert {c["party"] for c in impact.json()["consignees"]} == {
            "DIST-A", "SUB-B", "HOSP-C", "HOSP-D"
        }  # fmt: skip

        tasks = client.get(f"/v1/recalls/{NUMBER}/tasks?on=2026-03-09&min_position={after}",
                           headers=bearer(regulator)).json()  # fmt: skip
        overdue = {(t["task"], t["consignee"]) for t in tasks["items"] if t["status"] == "overdue"}
        assert ("send the notice", "HOSP-C") in overdue
        assert ("report to the regulator", None) in overdue
        assert tasks["overdue"] == len(overdue)

        base = f"/v1/recalls/{NUMBER}"
        when = {"occurred_at": at(150).isoformat()}
        assert _post(client, operator, f"{base}/end", when).status_code == 201
        refused = _post(client, operator, f"{base}/close", {**when, "summary": "done"})
        problem = assert_problem(refused, 409, "recall-not-resolved")
        assert sorted(problem["unresolved"]) == ["DIST-A", "HOSP-C", "HOSP-D", "SUB-B"]
        for party in ("DIST-A", "SUB-B", "HOSP-C", "HOSP-D"):
            explained = {**when, "consignee": party, "explanation": "followed up"}
            excepted = _post(client, operator, f"{base}/exceptions", explained)
            assert excepted.status_code == 201, excepted.text
        closed = _post(client, operator, f"{base}/close", {**when, "summary": "done"})
        assert closed.status_code == 201 and closed.json()["status"] == "closed"


def test_bad_recall_requests_are_problems_and_append_nothing(database: Database) -> None:
    ledger = build_ledger(Settings(pool_size=1), database)
    gtin = channel(ledger)
    ledger.close()
    operator = issue(database, Role.OPERATOR)
    body = {"number": NUMBER, "level": "I", "reason": "seal", "gtins": [gtin], "lots": [LOT],
            "initiator": "MFR-ORION", "occurred_at": at(100).isoformat()}  # fmt: skip
    with api_client(database) as client:
        assert _post(client, operator, "/v1/recalls", body).status_code == 201
        before = event_count(database)
        base = f"/v1/recalls/{NUMBER}"
        when = {"occurred_at": at(101).isoformat()}

        assert_problem(_post(client, operator, "/v1/recalls", {**body, "level": "IV"}), 422,
                       "invalid-request")  # fmt: skip
        assert_problem(_post(client, operator, "/v1/recalls", body), 409, "already-registered")
        assert_problem(_post(client, operator, "/v1/recalls", {**body, "number": "RC-X",
                                                               "lot_range": ["A", "B"]}),
                       422, "invalid-value")  # fmt: skip
        assert_problem(_post(client, operator, "/v1/recalls/RC-NONE/notices",
                             {**when, "consignee": "DIST-A", "channel": "email"}),
                       404, "unknown-recall")  # fmt: skip
        assert_problem(_post(client, operator, f"{base}/acknowledgements",
                             {**when, "consignee": "DIST-A", "acknowledged_by": "x"}),
                       409, "no-notice-sent")  # fmt: skip
        assert_problem(_post(client, operator, f"{base}/recoveries",
                             {**when, "consignee": "DIST-A", "gtin": gtin, "lot": LOT,
                              "kind": "returned", "quantity": 2}),
                       422, "invalid-value")  # fmt: skip
        assert_problem(client.get("/v1/recalls/RC-NONE/impact", headers=bearer(operator)), 404,
                       "not-found")  # fmt: skip
        assert event_count(database) == before
