"""``ledger projections``: how far the read models are, and rebuilding them from position 0."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import Progress

from api.bootstrap import build_ledger, build_projections
from api.console import JsonFlag, emit, err, fail, ledger_database
from projections.runner import Projections

projections_app = typer.Typer(
    help="Read models: their positions, and rebuilding them.", no_args_is_help=True
)


@contextmanager
def _projections() -> Iterator[Projections]:
    with ledger_database() as (settings, database):
        ledger = build_ledger(settings, database)
        try:
            yield build_projections(database, ledger)
        finally:
            ledger.close()


@projections_app.command()
def status(as_json: JsonFlag = False) -> None:
    """Show each read model's position, the ledger's head, and the lag between them."""
    with _projections() as projections:
        found = projections.status()
    models = [{"name": s.name, "position": s.position, "head": s.head, "lag": s.lag} for s in found]
    lines = [f"{'model':<12} {'position':>10} {'head':>10} {'lag':>10}"]
    lines += [f"{m['name']:<12} {m['position']:>10} {m['head']:>10} {m['lag']:>10}" for m in models]
    emit(as_json, {"models": models}, "\n".join(lines))


@projections_app.command()
def rebuild(
    name: Annotated[
        str | None, typer.Argument(help="The read model to rebuild (all when omitted).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild read models from position 0 into fresh tables, then switch over."""
    with _projections() as projections:
        if name is not None and name not in projections.models:
            known = ", ".join(sorted(projections.models))
            raise fail(f"error: no read model called {name!r} (known: {known})", 1)
        names = [name] if name is not None else list(projections.models)
        rebuilt = [_rebuild(projections, model, quiet=as_json) for model in names]
    text = "\n".join(
        f"rebuilt {r['name']}: position {r['position']} in {r['seconds']:.2f} s" for r in rebuilt
    )
    emit(as_json, {"rebuilt": rebuilt}, text)


def _rebuild(projections: Projections, name: str, *, quiet: bool) -> dict[str, object]:
    started = time.perf_counter()
    if quiet or not err.is_terminal:
        position = projections.rebuild(name)
    else:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"rebuilding {name}", total=None)
            position = projections.rebuild(
                name, progress=lambda done, head: progress.update(task, completed=done, total=head)
            )
    seconds = round(time.perf_counter() - started, 3)
    return {"name": name, "position": position, "seconds": seconds}
