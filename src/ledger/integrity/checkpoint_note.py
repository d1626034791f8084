"""Signed tree heads as C2SP checkpoints: text form, Ed25519 signing keys and verification.

A checkpoint is a C2SP signed note (https://c2sp.org/signed-note) whose body follows
https://c2sp.org/tlog-checkpoint::

    <origin>
    <tree size>
    <base64 root hash>
    time <RFC 3339 UTC time the head was signed>

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

The signature covers the body (every line up to and including the newline after the last
extension line). The key id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 ||
public key); the verifier key is written ``<name>+<hex key id>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "
TIME_EXTENSION = "time "


class CheckpointRejected(Exception):
    """Raised when a checkpoint or a key cannot be read or does not verify.

    Attributes:
        reason: a stable word for the failure (``malformed``, ``bad-signature``,
            ``unknown-key``, ``wrong-origin``, ``bad-key``).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class TreeHead:
    """What a checkpoint states: the log (origin), tree size, root hash and signing time."""

    origin: str
    size: int
    root_hash: bytes
    time: datetime

    def body(self) -> str:
        """The checkpoint's note text, which the signature covers."""
        root = base64.b64encode(self.root_hash).decode()
        stamp = self.time.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return f"{self.origin}\n{self.size}\n{root}\n{TIME_EXTENSION}{stamp}\n"


def key_id(name: str, public_key: bytes) -> bytes:
    """The note key id: SHA-256(name || 0x0A || 0x01 || public key), first 4 bytes."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A public key that checks checkpoints signed under ``name``."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte id that the key's signature lines carry."""
        return key_id(self.name, self.public_key)

    def text(self) -> str:
        """The C2SP verifier key: ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        encoded = base64.b64encode(ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key that signs checkpoints under the name ``name`` (the origin)."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> VerifierKey:
        """The matching public key."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return VerifierKey(self.name, public)

    def sign(self, head: TreeHead) -> str:
        """The signed checkpoint text for ``head``."""
        body = head.body()
        signature = self.private_key.sign(body.encode())
        line = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{body}\n{SIGNATURE_PREFIX}{self.name} {line}\n"


def check_name(name: str) -> str:
    """A key name (the origin) must be non-empty, without spaces and ``+``."""
    if not name or any(char.isspace() or char == "+" for char in name):
        raise CheckpointRejected("bad-key", f"{name!r} cannot name a checkpoint key")
    return name


def new_key_file(path: Path) -> Ed25519PrivateKey:
    """Create an Ed25519 private key in a new PEM (PKCS #8) file readable by its owner only.

    Raises:
        FileExistsError: when ``path`` exists (a signing key is never overwritten).
    """
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return private_key


def read_private_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 key from PEM (PKCS #8) text, or the base64 of its 32-byte seed."""
    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            seed = base64.b64decode(text.strip(), validate=True)
            key = Ed25519PrivateKey.from_private_bytes(seed)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise CheckpointRejected("bad-key", f"not an Ed25519 private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointRejected("bad-key", "the checkpoint key must be an Ed25519 key")
    return key


def read_verifier_key(text: str, *, name: str | None = None) -> VerifierKey:
    """A verifier key from its C2SP text, or from a PEM public key (named ``name``)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            public = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise CheckpointRejected("bad-key", f"not a public key: {exc}") from None
        if not isinstance(public, Ed25519PublicKey) or name is None:
            raise CheckpointRejected("bad-key", "a PEM public key must be Ed25519 and named")
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return VerifierKey(check_name(name), raw)
    parts = text.split("+", 2)
    try:
        key_name, hex_id, encoded = parts
        decoded = base64.b64decode(encoded, validate=True)
        stated_id = bytes.fromhex(hex_id)
    except (ValueError, binascii.Error):
        raise CheckpointRejected("bad-key", "not a verifier key (<name>+<id>+<key>)") from None
    if len(decoded) != 33 or decoded[:1] != ED25519:
        raise CheckpointRejected("bad-key", "the verifier key is not an Ed25519 key")
    verifier = VerifierKey(check_name(key_name), decoded[1:])
    if verifier.key_id != stated_id:
        raise CheckpointRejected("bad-key", "the verifier key's id does not match its key")
    return verifier


def parse_checkpoint(text: str) -> tuple[TreeHead, list[tuple[str, bytes, bytes]], str]:
    """The tree head, the signature lines ``(name, key id, signature)`` and the signed body.

    Raises:
        CheckpointRejected: ``malformed`` when the text is not a checkpoint.
    """
    body, separator, signatures = text.partition("\n\n")
    if not separator or not body:
        raise CheckpointRejected("malformed", "not a signed note: no blank line before signatures")
    body += "\n"
    lines = body.splitlines()
    try:
        origin, size_text, root_text = lines[:3]
        size = int(size_text)
        root = base64.b64decode(root_text, validate=True)
    except (ValueError, binascii.Error):
        raise CheckpointRejected(
            "malformed", "the checkpoint body is not origin, size, root"
        ) from None
    stamps = [line[len(TIME_EXTENSION) :] for line in lines[3:] if line.startswith(TIME_EXTENSION)]
    if size < 0 or len(root) != 32 or len(stamps) != 1 or size_text != str(size):
        raise CheckpointRejected("malformed", "the checkpoint's size, root or time is not valid")
    try:
        time = datetime.fromisoformat(stamps[0].replace("Z", "+00:00"))
    except ValueError:
        raise CheckpointRejected("malformed", "the checkpoint's time is not RFC 3339") from None
    found = []
    for line in signatures.splitlines():
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if not line.startswith(SIGNATURE_PREFIX) or len(raw) < 5:
            raise CheckpointRejected("malformed", "a signature line is not '— <name> <base64>'")
        found.append((name, raw[:4], raw[4:]))
    return TreeHead(origin, size, root, time), found, body


def verify_checkpoint(text: str, verifier: VerifierKey) -> TreeHead:
    """The tree head of a checkpoint whose signature by ``verifier`` is good.

    Raises:
        CheckpointRejected: ``malformed``, ``unknown-key`` (not signed by this key),
            ``bad-signature`` or ``wrong-origin`` (signed for another log).
    """
    head, signatures, body = parse_checkpoint(text)
    mine = [sig for name, kid, sig in signatures if (name, kid) == (verifier.name, verifier.key_id)]
    if not mine:
        raise CheckpointRejected(
            "unknown-key", f"the checkpoint carries no signature by key {verifier.name}"
        )
    public = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    try:
        public.verify(mine[0], body.encode())
    except InvalidSignature:
        raise CheckpointRejected(
            "bad-signature", "the checkpoint's signature is not valid"
        ) from None
    if head.origin != verifier.name:
        raise CheckpointRejected(
            "wrong-origin", f"the checkpoint is for {head.origin}, not {verifier.name}"
        )
    return head
