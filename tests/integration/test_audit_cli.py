"""The auditors' commands as a user runs them: key, checkpoint, proofs and export."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from conftest import cli_env, register_products, run_cli
from ledger.application.ledger import Ledger
from ledger.demo.signing import with_demo_signing_key
from ledger.integrity import merkle
from ledger.integrity.checkpointer import configured_signing_key
from ledger.integrity.checkpoints import latest_checkpoint
from ledger.settings import Settings
from ledger.store.database import Database


def test_checkpoint_init_writes_a_private_key_once_and_prints_its_verifier_key(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "keys" / "checkpoint.pem"
    env = cli_env(database, LEDGER_CHECKPOINT_ORIGIN="ledger.test/cli")

    first = run_cli("keys", "checkpoint-init", "--path", str(path), "--json", env=env)
    again = run_cli("keys", "checkpoint-init", "--path", str(path), env=env)

    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["verifier_key"].startswith("ledger.test/cli+")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert Path(out["public_key_path"]).read_text().strip() == out["verifier_key"]
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0 and "never overwritten" in again.stderr


def test_signing_without_a_key_is_one_line_and_exit_2(database: Database) -> None:
    result = run_cli("checkpoint", env=cli_env(database))

    assert result.returncode == 2
    assert result.stderr.startswith("error: no checkpoint key") and result.stdout == ""


def test_proofs_and_an_export_from_the_command_line_verify(
    database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    register_products(ledger, 7)
    key = tmp_path / "k.pem"
    env = cli_env(database, LEDGER_CHECKPOINT_KEY_FILE=str(key))
    assert run_cli("keys", "checkpoint-init", env=env).returncode == 0
    export = tmp_path / "audit.jsonl"

    signed = run_cli("checkpoint", "--json", env=env)
    inclusion = run_cli("proof", "inclusion", "--position", "3", "--json", env=env)
    consistency = run_cli("proof", "consistency", "--from", "2", "--to", "7", "--json", env=env)
    unknown = run_cli("proof", "inclusion", "--position", "70", env=env)
    exported = run_cli("audit", "export", "--from", "2", "--to", "6", "-o", str(export), env=env)

    root = bytes.fromhex(json.loads(signed.stdout)["root_hash"])
    proof = json.loads(inclusion.stdout)
    leaf = hashlib.sha256(b"\x00" + bytes.fromhex(proof["entry"])).digest()
    path = [bytes.fromhex(p) for p in proof["inclusion_path"]]
    assert (proof["leaf_index"], proof["tree_size"]) == (2, 7)
    assert merkle.verify_inclusion(2, 7, leaf, path, root)
    linked = json.loads(consistency.stdout)
    assert linked["to_root_hash"] == root.hex()
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no event at position 70"
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert lines[0]["kind"] == "checkpoint" and lines[0]["root_hash"] == root.hex()
    assert [line["position"] for line in lines[1:]] == [2, 3, 4, 5, 6]
    for line in lines[1:]:
        leaf = hashlib.sha256(b"\x00" + bytes.fromhex(line["hash"])).digest()
        path = [bytes.fromhex(p) for p in line["inclusion_path"]]
        assert merkle.verify_inclusion(line["leaf_index"], 7, leaf, path, root)


def test_the_demo_signs_a_checkpoint_that_its_history_verifies_against(
    database: Database, tmp_path: Path
) -> None:
    key = tmp_path / "demo.pem"
    env = cli_env(database, LEDGER_CHECKPOINT_KEY_FILE=str(key))
    assert run_cli("keys", "checkpoint-init", env=env).returncode == 0

    loaded = run_cli("demo", "--json", env=env)

    assert loaded.returncode == 0, loaded.stderr
    with database.connect(autocommit=True) as conn:
        latest = latest_checkpoint(conn)
    assert latest is not None and latest.tree_size == json.loads(loaded.stdout)["events"]
    saved = tmp_path / "demo-checkpoint.txt"
    saved.write_text(latest.note)
    auditor = cli_env(database)  # no private key: only the public one
    public = str(key) + ".pub"
    checked = run_cli("verify", "--checkpoint", str(saved), "--public-key", public, env=auditor)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK: chain intact; consistent with the checkpoint")


def test_serving_the_demo_without_a_key_makes_one_under_the_data_directory(
    tmp_path: Path,
) -> None:
    configured = Settings(data_dir=tmp_path, checkpoint_key_file=tmp_path / "mine.pem")
    demo = with_demo_signing_key(Settings(data_dir=tmp_path))
    again = with_demo_signing_key(Settings(data_dir=tmp_path))

    assert with_demo_signing_key(configured) is configured
    assert demo.checkpoint_key_file == tmp_path / "demo-checkpoint-key.pem"
    assert configured_signing_key(demo) is not None
    first, second = configured_signing_key(demo), configured_signing_key(again)
    assert first is not None and second is not None
    assert first.verifier == second.verifier  # the same key, not a new one each start
