"""One settings object: the HTTP API's address and limits and the dunning sweep's interval are
read, defaulted and checked by ``ledger.settings.Settings`` like every other setting; the
migrations default to those shipped with the package."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ledger.settings import Settings, shipped_migrations

REPO = Path(__file__).resolve().parents[2]
SERVE_VARIABLES = (
    "LEDGER_HOST",
    "LEDGER_PORT",
    "LEDGER_MAX_BODY_BYTES",
    "LEDGER_MAX_JSON_DEPTH",
    "LEDGER_CREDIT_SWEEP_SECONDS",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in SERVE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_api_and_sweep_settings_default_as_the_readme_says(
    clean_env: pytest.MonkeyPatch,
) -> None:
    settings = Settings()

    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert (settings.max_body_bytes, settings.max_json_depth) == (10_485_760, 32)
    assert settings.credit_sweep_seconds == 86_400


def test_the_api_and_sweep_settings_are_read_from_ledger_variables(
    clean_env: pytest.MonkeyPatch,
) -> None:
    for name, value in zip(SERVE_VARIABLES, ("0.0.0.0", "8443", "4096", "5", "0"), strict=True):
        clean_env.setenv(name, value)

    settings = Settings()

    assert (settings.host, settings.port) == ("0.0.0.0", 8443)
    assert (settings.max_body_bytes, settings.max_json_depth) == (4096, 5)
    assert settings.credit_sweep_seconds == 0


@pytest.mark.parametrize(
    "values",
    [
        {"port": 0},
        {"port": 65536},
        {"max_body_bytes": -1},
        {"max_json_depth": 0},
        {"max_json_depth": 1001},
        {"credit_sweep_seconds": -1},
    ],
    ids=lambda values: "=".join(map(str, next(iter(values.items())))),
)
def test_api_and_sweep_settings_out_of_range_are_refused(
    clean_env: pytest.MonkeyPatch, values: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)


def test_the_migrations_default_to_the_ones_shipped_with_the_package() -> None:
    shipped = shipped_migrations()

    assert Settings().migrations_dir == shipped
    assert shipped == Path(str(importlib.resources.files("ledger") / "migrations"))
    assert {path.name for path in shipped.glob("*.sql")} == {
        path.name for path in (REPO / "migrations").glob("*.sql")
    }
