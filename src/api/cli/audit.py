"""Auditors' commands: the checkpoint key, signing, proofs, exports, checking a checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg
import typer

from api.cli.keys import keys_app
from api.cli.output import JsonFlag, emit, fail, ledger_database
from ledger.integrity.audit_export import ExportNotPossible, export_checkpoint, write_export
from ledger.integrity.checkpoint_note import (
    CheckpointRejected,
    SigningKey,
    VerifierKey,
    new_key_file,
    read_verifier_key,
)
from ledger.integrity.checkpoint_verify import CheckpointCheck, check_checkpoint
from ledger.integrity.checkpointer import checkpoint_origin, configured_signing_key
from ledger.integrity.checkpoints import (
    ProofNotPossible,
    consistency_proof,
    inclusion_proof,
    sign_checkpoint,
)
from ledger.settings import Settings
from ledger.store.database import Database

Proof = TypeVar("Proof")
proof_app = typer.Typer(help="RFC 9162 proofs over the ledger's Merkle tree.", no_args_is_help=True)
audit_app = typer.Typer(help="Evidence for auditors.", no_args_is_help=True)
KEY_FILE_NAME = "checkpoint-key.pem"


def _signing_key(settings: Settings) -> SigningKey | None:
    try:
        return configured_signing_key(settings)
    except CheckpointRejected as exc:
        raise fail(f"error: {exc}", 2) from None


@keys_app.command("checkpoint-init")
def checkpoint_init(
    path: Annotated[
        Path | None,
        typer.Option(help="Where to write the private key (default: LEDGER_CHECKPOINT_KEY_FILE, "
                     "else checkpoint-key.pem in the data directory)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Create the Ed25519 key that signs checkpoints (a file readable by its owner only)."""
    try:
        settings = Settings()
        path = path or settings.checkpoint_key_file or settings.data_dir / KEY_FILE_NAME
        key = SigningKey(checkpoint_origin(settings), new_key_file(path))
    except FileExistsError:
        raise fail(f"error: {path} exists; a signing key is never overwritten", 1) from None
    except (ValueError, CheckpointRejected, OSError) as exc:
        raise fail(f"error: {exc}".splitlines()[0], 2) from None
    verifier = key.verifier.text()
    public_path = path.with_name(path.name + ".pub")
    public_path.write_text(verifier + "\n")
    emit(
        as_json,
        {"path": str(path), "public_key_path": str(public_path), "verifier_key": verifier},
        f"signing key written to {path} (mode 0600); set LEDGER_CHECKPOINT_KEY_FILE={path}\n"
        f"verifier key (also in {public_path}; give it to auditors):\n{verifier}",
    )


def checkpoint(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also save the checkpoint text here.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Sign a checkpoint of the whole ledger now and print it."""
    with ledger_database() as (settings, database):
        key = _signing_key(settings)
        if key is None:
            raise fail(
                "error: no checkpoint key: run 'ledger keys checkpoint-init' and set "
                "LEDGER_CHECKPOINT_KEY_FILE",
                2,
            )
        signed = sign_checkpoint(database, key)
    assert signed is not None
    if output is not None:
        output.write_text(signed.note)
    emit(as_json, signed.as_json(), signed.note.rstrip("\n"))


def _proved(prove: Callable[[Database, psycopg.Connection[Any]], Proof]) -> Proof:
    """A proof over the ledger's Merkle tree; one that cannot be given is one line, exit 1."""
    with ledger_database() as (_settings, database), database.connect(autocommit=True) as conn:
        try:
            return prove(database, conn)
        except ProofNotPossible as exc:
            raise fail(f"error: {exc}", 1) from None


@proof_app.command("inclusion")
def inclusion(
    position: Annotated[int, typer.Option(min=1, help="The event's position.")],
    tree_size: Annotated[
        int | None, typer.Option(min=1, help="Tree size (default: the latest checkpoint's).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the audit path of the event at POSITION."""
    proof = _proved(
        lambda database, conn: inclusion_proof(
            database, conn, position=position, tree_size=tree_size
        )
    )
    out = proof.as_json()
    lines = [f"event {position} is leaf {proof.leaf_index} of {proof.tree_size}",
             f"leaf hash {out['leaf_hash']}", f"root {out['root_hash']}", "path:",
             *out["inclusion_path"]]  # fmt: skip
    emit(as_json, out, "\n".join(lines))


@proof_app.command("consistency")
def consistency(
    first: Annotated[int, typer.Option("--from", min=1, help="The older tree size.")],
    second: Annotated[
        int | None, typer.Option("--to", min=1, help="The newer size (default: latest).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print the proof that the tree of size FROM is a prefix of the one of size TO."""
    proof = _proved(
        lambda database, conn: consistency_proof(database, conn, first=first, second=second)
    )
    out = proof.as_json()
    lines = [f"tree {proof.first} root {out['from_root_hash']}",
             f"tree {proof.second} root {out['to_root_hash']}", "path:",
             *out["consistency_path"]]  # fmt: skip
    emit(as_json, out, "\n".join(lines))


@audit_app.command("export")
def export(
    first: Annotated[int, typer.Option("--from", min=1, help="The first position.")],
    last: Annotated[int, typer.Option("--to", min=1, help="The last position.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The JSON Lines file.")],
    as_json: JsonFlag = False,
) -> None:
    """Write events FROM..TO as JSON Lines with the checkpoint and proofs covering them."""
    with ledger_database() as (settings, database), database.connect(autocommit=True) as conn:
        found = export_checkpoint(
            database, conn, first=first, last=last, signing_key=lambda: _signing_key(settings)
        )
        if found is None:
            raise fail("error: no checkpoint has been signed yet ('ledger checkpoint')", 1)
        with output.open("wb") as file:
            try:
                summary = write_export(conn, file.write, first=first, last=last, checkpoint=found)
            except ExportNotPossible as exc:
                raise fail(f"error: {exc}", 1) from None
    emit(
        as_json,
        {**summary.as_json(), "path": str(output)},
        f"{summary.events} events ({summary.first_position}..{summary.last_position}) written "
        f"to {output}, covered by the checkpoint of {summary.tree_size} events",
    )


def check_against_checkpoint(
    settings: Settings, database: Database, checkpoint_file: Path, public_key: Path | None
) -> CheckpointCheck:
    """``ledger verify --checkpoint``: the table's history against a saved checkpoint."""
    try:
        text = checkpoint_file.read_text()
    except OSError as exc:
        raise fail(f"error: cannot read {checkpoint_file}: {exc.strerror or exc}", 2) from None
    return check_checkpoint(database, text, _verifier(settings, public_key))


def _verifier(settings: Settings, public_key: Path | None) -> VerifierKey:
    try:
        if public_key is not None:
            return read_verifier_key(public_key.read_text(), name=checkpoint_origin(settings))
    except OSError as exc:
        raise fail(f"error: cannot read {public_key}: {exc.strerror or exc}", 2) from None
    except CheckpointRejected as exc:
        raise fail(f"error: {public_key}: {exc}", 2) from None
    key = _signing_key(settings)
    if key is None:
        raise fail(
            "error: no public key to check the checkpoint with: give --public-key FILE "
            "or configure LEDGER_CHECKPOINT_KEY_FILE",
            2,
        )
    return key.verifier
