"""The ``ledger`` command as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from conftest import (
    cli_env,
    fresh_database,
    register_products,
    run_cli,
    stored_rows,
    superuser_connection,
)
from ledger.application.ledger import Ledger
from ledger.store.database import Database

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nowhere"
VERIFY_KEYS = {"ok", "events", "first_bad_position", "reason", "events_per_second"}
COMMANDS = [
    ["migrate"],
    ["demo"],
    ["verify"],
    ["bench", "append", "--events", "10", "--batch", "2", "--repeat", "1"],
    ["bench", "verify", "--events", "10", "--repeat", "1"],
    ["bench", "projections", "--events", "10"],
    ["bench", "live-lag", "--seconds", "1"],
]


def one_json_object(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The single JSON object a ``--json`` command prints, and nothing else on stdout."""
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    value = json.loads(lines[0])
    assert isinstance(value, dict)
    return value


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failing command prints on stderr (no traceback, no stdout)."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def ledger_command() -> list[str]:
    """The installed ``ledger`` script, as ``run_cli`` finds it."""
    script = Path(sys.executable).with_name("ledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api"]


def embedded_env(data_dir: Path) -> dict[str, str]:
    """A user's environment with no external database and no XDG runtime directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LEDGER_") and key != "XDG_RUNTIME_DIR"
    }
    env["LEDGER_DATA_DIR"] = str(data_dir)
    return env


def payloads(database: Database) -> list[tuple[str, dict[str, Any]]]:
    """Each event's topic and payload, without the time it was recorded."""
    events = []
    for row in stored_rows(database):
        payload = json.loads(bytes(row[4]))
        payload.pop("timestamp")
        events.append((row[3], payload))
    return events


# ledger verify


def test_verify_json_prints_one_object_and_exits_0_on_an_intact_chain(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 4)

    result = run_cli("verify", "--json", env=cli_env(database))

    assert result.returncode == 0, result.stderr
    report = one_json_object(result)
    assert report.keys() >= VERIFY_KEYS
    assert report["ok"] is True
    assert report["events"] == 4
    assert report["first_bad_position"] is None
    assert report["reason"] is None
    assert report["events_per_second"] > 0
    assert result.stderr == ""


def test_verify_json_on_an_empty_ledger_reports_zero_events(database: Database) -> None:
    result = run_cli("verify", "--json", env=cli_env(database))

    assert result.returncode == 0, result.stderr
    assert one_json_object(result)["events"] == 0


def test_verify_json_exits_1_naming_the_first_bad_position_and_reason_after_tampering(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 5)
    with superuser_connection(database) as conn:
        conn.execute("DELETE FROM ledger_events WHERE notification_id = 2")

    result = run_cli("verify", "--json", env=cli_env(database))

    assert result.returncode == 1
    report = one_json_object(result)
    assert report["ok"] is False
    assert report["events"] == 4
    assert report["first_bad_position"] == 3
    assert report["reason"] == "missing"


def test_verify_without_json_says_ok_and_counts_the_events(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 3)

    result = run_cli("verify", env=cli_env(database))

    assert result.returncode == 0
    assert result.stdout.startswith("OK: 3 events")


def test_verify_without_json_names_the_position_and_reason_of_the_break(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 4)
    with superuser_connection(database) as conn:
        conn.execute("UPDATE ledger_events SET state = state || '\\x20' WHERE notification_id = 3")

    result = run_cli("verify", env=cli_env(database))

    assert result.returncode == 1
    assert "position 3" in result.stdout
    assert "changed" in result.stdout


# ledger demo


def test_demo_json_loads_the_small_data_set_and_reports_what_it_loaded(
    database: Database,
) -> None:
    result = run_cli("demo", "--json", env=cli_env(database))

    assert result.returncode == 0, result.stderr
    summary = one_json_object(result)
    assert summary == {
        "scale": "small",
        "seed": 7,
        "products": 12,
        "parties": 18,
        "lots": 36,
        "events": 561,
    }
    assert len(stored_rows(database)) == 561
    assert run_cli("verify", "--json", env=cli_env(database)).returncode == 0


def test_demo_at_medium_scale_loads_the_medium_data_set(database: Database) -> None:
    result = run_cli("demo", "--scale", "medium", "--seed", "3", "--json", env=cli_env(database))

    assert result.returncode == 0, result.stderr
    summary = one_json_object(result)
    assert (summary["scale"], summary["seed"]) == ("medium", 3)
    assert (summary["products"], summary["parties"], summary["lots"]) == (40, 107, 300)
    assert summary["events"] == len(stored_rows(database)) > 3000


def test_demo_with_the_same_seed_loads_the_same_events_into_two_ledgers(
    server: Database,
) -> None:
    with fresh_database(server) as one, fresh_database(server) as other:
        for database in (one, other):
            result = run_cli("demo", "--seed", "11", "--json", env=cli_env(database))
            assert result.returncode == 0, result.stderr

        first, second = payloads(one), payloads(other)

    assert [topic for topic, _ in first] == [topic for topic, _ in second]
    assert [p.get("gtin") for _, p in first] == [p.get("gtin") for _, p in second]
    assert [p.get("code") for _, p in first] == [p.get("code") for _, p in second]
    assert first == second
    assert len({p["gtin"] for _, p in first if "gtin" in p}) == 12


def test_demo_with_another_seed_loads_other_products(server: Database) -> None:
    with fresh_database(server) as one, fresh_database(server) as other:
        run_cli("demo", "--seed", "1", "--json", env=cli_env(one))
        run_cli("demo", "--seed", "2", "--json", env=cli_env(other))

        first, second = payloads(one), payloads(other)

    gtins = [{p["gtin"] for _, p in events if "gtin" in p} for events in (first, second)]
    assert gtins[0] and gtins[1]
    assert gtins[0].isdisjoint(gtins[1])


def test_demo_refuses_a_ledger_that_already_holds_events_and_appends_nothing(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 2)
    before = stored_rows(database)

    result = run_cli("demo", "--json", env=cli_env(database))

    assert result.returncode == 1
    line = one_error_line(result)
    assert "2 events" in line
    assert "empty" in line
    assert stored_rows(database) == before


def test_demo_run_twice_refuses_the_second_time(database: Database) -> None:
    assert run_cli("demo", "--json", env=cli_env(database)).returncode == 0

    again = run_cli("demo", "--json", env=cli_env(database))

    assert again.returncode == 1
    assert "561 events" in one_error_line(again)
    assert len(stored_rows(database)) == 561


# ledger migrate


def test_migrate_json_reports_the_schema_it_brought_up_to_date(database: Database) -> None:
    result = run_cli("migrate", "--json", env=cli_env(database))

    assert result.returncode == 0, result.stderr
    assert one_json_object(result) == {"ok": True, "schema": database.schema}


def test_migrate_creates_a_missing_schema_and_its_tables(server: Database) -> None:
    schema = f"t_{secrets.token_hex(6)}"
    fresh = Database(url=server.url, schema=schema, embedded=server.embedded)
    try:
        result = run_cli("migrate", "--json", env=cli_env(fresh))

        assert result.returncode == 0, result.stderr
        assert one_json_object(result) == {"ok": True, "schema": schema}
        with server.connect() as conn:
            (table,) = conn.execute(
                "SELECT to_regclass(%s)::text", (f"{schema}.ledger_events",)
            ).fetchone()
        assert table == f"{schema}.ledger_events"
    finally:
        with server.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# ledger bench


def test_bench_append_json_compares_the_ledger_with_raw_inserts(database: Database) -> None:
    result = run_cli(
        "bench", "append", "--events", "200", "--batch", "20", "--repeat", "1", "--json",
        env=cli_env(database),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    out = one_json_object(result)
    assert (out["events"], out["batch"], out["repeat"]) == (200, 20, 1)
    assert out["ledger_events_per_s"] > 0
    assert out["raw_rows_per_s"] > 0
    assert out["ratio"] > 0
    assert out["ratio"] == pytest.approx(out["ledger_events_per_s"] / out["raw_rows_per_s"], 0.01)
    assert stored_rows(database) == []  # the benchmark runs in a scratch schema


def test_bench_verify_json_compares_verification_with_a_plain_read(database: Database) -> None:
    result = run_cli(
        "bench", "verify", "--events", "300", "--repeat", "1", "--json", env=cli_env(database)
    )

    assert result.returncode == 0, result.stderr
    out = one_json_object(result)
    assert out["events"] == 300
    assert out["verify_events_per_s"] > 0
    assert out["plain_read_rows_per_s"] > 0
    assert out["ratio"] > 0
    assert stored_rows(database) == []


def test_bench_projections_json_rebuilds_both_models_and_times_their_queries(
    database: Database,
) -> None:
    result = run_cli(
        "bench", "projections", "--events", "400", "--queries", "5", "--json",
        env=cli_env(database),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    out = one_json_object(result)
    assert out["events"] >= 400 and out["queries"] == 5
    for figure in (
        "stock_rebuild_events_per_s",
        "lot_trace_rebuild_events_per_s",
        "plain_read_rows_per_s",
        "stock_query_p95_ms",
        "lot_forward_trace_p95_ms",
        "raw_lookup_p95_ms",
        "stock_replay_events_per_s",
        "lot_trace_replay_events_per_s",
    ):
        assert out[figure] > 0, figure
    assert out["replay_position"] == out["events"] // 2
    assert "PostgreSQL" in out["server"]
    assert stored_rows(database) == []  # the benchmark runs in a scratch schema
    with database.connect(autocommit=True) as conn:  # nor does its replay leave a schema
        left = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%%_replay'"
        ).fetchone()
    assert left == (0,)


def test_bench_live_lag_json_reports_the_lag_of_every_movement(database: Database) -> None:
    result = run_cli(
        "bench", "live-lag", "--rate", "40", "--seconds", "1", "--writers", "2", "--json",
        env=cli_env(database),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    out = one_json_object(result)
    assert (out["movements"], out["writers"]) == (40, 2)
    assert 0 < out["lag_p50_ms"] <= out["lag_p99_ms"] <= out["lag_max_ms"]
    assert stored_rows(database) == []


# Failures: one line, exit code 2


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
def test_every_command_exits_2_with_one_line_naming_an_unreachable_database(
    command: list[str],
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    env["LEDGER_DATABASE_URL"] = UNREACHABLE

    result = run_cli(*command, "--json", env=env)

    assert result.returncode == 2
    line = one_error_line(result)
    assert UNREACHABLE in line
    assert line.startswith("error:")


def test_the_error_line_for_an_unreachable_database_does_not_show_its_password() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    env["LEDGER_DATABASE_URL"] = "postgresql://nobody:s3cret@127.0.0.1:1/nowhere"

    result = run_cli("verify", env=env)

    assert result.returncode == 2
    line = one_error_line(result)
    assert UNREACHABLE in line
    assert "s3cret" not in line


def test_an_embedded_data_directory_that_cannot_be_created_exits_2_naming_it(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("not a directory\n")
    data_dir = blocker / "ledger-data"

    result = run_cli("verify", "--json", env=embedded_env(data_dir))

    assert result.returncode == 2
    line = one_error_line(result)
    assert str(data_dir) in line
    assert not data_dir.exists()


@pytest.mark.parametrize(
    "setting",
    [{"LEDGER_DB_SCHEMA": "Bad-Name"}, {"LEDGER_POOL_SIZE": "0"}, {"LEDGER_POOL_SIZE": "many"}],
    ids=lambda setting: "=".join(*setting.items()),
)
def test_an_invalid_setting_exits_2_with_one_line(
    database: Database, setting: dict[str, str]
) -> None:
    result = run_cli("verify", "--json", env=cli_env(database, **setting))

    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith("error:")
    assert "LEDGER_" in line


# The embedded server, as a fresh machine meets it (each run starts a server: ~1 s)


def test_demo_then_verify_on_the_embedded_server_succeed_without_warnings(
    tmp_path: Path,
) -> None:
    env = embedded_env(tmp_path / "data")

    demo = run_cli("demo", "--json", env=env, cwd=tmp_path)
    verify = run_cli("verify", "--json", env=env, cwd=tmp_path)

    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""
    assert verify.returncode == 0, verify.stderr
    assert verify.stderr == ""
    assert one_json_object(verify)["events"] == 561
    assert (tmp_path / "data" / "pgdata").is_dir()


def test_two_commands_starting_the_embedded_server_at_once_both_succeed(
    tmp_path: Path,
) -> None:
    env = embedded_env(tmp_path / "shared")

    processes = [
        subprocess.Popen(
            [*ledger_command(), "verify", "--json"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert json.loads(stdout)["ok"] is True
        assert stderr == ""
