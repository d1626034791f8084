"""Who may call the auditors' routes, and a request each accepts.

Used by ``test_api_access``: ``AUDIT_ALLOWED`` joins its table and ``audit_request`` builds
the requests (after signing a checkpoint, which most of them need) for its matrix.
Checkpoints, their key and consistency proofs are public statements: every role. Inclusion
proofs and aggregate states name any party's events: not partners. Exports: auditors and
regulators.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.keys import Role
from ledger.domain.values import Gtin, product_id
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpoints import latest_checkpoint, sign_checkpoint
from ledger.store.database import Database

EVENT_READERS = frozenset({Role.OPERATOR, Role.FINANCE, Role.AUDITOR, Role.REGULATOR})
AUDIT_ALLOWED: dict[tuple[str, str], frozenset[Any]] = {
    ("GET", "/v1/checkpoints/latest"): frozenset(Role),
    ("GET", "/v1/checkpoints/public-key"): frozenset(Role),
    ("GET", "/v1/proofs/consistency"): frozenset(Role),
    ("GET", "/v1/proofs/inclusion"): EVENT_READERS,
    ("GET", "/v1/audit/export"): frozenset({Role.AUDITOR, Role.REGULATOR}),
    ("GET", "/v1/aggregates/{aggregate_id}"): EVENT_READERS,
}
TEST_KEY = SigningKey("ledger.test/api", Ed25519PrivateKey.generate())


def ensure_checkpoint(database: Database) -> None:
    """Sign a checkpoint of the ledger unless one is stored."""
    with database.connect(autocommit=True) as conn:
        if latest_checkpoint(conn) is None:
            sign_checkpoint(database, TEST_KEY)


def audit_request(world: Any, method: str, path: str) -> tuple[str, None] | None:
    """The URL of a request the route accepts, or None when the route is not an audit one."""
    if (method, path) not in AUDIT_ALLOWED:
        return None
    ensure_checkpoint(world.database)
    product = product_id(Gtin(world.gtin))
    return {
        "/v1/proofs/inclusion": "/v1/proofs/inclusion?position=1",
        "/v1/proofs/consistency": "/v1/proofs/consistency?from=1",
        "/v1/audit/export": "/v1/audit/export?from_position=1&to_position=2",
        "/v1/aggregates/{aggregate_id}": f"/v1/aggregates/{product}?version=1",
    }.get(path, path), None
