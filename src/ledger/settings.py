"""The ledger's one settings object, read from ``LEDGER_*`` environment variables."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class Settings(BaseSettings):
    """Where the ledger keeps its data and how it connects.

    Attributes:
        database_url: an external PostgreSQL server (``postgresql://...``); when unset the
            ledger starts its embedded server.
        data_dir: directory of the embedded server's data (``LEDGER_DATA_DIR``).
        db_schema: PostgreSQL schema holding the ledger's tables (one ledger per schema).
        pool_size: connections kept open by the application.
        migrations_dir: directory of the SQL migrations.
    """

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path(".ledger")
    db_schema: str = Field(default="public")
    pool_size: int = Field(default=5, ge=1, le=100)
    migrations_dir: Path = _MIGRATIONS_DIR

    @field_validator("db_schema")
    @classmethod
    def _schema_is_plain_identifier(cls, value: str) -> str:
        # The name is used in trigger settings and search paths, so keep it simple.
        if not _SCHEMA_NAME.match(value):
            raise ValueError("schema must be lower-case letters, digits and underscores")
        return value

    @field_validator("database_url")
    @classmethod
    def _blank_url_means_embedded(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None
