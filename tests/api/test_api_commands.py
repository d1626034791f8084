"""The API's commands as a user runs them: ``ledger keys``, ``ledger serve``, ``ledger bench``."""

from __future__ import annotations

import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from api_harness import api_client, bearer

from api.keys import Role
from conftest import cli_env, run_cli
from ledger.application.ledger import Ledger
from ledger.domain.values import PartyRole
from ledger.store.database import Database

KEY = re.compile(r"ldg_[a-z0-9]+_[A-Za-z0-9_-]{20,}")
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nowhere"
DEMO_KEY_LINE = re.compile(r"^ +(\w+) +(ldg_\S+)", re.MULTILINE)


def one_json_object(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    value: dict[str, Any] = json.loads(lines[0])
    return value


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_key_created_on_the_command_line_opens_the_api(database: Database) -> None:
    created = one_json_object(
        run_cli(
            "keys",
            "create",
            "--role",
            "auditor",
            "--name",
            "Audit firm",
            "--json",
            env=cli_env(database),
        )
    )

    assert KEY.fullmatch(created["key"])
    assert (created["role"], created["party"], created["name"]) == ("auditor", None, "Audit firm")
    assert created["key"].split("_")[1] == created["id"]
    with api_client(database) as client:
        assert client.get("/v1/events", headers=bearer(created["key"])).status_code == 200


def test_the_key_is_printed_once_and_never_listed(database: Database) -> None:
    env = cli_env(database)
    text = run_cli("keys", "create", "--role", "finance", env=env)
    listed = run_cli("keys", "list", "--json", env=env)
    listed_text = run_cli("keys", "list", env=env)

    token = KEY.search(text.stdout)
    assert text.returncode == 0 and token is not None
    secret = token.group().split("_", 2)[2]
    assert secret not in listed.stdout + listed_text.stdout
    assert [key["role"] for key in one_json_object(listed)["keys"]] == ["finance"]
    assert token.group().split("_")[1] in listed_text.stdout


def test_a_partner_key_belongs_to_a_registered_party(ledger: Ledger, database: Database) -> None:
    ledger.master_data.register_party(
        code="DIST-7",
        name="Distributor 7",
        role=PartyRole.DISTRIBUTOR,
        region="East China",
        recall_contact="recall@dist7.example.cn",
        grade="A",
    )
    env = cli_env(database)

    created = one_json_object(
        run_cli("keys", "create", "--role", "partner", "--party", "DIST-7", "--json", env=env)
    )
    unknown = run_cli("keys", "create", "--role", "partner", "--party", "DIST-8", env=env)

    assert created["party"] == "DIST-7"
    assert "DIST-8 is not registered" in one_error_line(unknown, 1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--role", "partner"], "needs the party"),
        (["--role", "operator", "--party", "DIST-1"], "only partner keys belong to a party"),
    ],
)
def test_a_party_goes_with_partner_keys_only(
    database: Database, arguments: list[str], message: str
) -> None:
    result = run_cli("keys", "create", *arguments, "--json", env=cli_env(database))

    assert message in one_error_line(result, 1)
    assert one_json_object(run_cli("keys", "list", "--json", env=cli_env(database))) == {"keys": []}


def test_a_revoked_key_no_longer_opens_the_api(database: Database) -> None:
    env = cli_env(database)
    created = one_json_object(run_cli("keys", "create", "--role", "operator", "--json", env=env))

    revoked = one_json_object(run_cli("keys", "revoke", created["id"], "--json", env=env))
    again = one_json_object(run_cli("keys", "revoke", created["id"], "--json", env=env))
    unknown = run_cli("keys", "revoke", "nosuchkey", env=env)

    assert revoked["revoked_now"] is True and revoked["revoked_at"]
    assert (again["revoked_now"], again["revoked_at"]) == (False, revoked["revoked_at"])
    assert "no API key has the id" in one_error_line(unknown, 1)
    listed = one_json_object(run_cli("keys", "list", "--json", env=env))["keys"]
    assert listed[0]["revoked_at"] == revoked["revoked_at"]
    with api_client(database) as client:
        assert client.get("/v1/events", headers=bearer(created["key"])).status_code == 401


@pytest.mark.parametrize(
    "command", [["keys", "list"], ["keys", "create", "--role", "operator"], ["keys", "revoke", "x"]]
)
def test_key_commands_report_an_unreachable_database_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    env = cli_env(Database(url=UNREACHABLE, schema="public"), LEDGER_DATA_DIR=str(tmp_path))

    line = one_error_line(run_cli(*command, "--json", env=env), 2)

    assert "127.0.0.1:1" in line


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ledger_command() -> list[str]:
    script = Path(sys.executable).with_name("ledger")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api"]


def stdout_lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The process's stdout, line by line, as it comes; None at its end."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout or ():
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def read_until(lines: queue.Queue[str | None], marker: str, timeout: float) -> list[str]:
    """Lines from the process's stdout up to the one containing ``marker``."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} not printed; got {seen}")


def wait_for_health(url: str, timeout: float) -> httpx2.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx2.get(f"{url}/v1/health", timeout=2)
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_demo_answers_prints_one_key_per_role_and_stops_cleanly(database: Database) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*ledger_command(), "serve", "--demo", "--port", str(port)],
        env=cli_env(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = stdout_lines(process)
    try:
        printed = read_until(lines, "Ledger API on", timeout=120)
        health = wait_for_health(f"http://127.0.0.1:{port}", timeout=60)
        keys = dict(DEMO_KEY_LINE.findall("\n".join(printed)))
        events = httpx2.get(f"http://127.0.0.1:{port}/v1/events", headers=bearer(keys["operator"]))
        partner = httpx2.get(
            f"http://127.0.0.1:{port}/v1/parties/DIST-001", headers=bearer(keys["partner"])
        )
        stock = httpx2.get(
            f"http://127.0.0.1:{port}/v1/stock",
            params={"min_position": health.json()["database"]["latest_position"]},
            headers=bearer(keys["operator"]),
            timeout=30,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=60)

    assert health.status_code == 200 and health.json()["database"]["latest_position"] > 0
    assert set(keys) == {role.value for role in Role}
    # The main job's data set: hundreds of lots moved through dozens of parties.
    assert any("107 parties, 300 lots" in line for line in printed), printed
    assert any("partner" in line and "DIST-001" in line for line in printed)
    assert events.status_code == 200 and len(events.json()["items"]) == 100  # a full page
    assert partner.json()["code"] == "DIST-001"
    assert stock.status_code == 200 and stock.json()["items"], stock.text  # followed the demo
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
    assert any('"path":"/v1/events"' in line for line in errors.splitlines())


def test_serve_refuses_a_port_in_use_in_one_line(database: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run_cli("serve", "--port", str(port), env=cli_env(database))

    assert f"127.0.0.1:{port}" in one_error_line(result, 2)


def test_bench_api_reports_write_latency_and_the_raw_baseline(database: Database) -> None:
    result = one_json_object(
        run_cli("bench", "api", "--writes", "20", "--json", env=cli_env(database))
    )

    assert result["writes"] == 20
    assert (
        0 < result["api_write_p50_ms"] <= result["api_write_p95_ms"] <= result["api_write_p99_ms"]
    )
    assert 0 < result["raw_insert_p50_ms"] <= result["raw_insert_p99_ms"]


def test_bench_events_page_reports_page_latency_and_the_raw_baseline(database: Database) -> None:
    result = one_json_object(
        run_cli(
            "bench",
            "events-page",
            "--events",
            "1200",
            "--repeat",
            "2",
            "--json",
            env=cli_env(database),
        )
    )

    assert (result["events"], result["page"]) == (1200, 500)
    assert set(result["api_page_p50_ms_after"]) == {"0", "300", "600", "700", "900"}
    assert 0 < result["api_page_p50_ms"] <= result["api_page_p99_ms"]
    assert 0 < result["raw_select_p50_ms"] <= result["raw_select_p99_ms"]
