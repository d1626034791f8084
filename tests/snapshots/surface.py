"""What users see of the ledger without data: the OpenAPI document and every command's help.

Run as a script to print both as one JSON document (``python tests/snapshots/surface.py``);
the test compares that with the committed snapshot. The help texts are rendered in a
process of their own, at a fixed width and without colour, so that they do not depend on
the terminal the tests run in.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from typing import Any

WIDTH = "100"


def command_app() -> Any:
    """The typer app behind the installed ``ledger`` console script."""
    (script,) = entry_points(group="console_scripts", name="ledger")
    return importlib.import_module(script.module).app


def help_texts() -> dict[str, str]:
    """``--help`` of the ``ledger`` command and of every group and command under it."""
    import typer.main
    from typer.testing import CliRunner

    app = command_app()
    root = typer.main.get_command(app)
    runner = CliRunner()
    texts: dict[str, str] = {}

    def walk(command: Any, path: list[str]) -> None:
        result = runner.invoke(app, [*path, "--help"], prog_name="ledger")
        texts[" ".join(["ledger", *path])] = result.output
        if hasattr(command, "commands"):
            for name in sorted(command.commands):
                walk(command.commands[name], [*path, name])

    walk(root, [])
    return texts


def openapi_document() -> dict[str, Any]:
    """The HTTP API's OpenAPI document, as ``/openapi.json`` serves it."""
    app_module = importlib.import_module("api.app")
    document: dict[str, Any] = app_module.create_app().openapi()
    return document


def surface() -> dict[str, Any]:
    """Both parts of the surface, rendered in a fresh process at a fixed width."""
    env = {
        **os.environ,
        "TERMINAL_WIDTH": WIDTH,
        "COLUMNS": WIDTH,
        "NO_COLOR": "1",
        "_TYPER_FORCE_DISABLE_TERMINAL": "1",
    }
    out = subprocess.run(
        [sys.executable, __file__], env=env, capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


if __name__ == "__main__":
    json.dump(
        {"openapi": openapi_document(), "help": help_texts()},
        sys.stdout,
        indent=1,
        sort_keys=True,
        ensure_ascii=False,
    )
