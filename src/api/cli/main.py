"""The ``ledger`` command line: the command groups, and the commands every ledger needs
(``migrate``, ``demo``, ``verify``; ``serve`` lives in ``api.cli.serve``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.audit import audit_app, check_against_checkpoint, checkpoint, proof_app
from api.cli.bench import bench_app
from api.cli.credit import credit_app
from api.cli.keys import keys_app
from api.cli.output import JsonFlag, emit, event_count, fail, ledger_database
from api.cli.projections import projections_app, replay
from api.cli.recall import recall_app
from api.cli.serve import Scale, load_demo_data, serve
from ledger.demo.signing import sign_demo_checkpoint
from ledger.integrity.checkpoint_verify import CheckpointCheck
from ledger.store.verify import verify_chain

app = typer.Typer(
    help="Event-sourced traceability ledger for medical-device distribution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(bench_app, name="bench")
app.add_typer(keys_app, name="keys")
app.add_typer(credit_app, name="credit")
app.add_typer(projections_app, name="projections")
app.command("replay")(replay)
app.add_typer(proof_app, name="proof")
app.add_typer(audit_app, name="audit")
app.add_typer(recall_app, name="recall")
app.command("checkpoint")(checkpoint)


@app.command()
def migrate(as_json: JsonFlag = False) -> None:
    """Apply pending database migrations."""
    with ledger_database() as (_settings, database):
        # ledger_database already applied them; report the schema's state.
        emit(as_json, {"ok": True, "schema": database.schema}, f"migrated: {database.display}")


@app.command()
def demo(
    scale: Annotated[Scale, typer.Option(help="How much data to load.")] = Scale.small,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic generator.")] = 7,
    as_json: JsonFlag = False,
) -> None:
    """Load deterministic demo data into an empty ledger."""
    with ledger_database() as (settings, database):
        existing = event_count(database)
        if existing:
            raise fail(
                f"error: the ledger already holds {existing} events; "
                "demo data loads only into an empty ledger",
                1,
            )
        summary = load_demo_data(settings, database, scale.value, seed, quiet=as_json)
        sign_demo_checkpoint(settings, database)
        emit(
            as_json,
            vars(summary),
            f"demo data loaded ({summary.scale}, seed {summary.seed}): "
            f"{summary.products} products, {summary.parties} parties, {summary.events} events",
        )


@app.command()
def verify(
    checkpoint_file: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Then check the history against this saved checkpoint."),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(help="Verifier key of the checkpoint (default: the configured key)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recompute the events' hash chain; exit 1 at the first break."""
    with ledger_database() as (settings, database):
        report = verify_chain(database)
        checked = checkpoint_file and check_against_checkpoint(
            settings, database, checkpoint_file, public_key
        )
    if checked:
        _report_checkpoint(report.ok, checked, as_json=as_json)
        return
    out = report.as_json()
    if report.ok:
        text = (
            f"OK: {report.events} events, chain intact, head {report.head_hash.hex()[:16]}…"
            f" ({out['events_per_second']:,.0f} events/s)"
        )
    else:
        text = (
            f"BROKEN at position {out['first_bad_position']}: {out['reason']} "
            f"({out['detail']}); {len(report.findings)} finding(s) in {report.events} events"
        )
    emit(as_json, out, text)
    if not report.ok:
        raise typer.Exit(1)


def _report_checkpoint(chain_ok: bool, checked: CheckpointCheck, *, as_json: bool) -> None:
    chain = "chain intact" if chain_ok else "chain BROKEN (see 'ledger verify')"
    text = (
        f"OK: {chain}; {checked.detail}"
        if checked.ok and chain_ok
        else (f"FAILED: {chain}; checkpoint: {checked.reason or 'ok'} ({checked.detail})")
    )
    emit(as_json, {"ok": chain_ok and checked.ok, "chain_ok": chain_ok,
                   "checkpoint": checked.as_json()}, text)  # fmt: skip
    if not (chain_ok and checked.ok):
        raise typer.Exit(1)


app.command()(serve)  # after verify: ``ledger --help`` lists the commands in this order


def main() -> None:
    """Entry point of the ``ledger`` console script."""
    app()
