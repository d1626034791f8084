"""``ledger projections status`` and ``ledger projections rebuild`` as a user runs them."""

from __future__ import annotations

import json
from typing import Any

from conftest import cli_env, register_products, run_cli
from ledger.application.ledger import Ledger
from ledger.store.database import Database

MODELS = [
    "catalogue",
    "stock",
    "lot_trace",
    "receivables",
    "sales_orders",
    "collections",
    "recalls",
]


def run_json(database: Database, *args: str) -> dict[str, Any]:
    result = run_cli("projections", *args, "--json", env=cli_env(database))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    value: dict[str, Any] = json.loads(lines[0])
    return value


def test_status_shows_each_model_behind_the_head_until_it_is_rebuilt(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 3)

    before = run_json(database, "status")
    rebuilt = run_json(database, "rebuild")
    after = run_json(database, "status")

    assert [(m["name"], m["position"], m["head"], m["lag"]) for m in before["models"]] == [
        (name, 0, 3, 3) for name in MODELS
    ]
    assert [(r["name"], r["position"]) for r in rebuilt["rebuilt"]] == [
        (name, 3) for name in MODELS
    ]
    assert {m["lag"] for m in after["models"]} == {0}


def test_rebuild_of_one_model_leaves_the_others_where_they_were(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 2)

    rebuilt = run_json(database, "rebuild", "catalogue")
    status = {m["name"]: m["position"] for m in run_json(database, "status")["models"]}

    assert [r["name"] for r in rebuilt["rebuilt"]] == ["catalogue"]
    assert status == {name: 2 if name == "catalogue" else 0 for name in MODELS}


def test_status_as_text_is_a_table_of_the_models(database: Database) -> None:
    result = run_cli("projections", "status", env=cli_env(database))

    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["model", *MODELS]


def test_rebuilding_an_unknown_model_is_one_line_and_exit_1(database: Database) -> None:
    result = run_cli("projections", "rebuild", "nonesuch", env=cli_env(database))

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "nonesuch" in lines[0] and "stock" in lines[0], result.stderr
