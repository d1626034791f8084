"""Signed checkpoints over the stored chain, and history rewrites that only they reveal.

A superuser who disables the triggers can rewrite events and recompute every chain hash so
that ``ledger verify`` alone passes; ``ledger verify --checkpoint`` against a checkpoint
saved earlier outside the database must fail, with a reason saying what happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import (
    cli_env,
    fresh_database,
    register_products,
    run_cli,
    stored_rows,
    superuser_connection,
)
from ledger.application.ledger import Ledger
from ledger.integrity import merkle
from ledger.integrity.checkpoint_note import SigningKey, new_key_file, verify_checkpoint
from ledger.integrity.checkpoint_verify import check_checkpoint
from ledger.integrity.checkpoints import (
    consistency_proof,
    extend_tree,
    inclusion_proof,
    sign_checkpoint,
)
from ledger.settings import Settings
from ledger.store.chain import GENESIS_HASH, event_hash
from ledger.store.database import Database
from ledger.store.verify import verify_chain

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ORIGIN = "ledger.test/checkpoints"


def _mth(entries: list[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1 << ((len(entries) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(entries[:k]) + _mth(entries[k:])).digest()


def independent_root(database: Database, size: int | None = None) -> bytes:
    """MTH over the stored chain hashes, straight from RFC 9162 §2.1.1."""
    hashes = [bytes(row[7]) for row in stored_rows(database)]
    return _mth(hashes[:size] if size is not None else hashes)


@pytest.fixture
def key(tmp_path: Path) -> tuple[SigningKey, Path]:
    path = tmp_path / "checkpoint-key.pem"
    return SigningKey(ORIGIN, new_key_file(path)), path


def test_the_stored_tree_grows_with_the_chain_and_its_root_is_the_rfc_root(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 5)
    assert extend_tree(database) == 5
    register_products(ledger, 8, start=6)

    assert extend_tree(database) == 13
    assert extend_tree(database) == 13  # nothing new: nothing added
    with database.connect(autocommit=True) as conn:
        proof = consistency_proof(database, conn, first=5, second=13)
    assert proof.first_root == independent_root(database, 5)
    assert proof.second_root == independent_root(database)
    assert merkle.verify_consistency(5, 13, proof.first_root, proof.second_root, proof.path)


@settings(max_examples=5, deadline=None)
@given(batches=st.lists(st.integers(1, 40), min_size=1, max_size=4))
def test_a_tree_grown_in_any_batches_equals_the_tree_of_all_events(
    server: Database, batches: list[int]
) -> None:
    with fresh_database(server) as database:
        ledger = build(database)
        try:
            start = 1
            for count in batches:
                register_products(ledger, count, start=start)
                start += count
                extend_tree(database, batch=7)
        finally:
            ledger.close()
        with database.connect(autocommit=True) as conn:
            proof = consistency_proof(database, conn, first=1, second=sum(batches))
            nodes = conn.execute(
                "SELECT level, node_index, hash FROM ledger_merkle_nodes"
            ).fetchall()
            leaves = conn.execute(
                "SELECT leaf_index, position FROM ledger_merkle_leaves ORDER BY leaf_index"
            ).fetchall()
        assert proof.second_root == independent_root(database)
        # Every leaf is its event in position order, and every stored subtree — exactly the
        # perfect ones — is the RFC root of the leaves it covers.
        rows = stored_rows(database)
        positions = [int(row[0]) for row in rows]
        entries = [bytes(row[7]) for row in rows]
        assert [(int(i), int(p)) for i, p in leaves] == list(enumerate(positions))
        size = len(positions)
        expected = {
            (level, index)
            for level in range(1, size.bit_length())
            for index in range(size >> level)
        }
        assert {(int(level), int(index)) for level, index, _ in nodes} == expected
        for level, index, digest in nodes:
            first = int(index) << int(level)
            assert bytes(digest) == _mth(entries[first : first + (1 << int(level))])


def build(database: Database) -> Ledger:
    from api.bootstrap import build_ledger

    return build_ledger(Settings(pool_size=1), database)


def test_a_signed_checkpoint_is_a_c2sp_note_whose_every_inclusion_proof_verifies(
    database: Database, ledger: Ledger, key: tuple[SigningKey, Path]
) -> None:
    signer, _ = key
    register_products(ledger, 11)

    signed = sign_checkpoint(database, signer)

    assert signed is not None
    head = verify_checkpoint(signed.note, signer.verifier)
    assert (head.origin, head.size, head.root_hash) == (ORIGIN, 11, independent_root(database))
    lines = signed.note.split("\n")
    assert lines[:2] == [ORIGIN, "11"] and lines[3].startswith("time ")
    assert lines[5].startswith(f"\u2014 {ORIGIN} ")
    with database.connect(autocommit=True) as conn:
        for row in stored_rows(database):
            proof = inclusion_proof(database, conn, position=row[0], tree_size=None)
            leaf = hashlib.sha256(b"\x00" + bytes(row[7])).digest()
            assert proof.leaf_hash == leaf
            assert merkle.verify_inclusion(proof.leaf_index, 11, leaf, proof.path, head.root_hash)


def test_signing_again_without_new_events_is_skipped_only_when_asked(
    database: Database, ledger: Ledger, key: tuple[SigningKey, Path]
) -> None:
    signer, _ = key
    register_products(ledger, 2)
    first = sign_checkpoint(database, signer)

    assert sign_checkpoint(database, signer, only_if_grown=True) is None
    again = sign_checkpoint(database, signer)
    assert first is not None and again is not None and again.id > first.id


def test_the_key_file_is_private_and_the_stored_tables_are_append_only(
    database: Database, ledger: Ledger, key: tuple[SigningKey, Path]
) -> None:
    signer, path = key
    register_products(ledger, 3)
    sign_checkpoint(database, signer)

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with database.connect(autocommit=True) as conn:
        stored = conn.execute("SELECT note FROM ledger_checkpoints").fetchone()
        assert stored is not None and "PRIVATE" not in stored[0]
        for table in ("ledger_checkpoints", "ledger_merkle_nodes", "ledger_merkle_leaves"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(f"DELETE FROM {table}")


# Tampering, then `ledger verify --checkpoint` as an auditor would run it ------------------


def recompute_chain(conn: Any) -> None:
    """Rewrite every prev_hash and hash from the rows' (tampered) contents, in order."""
    rows = conn.execute(
        "SELECT notification_id, originator_id, originator_version, topic, state, recorded_at,"
        " prev_hash, hash FROM ledger_events ORDER BY notification_id"
    ).fetchall()
    prev = GENESIS_HASH
    for position, oid, version, topic, state, recorded_at, old_prev, old_hash in rows:
        new = event_hash(
            prev,
            position=position,
            originator_id=oid.bytes,
            originator_version=version,
            recorded_at_us=(recorded_at - PG_EPOCH) // timedelta(microseconds=1),
            topic=topic,
            state=bytes(state),
        )
        if (bytes(old_prev), bytes(old_hash)) != (prev, new):
            conn.execute(
                "UPDATE ledger_events SET prev_hash = %s, hash = %s WHERE notification_id = %s",
                (prev, new, position),
            )
        prev = new


@pytest.fixture
def checkpointed(
    database: Database, ledger: Ledger, key: tuple[SigningKey, Path], tmp_path: Path
) -> tuple[dict[str, str], Path, Path]:
    """A ledger of 12 events with a checkpoint saved outside the database by the CLI."""
    register_products(ledger, 12)
    _, key_path = key
    env = cli_env(
        database, LEDGER_CHECKPOINT_KEY_FILE=str(key_path), LEDGER_CHECKPOINT_ORIGIN=ORIGIN
    )
    saved = tmp_path / "checkpoint.txt"
    signed = run_cli("checkpoint", "-o", str(saved), env=env)
    assert signed.returncode == 0, signed.stderr
    public = tmp_path / "verifier.pub"
    public.write_text(SigningKey(ORIGIN, key[0].private_key).verifier.text() + "\n")
    # The auditor checks with the public key only.
    auditor_env = cli_env(database, LEDGER_CHECKPOINT_ORIGIN=ORIGIN)
    return auditor_env, saved, public


def verify_with_checkpoint(env: dict[str, str], saved: Path, public: Path) -> Any:
    result = run_cli(
        "verify", "--checkpoint", str(saved), "--public-key", str(public), "--json", env=env
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout), result


def test_an_untouched_ledger_is_consistent_with_its_checkpoint_after_more_appends(
    database: Database, ledger: Ledger, checkpointed: tuple[dict[str, str], Path, Path]
) -> None:
    register_products(ledger, 3, start=100)

    code, out, _ = verify_with_checkpoint(*checkpointed)

    assert code == 0
    assert out["ok"] and out["chain_ok"]
    assert out["checkpoint"]["checkpoint_size"] == 12
    assert out["checkpoint"]["tree_size"] == 15


def test_deleting_the_newest_event_fails_as_events_removed(
    database: Database, checkpointed: tuple[dict[str, str], Path, Path]
) -> None:
    with superuser_connection(database) as conn:
        conn.execute(
            "DELETE FROM ledger_events WHERE notification_id ="
            " (SELECT max(notification_id) FROM ledger_events)"
        )

    code, out, _ = verify_with_checkpoint(*checkpointed)

    assert verify_chain(database).ok  # the shortened chain is intact on its own
    assert code == 1
    assert out["checkpoint"]["reason"] == "events-removed"
    assert "1 were removed" in out["checkpoint"]["detail"]
    text = run_cli("verify", "--checkpoint", str(checkpointed[1]), "--public-key",
                   str(checkpointed[2]), env=checkpointed[0])  # fmt: skip
    assert text.returncode == 1 and "events-removed" in text.stdout


def test_rewriting_a_middle_event_and_recomputing_later_hashes_fails_as_rewritten(
    database: Database, checkpointed: tuple[dict[str, str], Path, Path]
) -> None:
    with superuser_connection(database) as conn:
        conn.execute(
            "UPDATE ledger_events SET state = convert_to(replace(convert_from(state, 'UTF8'),"
            " 'infusion', 'INFUSION'), 'UTF8') WHERE notification_id = 6"
        )
        recompute_chain(conn)

    code, out, _ = verify_with_checkpoint(*checkpointed)

    assert verify_chain(database).ok
    assert out["chain_ok"] is True
    assert code == 1
    assert out["checkpoint"]["reason"] == "history-rewritten"


def test_reordering_two_events_and_recomputing_the_chain_fails_as_rewritten(
    database: Database, checkpointed: tuple[dict[str, str], Path, Path]
) -> None:
    with superuser_connection(database) as conn:
        for old, new in ((3, -1), (9, 3), (-1, 9)):
            conn.execute(
                "UPDATE ledger_events SET notification_id = %s WHERE notification_id = %s",
                (new, old),
            )
        recompute_chain(conn)

    code, out, _ = verify_with_checkpoint(*checkpointed)

    assert verify_chain(database).ok
    assert code == 1
    assert out["checkpoint"]["reason"] == "history-rewritten"


def test_a_checkpoint_with_an_altered_root_or_from_another_key_is_refused(
    database: Database, checkpointed: tuple[dict[str, str], Path, Path], tmp_path: Path
) -> None:
    env, saved, public = checkpointed
    text = saved.read_text()
    lines = text.split("\n")
    lines[1] = "11"  # claim a smaller tree under the same signature
    forged = tmp_path / "forged.txt"
    forged.write_text("\n".join(lines))
    other = SigningKey(ORIGIN, new_key_file(tmp_path / "other.pem")).verifier
    stranger = tmp_path / "stranger.pub"
    stranger.write_text(other.text())

    _, bad_signature, _ = verify_with_checkpoint(env, forged, public)
    _, unknown_key, _ = verify_with_checkpoint(env, saved, stranger)

    assert bad_signature["checkpoint"]["reason"] == "bad-signature"
    assert unknown_key["checkpoint"]["reason"] == "unknown-key"


def test_the_check_recomputes_the_tree_instead_of_trusting_the_stored_one(
    database: Database, ledger: Ledger, key: tuple[SigningKey, Path]
) -> None:
    signer, _ = key
    register_products(ledger, 4)
    signed = sign_checkpoint(database, signer)
    assert signed is not None
    with superuser_connection(database) as conn:
        conn.execute(
            "UPDATE ledger_events SET state = state || ' '::bytea WHERE notification_id = 2"
        )
        recompute_chain(conn)

    result = check_checkpoint(database, signed.note, signer.verifier)

    assert result.reason == "history-rewritten"
    assert result.tree_size == 4
