"""The bundle verifier's pure-Python Ed25519 (RFC 8032) agrees with `cryptography`."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.integrity.evidence.verifier import ed25519_verify

seeds = st.binary(min_size=32, max_size=32)
messages = st.binary(max_size=300)


def key_pair(seed: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return private, public


def test_rfc_8032_test_vector_1_verifies() -> None:
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )

    assert ed25519_verify(public, b"", signature)
    assert not ed25519_verify(public, b"x", signature)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, message=messages)
def test_signatures_made_by_cryptography_verify(seed: bytes, message: bytes) -> None:
    private, public = key_pair(seed)

    assert ed25519_verify(public, message, private.sign(message))


@settings(max_examples=25, deadline=None)
@given(seed=seeds, other=seeds, message=messages)
def test_another_key_is_rejected(seed: bytes, other: bytes, message: bytes) -> None:
    private, public = key_pair(seed)
    _, other_public = key_pair(other)

    assert ed25519_verify(other_public, message, private.sign(message)) == (public == other_public)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, message=messages, extra=st.binary(min_size=1, max_size=8))
def test_another_message_is_rejected(seed: bytes, message: bytes, extra: bytes) -> None:
    private, public = key_pair(seed)

    assert not ed25519_verify(public, message + extra, private.sign(message))


@settings(max_examples=25, deadline=None)
@given(seed=seeds, message=messages, bit=st.integers(0, 511))
def test_a_signature_with_one_bit_flipped_is_rejected(
    seed: bytes, message: bytes, bit: int
) -> None:
    private, public = key_pair(seed)
    signature = bytearray(private.sign(message))
    signature[bit // 8] ^= 1 << (bit % 8)

    assert not ed25519_verify(public, message, bytes(signature))


def test_malformed_keys_and_signatures_are_rejected() -> None:
    private, public = key_pair(bytes(32))
    signature = private.sign(b"m")

    assert not ed25519_verify(public[:31], b"m", signature)
    assert not ed25519_verify(public, b"m", signature[:63])
    assert not ed25519_verify(b"\xff" * 32, b"m", signature)
