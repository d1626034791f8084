"""``ledger recall``: recalls and their evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.console import JsonFlag, emit, fail, ledger_database
from api.routers.evidence import UnknownRecall, recall_bundle
from ledger.checkpoint_note import CheckpointRejected
from ledger.checkpointer import configured_signing_key
from ledger.evidence.bundle import EvidenceNotPossible

recall_app = typer.Typer(help="Recalls: impact, notices, evidence.", no_args_is_help=True)


@recall_app.command("evidence")
def evidence(
    recall_id: Annotated[str, typer.Argument(help="The recall.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The zip file to write.")],
    as_json: JsonFlag = False,
) -> None:
    """Write the recall's evidence bundle (a zip a regulator verifies offline)."""
    with ledger_database() as (settings, database):
        try:
            bundle = recall_bundle(database, recall_id, configured_signing_key(settings))
        except CheckpointRejected as exc:
            raise fail(f"error: {exc}", 2) from None
        except (UnknownRecall, EvidenceNotPossible) as exc:
            raise fail(f"error: {exc}", 1) from None
    try:
        output.write_bytes(bundle.data)
    except OSError as exc:
        raise fail(f"error: cannot write {output}: {exc.strerror or exc}", 2) from None
    emit(
        as_json,
        {**bundle.as_json(), "path": str(output)},
        f"evidence for recall {recall_id}: {bundle.events} events, {bundle.consignees} "
        f"consignees, checkpoint {bundle.tree_size}, written to {output}\n"
        f"to verify: unzip it and run 'python3 verify_bundle.py' in its directory",
    )
