"""API keys: issued with a role (and a party, for partners), stored hashed, revocable.

A key reads ``ldg_<id>_<secret>``. The id names the key in lists, logs and command
records; only a SHA-256 of the secret is stored, so a key is shown once, when issued.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

KEY_PREFIX = "ldg"
_KEY = re.compile(r"ldg_([a-z0-9]{1,32})_([A-Za-z0-9_-]{20,128})")
_PARTY_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COLUMNS = "id, name, role, party_code, created_at, revoked_at"


class Role(enum.StrEnum):
    """What an API key may do.

    ``operator`` records master data and movements; ``finance`` works with credit, invoices
    and payments; ``auditor`` and ``regulator`` only read; ``partner`` is a party of the
    channel that sees only its own data.
    """

    OPERATOR = "operator"
    FINANCE = "finance"
    AUDITOR = "auditor"
    REGULATOR = "regulator"
    PARTNER = "partner"


READ_ONLY_ROLES = frozenset({Role.AUDITOR, Role.REGULATOR})


class KeyRequestRefused(Exception):
    """Raised when a key cannot be issued or revoked as asked; the message says why."""


@dataclass(frozen=True)
class ApiKey:
    """An issued API key, without its secret.

    Attributes:
        id: the key's public id (the middle part of the key).
        name: who holds it; recorded as the actor of the commands it sends.
        role: what it may do.
        party: the party code a partner key belongs to (None for other roles).
        created_at: when it was issued.
        revoked_at: when it was revoked (None while it is valid).
    """

    id: str
    name: str
    role: Role
    party: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """The key's public facts, JSON-ready."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "party": self.party,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class IssuedKey:
    """A newly issued key: its facts and the key itself, which is never stored."""

    key: ApiKey
    token: str


def _secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _from_row(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        party=row["party_code"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def _checked_request(role: Role, party: str | None, name: str | None, key_id: str) -> str:
    if role is Role.PARTNER and not party:
        raise KeyRequestRefused("a partner key needs the party it belongs to (--party CODE)")
    if role is not Role.PARTNER and party:
        raise KeyRequestRefused(f"only partner keys belong to a party, not {role} keys")
    if party is not None and not _PARTY_CODE.fullmatch(party):
        raise KeyRequestRefused(f"party code {party!r}: letters, digits, '-' and '_' only")
    name = (name if name is not None else f"{role}-{key_id}").strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise KeyRequestRefused("a key's name is 1 to 100 printable characters")
    return name


def issue_key(
    conn: psycopg.Connection[Any], *, role: Role, party: str | None = None, name: str | None = None
) -> IssuedKey:
    """Issue a new key with ``role`` (and ``party`` for a partner); commit it.

    Raises:
        KeyRequestRefused: a partner key without a party, another key with one, or a bad
            name or party code.
    """
    key_id = secrets.token_hex(6)
    name = _checked_request(role, party, name, key_id)
    secret = secrets.token_urlsafe(32)
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"INSERT INTO api_keys (id, name, role, party_code, secret_hash)"
            f" VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
            (key_id, name, role.value, party, _secret_hash(secret)),
        )
        row = cur.fetchone()
    assert row is not None
    return IssuedKey(key=_from_row(row), token=f"{KEY_PREFIX}_{key_id}_{secret}")


def list_keys(conn: psycopg.Connection[Any]) -> list[ApiKey]:
    """Every key ever issued, oldest first, revoked ones included."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, id")
        return [_from_row(row) for row in cur.fetchall()]


def revoke_key(conn: psycopg.Connection[Any], key_id: str) -> tuple[ApiKey, bool]:
    """Revoke the key ``key_id``; return it and whether this call revoked it.

    Revoking a revoked key changes nothing (its first revocation time stays).

    Raises:
        KeyRequestRefused: there is no key with that id.
    """
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"UPDATE api_keys SET revoked_at = clock_timestamp()"
            f" WHERE id = %s AND revoked_at IS NULL RETURNING {_COLUMNS}",
            (key_id,),
        )
        row = cur.fetchone()
        if row is not None:
            return _from_row(row), True
        cur.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = %s", (key_id,))
        row = cur.fetchone()
    if row is None:
        raise KeyRequestRefused(f"no API key has the id {key_id!r}")
    return _from_row(row), False


def authenticate(conn: psycopg.Connection[Any], token: str) -> ApiKey | None:
    """The valid, unrevoked key that ``token`` is, or None."""
    match = _KEY.fullmatch(token)
    if match is None:
        return None
    key_id, secret = match.groups()
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {_COLUMNS}, secret_hash FROM api_keys WHERE id = %s", (key_id,), prepare=True
        )
        row = cur.fetchone()
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(bytes(row["secret_hash"]), _secret_hash(secret)):
        return None
    return _from_row(row)


DEMO_KEY_PREFIX = "demo-"
DEMO_PARTNER_PARTY = "DIST-001"


def issue_demo_keys(conn: psycopg.Connection[Any]) -> list[IssuedKey]:
    """Revoke the demo keys issued before and issue one new key per role.

    The partner key belongs to the demo distributor ``DIST-001``.
    """
    with conn.transaction():
        conn.execute(
            "UPDATE api_keys SET revoked_at = clock_timestamp()"
            " WHERE starts_with(name, %s) AND revoked_at IS NULL",
            (DEMO_KEY_PREFIX,),
        )
    return [
        issue_key(
            conn,
            role=role,
            name=f"{DEMO_KEY_PREFIX}{role}",
            party=DEMO_PARTNER_PARTY if role is Role.PARTNER else None,
        )
        for role in Role
    ]
