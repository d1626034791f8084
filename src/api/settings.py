"""Settings of the HTTP API, read from ``LEDGER_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class ApiSettings(BaseSettings):
    """Limits and address of the HTTP API.

    Attributes:
        max_body_bytes: largest request body accepted (``LEDGER_MAX_BODY_BYTES``); larger
            bodies are refused with 413 before they are parsed.
        max_json_depth: deepest nesting of JSON arrays and objects accepted in a request
            body (``LEDGER_MAX_JSON_DEPTH``); deeper bodies are refused with 422.
        host: address ``ledger serve`` listens on (``LEDGER_HOST``).
        port: port ``ledger serve`` listens on (``LEDGER_PORT``).
    """

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    max_body_bytes: int = Field(default=10 * MIB, ge=0)
    max_json_depth: int = Field(default=32, ge=1, le=1000)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
