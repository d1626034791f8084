"""The ledger's one settings object, read from ``LEDGER_*`` environment variables."""

from __future__ import annotations

import importlib.resources
import re
from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MIB = 1024 * 1024


def shipped_migrations() -> Path:
    """The SQL migrations that come with the package, as the folder ``ledger/migrations``.

    A wheel carries the files there; in a checkout (an editable install) it is a link to the
    repository's top-level ``migrations/`` folder.
    """
    shipped = importlib.resources.files("ledger") / "migrations"
    # yoyo reads a folder on disk, which an installed wheel and a checkout both are.
    return Path(str(shipped))


class Settings(BaseSettings):
    """Where the ledger keeps its data, how it connects, and how ``ledger serve`` serves it.

    Attributes:
        database_url: an external PostgreSQL server (``postgresql://...``); when unset the
            ledger starts its embedded server.
        data_dir: directory of the embedded server's data (``LEDGER_DATA_DIR``).
        db_schema: PostgreSQL schema holding the ledger's tables (one ledger per schema).
        pool_size: connections kept open by the application.
        migrations_dir: directory of the SQL migrations (default: those shipped with the
            package, ``shipped_migrations()``).
        statement_timeout_ms: longest a statement of the application or of the API's reads
            may run (``LEDGER_STATEMENT_TIMEOUT_MS``; 0 means no limit); past it the
            statement is cancelled and an API request gets 503 with Retry-After.
        pool_timeout_seconds: longest a command or query waits for a free connection
            (``LEDGER_POOL_TIMEOUT_SECONDS``); past it, 503 with Retry-After.
        checkpoint_key_file: PEM file of the Ed25519 key that signs checkpoints.
        checkpoint_key: the same key given inline (PEM text or base64 of its 32-byte seed).
        checkpoint_origin: the log's name in its checkpoints (default ``ledger/<schema>``).
        checkpoint_every_events: sign a checkpoint after this many new events, or
        checkpoint_every_seconds: after this many seconds when there are new events.
        recall_holidays: public holidays recall deadlines skip (a JSON list of dates).
        recall_working_weekend_days: weekend days worked in their place (a JSON list).
        host: address ``ledger serve`` listens on (``LEDGER_HOST``).
        port: port ``ledger serve`` listens on (``LEDGER_PORT``).
        max_body_bytes: largest request body the API accepts (``LEDGER_MAX_BODY_BYTES``);
            larger bodies are refused with 413 before they are parsed.
        max_json_depth: deepest nesting of JSON arrays and objects accepted in a request
            body (``LEDGER_MAX_JSON_DEPTH``); deeper bodies are refused with 422.
        credit_sweep_seconds: how often ``ledger serve`` runs the dunning sweep
            (``LEDGER_CREDIT_SWEEP_SECONDS``; 0: never).
    """

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path(".ledger")
    db_schema: str = Field(default="public")
    pool_size: int = Field(default=5, ge=1, le=100)
    migrations_dir: Path = Field(default_factory=shipped_migrations)
    checkpoint_key_file: Path | None = None
    checkpoint_key: SecretStr | None = None
    checkpoint_origin: str | None = None
    checkpoint_every_events: int = Field(default=1000, ge=1)
    checkpoint_every_seconds: float = Field(default=60.0, gt=0)
    statement_timeout_ms: int = Field(default=5000, ge=0)
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    app_database_url: str | None = None
    recall_holidays: list[date] = Field(default_factory=list)
    recall_working_weekend_days: list[date] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=10 * MIB, ge=0)
    max_json_depth: int = Field(default=32, ge=1, le=1000)
    credit_sweep_seconds: float = Field(default=86_400.0, ge=0)

    @field_validator("db_schema")
    @classmethod
    def _schema_is_plain_identifier(cls, value: str) -> str:
        # The name is used in trigger settings and search paths, so keep it simple.
        if not _SCHEMA_NAME.match(value):
            raise ValueError("schema must be lower-case letters, digits and underscores")
        return value

    @field_validator("database_url", "app_database_url")
    @classmethod
    def _blank_url_means_embedded(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None
