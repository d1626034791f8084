"""The ``ledger`` command line."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from api.app import create_app
from api.bootstrap import build_ledger
from api.cli.audit import audit_app, check_against_checkpoint, checkpoint, proof_app
from api.cli.bench import bench_app
from api.cli.credit import credit_app
from api.cli.keys import keys_app
from api.cli.output import JsonFlag, emit, err, event_count, fail, ledger_database
from api.cli.projections import projections_app, replay
from api.cli.recall import recall_app
from api.keys import IssuedKey, issue_demo_keys
from api.server import ServerError, check_address, serve_forever
from api.settings import ApiSettings
from ledger.application.ledger import Ledger
from ledger.demo.dataset import demo_size, load_demo
from ledger.demo.signing import (
    demo_checkpoint_text,
    sign_demo_checkpoint,
    with_demo_signing_key,
)
from ledger.integrity.checkpoint_verify import CheckpointCheck
from ledger.settings import Settings
from ledger.store.database import Database
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


class Scale(enum.StrEnum):
    """Size of the demo data set."""

    small = "small"
    medium = "medium"
    large = "large"


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
        summary = _load_demo(settings, database, scale.value, seed, quiet=as_json)
        sign_demo_checkpoint(settings, database)
        emit(
            as_json,
            vars(summary),
            f"demo data loaded ({summary.scale}, seed {summary.seed}): "
            f"{summary.products} products, {summary.parties} parties, {summary.events} events",
        )


def _load_demo(
    settings: Settings, database: Database, scale: str, seed: int, *, quiet: bool
) -> Any:
    ledger = build_ledger(settings, database)
    try:
        return _load_with_progress(ledger, scale, seed, quiet=quiet)
    finally:
        ledger.close()


def _load_with_progress(ledger: Ledger, scale: str, seed: int, *, quiet: bool) -> Any:
    if quiet or not err.is_terminal:
        return load_demo(ledger, scale=scale, seed=seed)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("loading demo data", total=demo_size(scale))
        return load_demo(
            ledger, scale=scale, seed=seed, progress=lambda n: progress.advance(task, n)
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


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo data if empty; print demo keys.")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port.")] = None,
    demo_scale: Annotated[
        Scale, typer.Option(help="Size of the demo data --demo loads.")
    ] = Scale.medium,
) -> None:
    """Serve the HTTP API and its docs (/docs) until interrupted."""
    try:
        api_settings = ApiSettings()
    except ValueError as exc:
        raise fail(f"error: invalid LEDGER_* setting: {exc}".splitlines()[0], 2) from None
    host = host or api_settings.host
    port = port or api_settings.port
    try:
        check_address(host, port)
    except ServerError as exc:
        raise fail(f"error: {exc}", 2) from None
    with ledger_database() as (settings, database):
        if demo:
            settings = with_demo_signing_key(settings)  # the demo signs checkpoints
            _prepare_demo(settings, database, demo_scale)
            emit(False, {}, demo_checkpoint_text(settings))
    url = f"http://{host}:{port}"
    emit(False, {}, f"Ledger API on {url}  (documentation: {url}/docs)")
    serve_forever(create_app(settings, api_settings, database=database), host=host, port=port)


def _prepare_demo(settings: Settings, database: Database, scale: Scale) -> None:
    existing = event_count(database)
    if existing:
        emit(False, {}, f"demo data: the ledger already holds {existing} events; none loaded")
    else:
        summary = _load_demo(settings, database, scale.value, 7, quiet=False)
        emit(
            False,
            {},
            f"demo data loaded: {summary.products} products, {summary.parties} parties, "
            f"{summary.lots} lots, {summary.events} events",
        )
    with database.connect(autocommit=True) as conn:
        keys = issue_demo_keys(conn)
    emit(False, {}, _demo_keys_text(keys))


def _demo_keys_text(keys: list[IssuedKey]) -> str:
    lines = [
        "",
        "Demo API keys, one per role (shown only now; earlier demo keys are revoked).",
        "Send one as 'Authorization: Bearer <key>':",
    ]
    for issued in keys:
        owner = f"   (party {issued.key.party})" if issued.key.party else ""
        lines.append(f"  {issued.key.role.value:<10} {issued.token}{owner}")
    return "\n".join([*lines, ""])


def main() -> None:
    """Entry point of the ``ledger`` console script."""
    app()
