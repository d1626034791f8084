"""``ledger credit sweep`` and ``ledger credit ageing`` as a user runs them."""

from __future__ import annotations

import json

from conftest import cli_env, run_cli
from credit_story import open_account, place, set_up_channel, ship
from ledger.application.ledger import Ledger
from ledger.store.database import Database


def test_the_sweep_sends_notices_once_and_the_ageing_report_shows_them_overdue(
    ledger: Ledger, database: Database
) -> None:
    gtin, _ = set_up_channel(ledger)
    open_account(ledger, "HOSP-C1")
    place(ledger, "SO-1", "HOSP-C1", gtin, 10, "100")
    ship(ledger, "SO-1", gtin, 10)
    env = cli_env(database)

    first = run_cli("credit", "sweep", "--as-of", "2026-05-05", "--json", env=env)
    again = run_cli("credit", "sweep", "--as-of", "2026-05-05", "--json", env=env)
    report = run_cli("credit", "ageing", "--as-of", "2026-05-05", "--json", env=env)
    text = run_cli("credit", "ageing", "--as-of", "2026-05-05", env=env)

    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["notices"] == [
        {"customer": "HOSP-C1", "invoice": "INV-SO-1", "level": "overdue-30"}
    ]
    assert json.loads(again.stdout)["notices"] == []
    ageing = json.loads(report.stdout)
    assert ageing["customers"][0]["31-60"] == "1000.00"
    assert ageing["totals"][0]["open"] == "1000.00"
    assert "HOSP-C1" in text.stdout and "TOTAL" in text.stdout


def test_a_bad_date_is_one_line_and_exit_2(database: Database) -> None:
    result = run_cli("credit", "sweep", "--as-of", "May 5th", env=cli_env(database))

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --as-of 'May 5th' is not a date (YYYY-MM-DD)"
    ]


def test_a_date_before_any_report_can_reach_is_one_line_and_exit_2(database: Database) -> None:
    result = run_cli("credit", "ageing", "--as-of", "0001-01-01", env=cli_env(database))

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: --as-of 0001-01-01 is before 1900-01-01"]
