"""``ledger recall list|impact|tasks``: JSON for machines, one line and exit 1 for a recall
that does not exist."""

from __future__ import annotations

import json

from conftest import cli_env, run_cli
from ledger.application.ledger import Ledger
from ledger.store.database import Database
from recall_story import channel, initiate


def test_recall_commands_report_the_recall_its_impact_and_its_tasks(
    database: Database, ledger: Ledger
) -> None:
    initiate(ledger, channel(ledger))
    env = cli_env(database)

    listed = json.loads(run_cli("recall", "list", "--json", env=env).stdout)
    impact = json.loads(run_cli("recall", "impact", "RC-2026-001", "--json", env=env).stdout)
    tasks = run_cli("recall", "tasks", "RC-2026-001", "--on", "2026-03-09", "--json", env=env)

    (recall,) = listed["recalls"]
    assert (recall["number"], recall["level"], recall["status"]) == ("RC-2026-001", "I", "open")
    assert impact["totals"]["consignees"] == 4 and impact["lots"][0]["own_on_hand"] == 61
    due = {(t["task"], t["consignee"]): t["status"] for t in json.loads(tasks.stdout)["tasks"]}
    assert due[("send the notice", "DIST-A")] == "overdue"
    for command in (["impact", "RC-NONE"], ["tasks", "RC-NONE"]):
        refused = run_cli("recall", *command, env=env)
        assert refused.returncode == 1
        assert refused.stderr.strip() == "error: no recall 'RC-NONE'"


def test_bench_recall_impact_times_the_list_of_every_consignee(database: Database) -> None:
    result = run_cli("bench", "recall-impact", "--consignees", "12", "--events", "100",
                     "--queries", "3", "--json", env=cli_env(database))  # fmt: skip

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["listed_consignees"] == 12 and out["queries"] == 3
    assert 0 < out["impact_p50_ms"] <= out["impact_p95_ms"]
    assert out["raw_consignee_rows_p95_ms"] > 0
