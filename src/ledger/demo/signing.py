"""The demo's audit story: a signing key of its own and a first signed checkpoint.

``ledger serve --demo`` signs with a demo key kept next to the embedded server's data when
no key is configured, so that the demo shows checkpoints, proofs and exports; the key's
public half is printed for ``ledger verify --checkpoint``.
"""

from __future__ import annotations

from pathlib import Path

from ledger.integrity.checkpoint_note import new_key_file
from ledger.integrity.checkpointer import configured_signing_key
from ledger.integrity.checkpoints import StoredCheckpoint, sign_checkpoint
from ledger.settings import Settings
from ledger.store.database import Database

DEMO_KEY_FILE = "demo-checkpoint-key.pem"


def with_demo_signing_key(settings: Settings) -> Settings:
    """``settings`` with a signing key: the configured one, else the demo key (created
    under the data directory the first time)."""
    if settings.checkpoint_key is not None or settings.checkpoint_key_file is not None:
        return settings
    path: Path = settings.data_dir / DEMO_KEY_FILE
    if not path.exists():
        new_key_file(path)
    return settings.model_copy(update={"checkpoint_key_file": path})


def sign_demo_checkpoint(settings: Settings, database: Database) -> StoredCheckpoint | None:
    """Sign a checkpoint over the demo data when a key is configured."""
    key = configured_signing_key(settings)
    return sign_checkpoint(database, key, only_if_grown=True) if key is not None else None


def demo_checkpoint_text(settings: Settings) -> str:
    """What ``ledger serve --demo`` says about checkpoints: the key file and verifier key."""
    key = configured_signing_key(settings)
    if key is None:
        return "Checkpoints: no signing key configured."
    return (
        f"Checkpoints are signed with the key in {settings.checkpoint_key_file or 'the env'}"
        f" (GET /v1/checkpoints/latest); verifier key:\n  {key.verifier.text()}\n"
    )
