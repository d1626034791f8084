"""``ledger projections`` (positions, rebuilds) and ``ledger replay`` (read models as of a past
point, in a schema of their own)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import Progress

from api.cli.output import JsonFlag, emit, err, fail, ledger_read_models
from projections.runner import Projections, Replay

projections_app = typer.Typer(
    help="Read models: their positions, and rebuilding them.", no_args_is_help=True
)


@projections_app.command()
def status(as_json: JsonFlag = False) -> None:
    """Show each read model's position, the ledger's head, and the lag between them."""
    with ledger_read_models() as (_database, _ledger, projections):
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
    with ledger_read_models() as (_database, _ledger, projections):
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


def replay(
    to_position: Annotated[
        int | None, typer.Option(min=0, help="Fold the events up to this position.")
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
            help="Fold every event recorded by this time (UTC unless an offset is given).",
        ),
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option(help="A read model to replay (repeatable; default all).")
    ] = None,
    schema: Annotated[
        str | None, typer.Option(help="Schema to create for the replay (default replay_<pos>).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild read models as of a past position or time into a schema of their own."""
    if (to_position is None) == (as_of is None):
        raise fail("error: give exactly one of --to-position and --as-of", 1)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    with ledger_read_models() as (_database, _ledger, projections):
        names = model or list(projections.models)
        unknown = sorted(set(names) - set(projections.models))
        if unknown:
            known = ", ".join(sorted(projections.models))
            raise fail(f"error: no read model called {unknown[0]!r} (known: {known})", 1)
        target = schema or _replay_schema(projections.database.schema, to_position, as_of)
        if not _SCHEMA_NAME.fullmatch(target):
            raise fail(f"error: --schema {target!r} is not a plain lower-case name", 1)
        if _schema_exists(projections, target):
            raise fail(f"error: schema {target!r} already exists; name another with --schema", 1)
        started = time.perf_counter()
        done = _replay(projections, names, target, to_position, as_of, quiet=as_json)
        seconds = time.perf_counter() - started
    payload = {
        "schema": done.schema,
        "models": list(done.models),
        "position": done.position,
        "head": done.head,
        "to_position": to_position,
        "as_of": as_of.isoformat() if as_of else None,
        "seconds": round(seconds, 3),
        "events_per_s": round(done.position / seconds, 1) if seconds else None,
    }
    emit(
        as_json,
        payload,
        f"replayed {', '.join(done.models)} to position {done.position} (head {done.head}) "
        f"into schema {done.schema} in {seconds:.2f} s; query it with "
        f"SET search_path TO {done.schema}, {projections.database.schema}",
    )


_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _replay_schema(ledger_schema: str, to_position: int | None, as_of: datetime | None) -> str:
    """``replay_<position or time>``, prefixed by the ledger's schema unless it is public."""
    if to_position is not None:
        point = str(to_position)
    else:
        assert as_of is not None
        point = as_of.astimezone(UTC).strftime("%Y%m%dt%H%M%S")
    prefix = "" if ledger_schema == "public" else f"{ledger_schema}_"
    return f"{prefix}replay_{point}"[:63]


def _schema_exists(projections: Projections, schema: str) -> bool:
    with projections.database.connect() as conn:
        row = conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (schema,)).fetchone()
    return bool(row and row[0])


def _replay(
    projections: Projections,
    names: list[str],
    schema: str,
    to_position: int | None,
    as_of: datetime | None,
    *,
    quiet: bool,
) -> Replay:
    if quiet or not err.is_terminal:
        return projections.replay(names, schema=schema, to_position=to_position, as_of=as_of)
    with Progress(console=err, transient=True) as progress:
        tasks = {name: progress.add_task(f"replaying {name}", total=None) for name in names}
        return projections.replay(
            names,
            schema=schema,
            to_position=to_position,
            as_of=as_of,
            progress=lambda name, done, end: progress.update(
                tasks[name], completed=done, total=end
            ),
        )
