"""Nothing a user sees changes by accident: the OpenAPI document and every command's
``--help`` equal the committed snapshots in ``tests/snapshots/``.

A change of the surface that is meant updates the snapshots with
``LEDGER_UPDATE_SNAPSHOTS=1 pytest tests/test_public_surface.py`` and shows in review as a
diff of them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

SNAPSHOTS = Path(__file__).parent / "snapshots"
sys.path.insert(0, str(SNAPSHOTS))

import surface  # noqa: E402


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    return surface.surface()


def _compare(name: str, current: Any) -> None:
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("LEDGER_UPDATE_SNAPSHOTS") == "1":
        path.write_text(json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    expected = json.loads(path.read_text())
    if isinstance(expected, dict):
        assert sorted(current) == sorted(expected)
        for key in expected:
            assert current[key] == expected[key], key
    assert current == expected


def test_openapi_document_is_unchanged(rendered: dict[str, Any]) -> None:
    _compare("openapi", rendered["openapi"])


def test_every_command_help_is_unchanged(rendered: dict[str, Any]) -> None:
    assert "ledger serve" in rendered["help"]
    _compare("cli_help", rendered["help"])
