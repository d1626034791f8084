"""A ledger written by an earlier version (0.1.0, before the code was reorganised) still
loads, replays, rebuilds and verifies exactly as it did then.

``tests/fixtures/ledger_v0_1`` holds its stored rows (events with their chain hashes, the
idempotency records and the API keys that made them) and what that version showed of them:
the signed checkpoint, every read-model table after a rebuild and after a replay to the
middle of the history, every aggregate's state, and every keyed request with its answer.
The rows go in as a restore would put them (triggers off), and nothing else is given to the
ledger: whatever it shows must come from those bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from conftest import cli_env, fresh_database, run_cli, superuser_connection
from ledger.store.database import Database

# The API tests' helpers; their directory is on the path only when pytest collects it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_harness import api_client

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger_v0_1"
TABLES = ("api_keys", "ledger_commands", "ledger_events")


@cache
def _load(name: str) -> Any:
    with gzip.open(FIXTURE / name, "rt") as source:
        return json.load(source)


def stored() -> dict[str, list[dict[str, Any]]]:
    """The rows as that version stored them."""
    result: dict[str, list[dict[str, Any]]] = _load("stored.json.gz")
    return result


def expected() -> dict[str, Any]:
    """What that version showed of them."""
    result: dict[str, Any] = _load("expected.json.gz")
    return result


def restore(database: Database) -> None:
    """Put the stored rows into a freshly migrated schema, byte for byte."""
    with superuser_connection(database) as conn:
        for table in TABLES:
            types = dict(
                conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = %s AND table_name = %s",
                    (database.schema, table),
                ).fetchall()
            )
            rows = stored()[table]
            columns = list(rows[0])
            statement = sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
                sql.Identifier(database.schema),
                sql.Identifier(table),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
            )
            for row in rows:
                conn.execute(statement, [_value(types[c], row[c]) for c in columns])
        last = sql.SQL("(SELECT max(notification_id) FROM {}.ledger_events)").format(
            sql.Identifier(database.schema)
        )
        sequence = sql.Literal(f"{database.schema}.ledger_events_notification_id_seq")
        conn.execute(sql.SQL("SELECT setval({}, {})").format(sequence, last))


def _value(data_type: str, value: Any) -> Any:
    if value is None:
        return None
    if data_type == "bytea":
        return base64.b64decode(value)
    if data_type in ("jsonb", "json"):
        return Jsonb(value)
    return value


def read_model_tables(database: Database, schema: str) -> dict[str, list[str]]:
    """Every read-model table of ``schema``, each row as PostgreSQL's text of it, sorted."""
    with database.connect() as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                " AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'ledger\\_%%'"
                " AND table_name NOT LIKE '%%yoyo%%' AND table_name <> 'api_keys'"
                " ORDER BY 1",
                (schema,),
            )
        ]
        return {
            name: sorted(
                row[0]
                for row in conn.execute(
                    sql.SQL("SELECT t::text FROM {}.{} t").format(
                        sql.Identifier(schema), sql.Identifier(name)
                    )
                )
            )
            for name in names
        }


@pytest.fixture(scope="module")
def old_ledger(server: Database) -> Iterator[Database]:
    """The stored ledger, restored into a schema of its own (read, never written)."""
    with fresh_database(server) as database:
        restore(database)
        yield database


def _cli(database: Database, *args: str) -> dict[str, Any]:
    origin = expected()["checkpoint"]["origin"]
    result = run_cli(*args, "--json", env=cli_env(database, LEDGER_CHECKPOINT_ORIGIN=origin))
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_the_chain_verifies_to_the_same_head(old_ledger: Database) -> None:
    report = _cli(old_ledger, "verify")
    assert report["ok"] is True
    assert report["events"] == len(stored()["ledger_events"])
    last = stored()["ledger_events"][-1]
    assert report["head_hash"] == base64.b64decode(last["hash"]).hex()


def test_the_history_is_the_one_its_checkpoint_signed(old_ledger: Database, tmp_path: Path) -> None:
    checkpoint = expected()["checkpoint"]
    (tmp_path / "checkpoint.txt").write_text(checkpoint["checkpoint"])
    (tmp_path / "key.pub").write_text(checkpoint["verifier_key"] + "\n")
    report = _cli(
        old_ledger,
        "verify",
        "--checkpoint",
        str(tmp_path / "checkpoint.txt"),
        "--public-key",
        str(tmp_path / "key.pub"),
    )
    assert report["ok"] is True
    assert report["checkpoint"]["ok"] is True


def test_rebuilt_read_models_equal_the_old_ones(old_ledger: Database) -> None:
    _cli(old_ledger, "projections", "rebuild")
    assert read_model_tables(old_ledger, old_ledger.schema) == expected()["read_models"]


def test_a_replay_to_a_past_position_equals_the_old_one(old_ledger: Database) -> None:
    schema = f"{old_ledger.schema}_past"
    position = expected()["replay_position"]
    try:
        _cli(old_ledger, "replay", "--to-position", str(position), "--schema", schema)
        assert read_model_tables(old_ledger, schema) == expected()["replay"]
    finally:
        with old_ledger.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_every_aggregate_loads_as_it_was(old_ledger: Database) -> None:
    token = expected()["requests"][0]["token"]  # an operator's key, restored with the rows
    states = expected()["aggregates"]
    with api_client(old_ledger) as client:
        for aggregate_id, state in states.items():
            answer = client.get(
                f"/v1/aggregates/{aggregate_id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json() == state, aggregate_id


def test_keyed_requests_replay_their_first_answers(old_ledger: Database) -> None:
    requests = expected()["requests"]
    with api_client(old_ledger) as client:
        for request in requests:
            answer = client.post(
                request["path"],
                json=request["body"],
                headers={
                    "Authorization": f"Bearer {request['token']}",
                    "Idempotency-Key": request["idempotency_key"],
                },
            )
            assert answer.json() == request["answer"], request["path"]
            if request["path"] != "/v1/credit/sweep":  # a batch of keyed sweeps, always 201
                assert answer.status_code == 200, (request["path"], answer.text)
                assert answer.headers["Idempotent-Replayed"] == "true"
    events = _cli(old_ledger, "verify")["events"]
    assert events == len(stored()["ledger_events"])


def test_new_events_are_stored_under_the_old_type_names(database: Database) -> None:
    restore(database)
    before = len(stored()["ledger_events"])
    with api_client(database) as client:
        # Every request again under new keys and new references: the same kinds of event.
        for number, request in enumerate(expected()["requests"]):
            body = json.loads(json.dumps(request["body"]).replace("FX-", "FY-"))
            path = request["path"].replace("FX-", "FY-")
            answer = client.post(
                path,
                json=body,
                headers={
                    "Authorization": f"Bearer {request['token']}",
                    "Idempotency-Key": f"again-{number}",
                },
            )
            assert answer.status_code == 201, (path, answer.text)
    with database.connect() as conn:
        topics = {
            row[0]
            for row in conn.execute(
                "SELECT topic FROM ledger_events WHERE notification_id > %s", (before,)
            )
        }
    assert len(topics) > 30
    assert topics <= set(expected()["topics"])
    assert _cli(database, "verify")["ok"] is True
