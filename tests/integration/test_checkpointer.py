"""Checkpoints signed at intervals while the API serves, off the write path."""

from __future__ import annotations

import base64
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi.testclient import TestClient

from api.app import create_app
from conftest import register_products
from ledger.application.ledger import Ledger
from ledger.integrity.checkpoint_note import verify_checkpoint
from ledger.integrity.checkpointer import configured_signing_key
from ledger.integrity.checkpoints import latest_checkpoint
from ledger.settings import Settings
from ledger.store.database import Database


def seed_text() -> str:
    seed = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(seed).decode()


def test_the_served_app_signs_new_events_every_few_events_or_seconds(
    database: Database, ledger: Ledger
) -> None:
    settings = Settings(
        pool_size=2,
        db_schema=database.schema,
        checkpoint_key=seed_text(),
        checkpoint_origin="ledger.test/interval",
        checkpoint_every_events=1000,
        checkpoint_every_seconds=0.2,
    )
    key = configured_signing_key(settings)
    assert key is not None
    app = create_app(settings, database=database)
    with TestClient(app):
        register_products(ledger, 6)  # another process's appends: found by the timer
        deadline = time.monotonic() + 10
        latest = None
        while time.monotonic() < deadline:
            with database.connect(autocommit=True) as conn:
                latest = latest_checkpoint(conn)
            if latest is not None and latest.tree_size == 6:
                break
            time.sleep(0.1)

    assert latest is not None and latest.tree_size == 6
    assert verify_checkpoint(latest.note, key.verifier).size == 6
    with database.connect(autocommit=True) as conn:
        signed = conn.execute("SELECT count(*) FROM ledger_checkpoints").fetchone()
    assert signed is not None and signed[0] <= 3  # not one per tick: only when it grew


def test_a_key_given_inline_as_pem_or_seed_signs_under_the_configured_origin() -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    from_pem = configured_signing_key(Settings(checkpoint_key=pem.decode(), db_schema="tenant_a"))
    from_seed = configured_signing_key(Settings(checkpoint_key=seed_text()))

    assert from_pem is not None and from_pem.name == "medical-device-ledger/tenant_a"
    assert from_seed is not None and from_seed.verifier.key_id != from_pem.verifier.key_id
    assert configured_signing_key(Settings(checkpoint_key=None)) is None
