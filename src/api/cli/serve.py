"""``ledger serve``: the HTTP API in the foreground, with the demo data and keys on request;
and the demo data loading ``ledger demo`` shares with it."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer
from rich.progress import Progress

from api.app import create_app
from api.cli.output import (
    emit,
    err,
    event_count,
    fail,
    ledger_application,
    ledger_database,
    read_settings,
)
from api.keys import IssuedKey, issue_demo_keys
from api.server import ServerError, check_address, serve_forever
from ledger.demo.dataset import demo_size, load_demo
from ledger.demo.signing import demo_checkpoint_text, with_demo_signing_key
from ledger.settings import Settings
from ledger.store.database import Database


class Scale(enum.StrEnum):
    """Size of the demo data set."""

    small = "small"
    medium = "medium"
    large = "large"


def load_demo_data(
    settings: Settings, database: Database, scale: str, seed: int, *, quiet: bool
) -> Any:
    """Load the demo data set into the ledger, with a progress bar on a terminal unless
    ``quiet``; its summary."""
    with ledger_application(settings, database) as ledger:
        if quiet or not err.is_terminal:
            return load_demo(ledger, scale=scale, seed=seed)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("loading demo data", total=demo_size(scale))
            return load_demo(
                ledger, scale=scale, seed=seed, progress=lambda n: progress.advance(task, n)
            )


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
    settings = read_settings()
    host = host or settings.host
    port = port or settings.port
    try:
        check_address(host, port)
    except ServerError as exc:
        raise fail(f"error: {exc}", 2) from None
    with ledger_database(settings) as (settings, database):
        if demo:
            settings = with_demo_signing_key(settings)  # the demo signs checkpoints
            _prepare_demo(settings, database, demo_scale)
            emit(False, {}, demo_checkpoint_text(settings))
    url = f"http://{host}:{port}"
    emit(False, {}, f"Ledger API on {url}  (documentation: {url}/docs)")
    serve_forever(create_app(settings, database=database), host=host, port=port)


def _prepare_demo(settings: Settings, database: Database, scale: Scale) -> None:
    existing = event_count(database)
    if existing:
        emit(False, {}, f"demo data: the ledger already holds {existing} events; none loaded")
    else:
        summary = load_demo_data(settings, database, scale.value, 7, quiet=False)
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
