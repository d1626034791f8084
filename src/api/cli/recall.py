"""``ledger recall``: recalls and their evidence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from psycopg import Cursor

from api.cli.output import JsonFlag, emit, fail, ledger_database, ledger_read_models
from ledger.domain.recall.errors import UnknownRecall
from ledger.integrity.checkpoint_note import CheckpointRejected
from ledger.integrity.checkpointer import configured_signing_key
from ledger.integrity.evidence.bundle import EvidenceNotPossible
from projections.recall_impact import (
    impact_list,
    list_recalls,
    recall_tasks,
)
from projections.recall_impact.evidence import recall_bundle

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
        except UnknownRecall:
            raise fail(f"error: no recall {recall_id}", 1) from None
        except EvidenceNotPossible as exc:
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


@contextmanager
def _recall_reads() -> Iterator[Cursor[Any]]:
    """A cursor on read models brought up to the ledger's head first (the CLI has no
    follower running)."""
    with ledger_read_models() as (database, _ledger, projections):
        projections.catch_up(RECALL_MODELS)
        with database.connect() as conn, conn.cursor() as cursor:
            try:
                yield cursor
            except UnknownRecall as exc:
                raise fail(f"error: no recall {exc.number!r}", 1) from None


RECALL_MODELS = ("catalogue", "stock", "lot_trace", "recalls")


@recall_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List every recall with its id, number, level and status."""
    with _recall_reads() as cursor:
        found = list_recalls(cursor)
    lines = [f"{'number':<16} {'level':<5} {'status':<7} {'initiated':<26} id"]
    lines += [f"{r['number']:<16} {r['level']:<5} {r['status']:<7} {r['initiated_at']:<26} "
              f"{r['recall_id']}" for r in found]  # fmt: skip
    emit(as_json, {"recalls": found}, "\n".join(lines))


@recall_app.command("impact")
def impact(
    recall: Annotated[str, typer.Argument(help="The recall's number or id.")],
    as_json: JsonFlag = False,
) -> None:
    """The recall's impact list: where the recalled units are, consignee by consignee."""
    with _recall_reads() as cursor:
        listed = impact_list(cursor, recall)
    totals = listed["totals"]
    lines = [f"recall {listed['recall']['number']} (level {listed['recall']['level']}, "
             f"{listed['recall']['status']}): {totals['consignees']} consignees, "
             f"{totals['acknowledged']} acknowledged, {totals['units_accounted']} of "
             f"{totals['units_out']} units accounted for"]  # fmt: skip
    lines += [f"  {c['party']:<12} {c['lot_number']:<12} on hand {c['on_hand']:>5}  in transit "
              f"{c['in_transit']:>4}  used {c['used']:>4}  returned {c['returned']:>4}  "
              f"notice {c['notice']['status']}" for c in listed["consignees"]]  # fmt: skip
    emit(as_json, listed, "\n".join(lines))


@recall_app.command("tasks")
def tasks(
    recall: Annotated[str, typer.Argument(help="The recall's number or id.")],
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="As of this day (default today).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """What the recall's rules ask for and by when: done, pending or overdue."""
    day = on.date() if on else datetime.now(UTC).date()
    with _recall_reads() as cursor:
        found = recall_tasks(cursor, recall, on=day)
    lines = [f"{t['status']:<8} {t['due'] or '':<10} {t['task']} {t['consignee'] or ''}".rstrip()
             for t in found]  # fmt: skip
    emit(as_json, {"on": day.isoformat(), "tasks": found}, "\n".join(lines))
