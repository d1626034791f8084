"""Checks a recall evidence bundle with Python's standard library alone.

Run from the bundle's directory (or give it as the argument)::

    python verify_bundle.py [DIRECTORY]

It checks, in order: every file against ``manifest.json`` (SHA-256); the checkpoint's
Ed25519 signature with ``public_key.txt`` (C2SP signed note, RFC 8032); every event's
payload against its stored state and its chain hash from its canonical bytes and
``prev_hash`` (docs/integrity.md); that the events' leaves, with the nodes of
``inclusion_proof.json`` (one batch inclusion proof in RFC 9162's tree), lead to the
checkpoint's root; then it recomputes the impact list from the events and compares it with
``impact.json`` and ``impact.csv``. It prints ``OK: ...`` and exits 0, or ``FAILED: <first
problem>`` and exits 1.

The bundle's ``verify_bundle.py`` is this file with the impact fold placed before it, so
that a regulator needs nothing but a Python interpreter.
"""

from __future__ import annotations

import base64
import binascii
import csv
import gc
import hashlib
import importlib
import io
import json
import struct
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.scanner import make_scanner
from pathlib import Path
from typing import Any

# --- Ed25519 signature verification (RFC 8032 §5.1) -----------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_Point = tuple[int, int, int, int]
"""A point in extended homogeneous coordinates ``(X, Y, Z, T)``, ``x = X/Z``, ``y = Y/Z``."""


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    return _P - x if (x & 1) != sign else x


def _decode_point(encoded: bytes) -> _Point | None:
    if len(encoded) != 32:
        return None
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _add(p: _Point, q: _Point) -> _Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    result: _Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _same_point(p: _Point, q: _Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


_BASE = _decode_point((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``message`` by ``public_key``."""
    if len(public_key) != 32 or len(signature) != 64 or _BASE is None:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    digest = hashlib.sha512(signature[:32] + public_key + message).digest()
    k = int.from_bytes(digest, "little") % _L
    return _same_point(_multiply(s, _BASE), _add(r, _multiply(k, a)))


# --- Checkpoints (C2SP signed note + tlog-checkpoint) -----------------------------------


class BundleRejected(Exception):
    """Raised when a bundle fails a check; the message names the first problem."""


def read_verifier_key(text: str) -> tuple[str, bytes]:
    """The name and 32-byte Ed25519 key of a C2SP verifier key ``<name>+<id>+<key>``."""
    try:
        name, hex_id, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        stated = bytes.fromhex(hex_id)
    except (ValueError, binascii.Error):
        raise BundleRejected("public_key.txt is not a verifier key (<name>+<id>+<key>)") from None
    if len(raw) != 33 or raw[:1] != b"\x01":
        raise BundleRejected("public_key.txt is not an Ed25519 verifier key")
    if note_key_id(name, raw[1:]) != stated:
        raise BundleRejected("public_key.txt: the key id does not match the key")
    return name, raw[1:]


def note_key_id(name: str, public_key: bytes) -> bytes:
    """The note key id: first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def verify_checkpoint(text: str, name: str, public_key: bytes) -> tuple[int, bytes]:
    """The tree size and root hash of a checkpoint signed by the key ``name``.

    Raises:
        BundleRejected: when the text is not a checkpoint, carries no signature by the key,
            the signature is bad or the checkpoint is for another log.
    """
    body, separator, signatures = text.partition("\n\n")
    lines = (body + "\n").splitlines()
    try:
        origin, size_text, root_text = lines[:3]
        size = int(size_text)
        root = base64.b64decode(root_text, validate=True)
    except (ValueError, binascii.Error):
        raise BundleRejected("checkpoint.txt is not a checkpoint (origin, size, root)") from None
    if not separator or size < 0 or len(root) != 32 or size_text != str(size):
        raise BundleRejected("checkpoint.txt is not a checkpoint")
    wanted = note_key_id(name, public_key)
    signed = False
    for line in signatures.splitlines():
        signer, _, encoded = line.removeprefix("\u2014 ").rpartition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise BundleRejected("checkpoint.txt: a signature line is malformed") from None
        if signer == name and raw[:4] == wanted:
            if not ed25519_verify(public_key, (body + "\n").encode(), raw[4:]):
                raise BundleRejected("checkpoint.txt: the signature does not verify")
            signed = True
    if not signed:
        raise BundleRejected(f"checkpoint.txt carries no signature by the key {name}")
    if origin != name:
        raise BundleRejected(f"checkpoint.txt is for the log {origin}, not {name}")
    return size, root


# --- Events: chain hashes and the batch inclusion proof ---------------------------------


_FIXED = struct.Struct(">q16sqqi")
_LENGTH = struct.Struct(">i")


def chain_hash(event: Mapping[str, Any]) -> bytes:
    """``SHA-256(prev_hash || canonical)`` of an audit-export event record."""
    topic = event["type"].encode()
    state = event["state"].encode()
    fixed = _FIXED.pack(
        event["position"],
        _uuid_bytes(event["aggregate_id"]),
        event["aggregate_version"],
        event["recorded_at_us"],
        len(topic),
    )
    prev = bytes.fromhex(event["prev_hash"])
    return hashlib.sha256(b"".join((prev, fixed, topic, _LENGTH.pack(len(state)), state))).digest()


def _uuid_bytes(text: str) -> bytes:
    """The 16 bytes of a UUID in its canonical text form (8-4-4-4-12 lowercase hex digits):
    only that form, so that one aggregate id has one text that the impact fold compares."""
    digits = text.replace("-", "")
    raw = bytes.fromhex(digits)
    if len(text) != 36 or len(raw) != 16 or text[8:24:5] != "----" or raw.hex() != digits:
        raise ValueError(f"{text!r} is not a UUID in its canonical form")
    return raw


ProofNodes = Mapping[tuple[int, int], bytes]
"""The batch inclusion proof: the root of each leaf range ``[start, end)`` it gives."""
Run = tuple[int, list[bytes]]
"""Consecutive nodes of one level: the first one's index and their hashes."""


def read_inclusion_proof(text: str, size: int) -> dict[tuple[int, int], bytes]:
    """The nodes of ``inclusion_proof.json`` by leaf range, for a tree of ``size`` leaves.

    Raises:
        BundleRejected: when it cannot be read, names a range twice or is for another tree.
    """
    try:
        document = json.loads(text)
        stated, listed = document["tree_size"], document["nodes"]
        nodes = {(n["start"], n["end"]): bytes.fromhex(n["hash"]) for n in listed}
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(f"inclusion_proof.json cannot be read: {exc!r}") from None
    if stated != size:
        raise BundleRejected(
            f"inclusion_proof.json is for a tree of {stated} leaves, the checkpoint's has {size}"
        )
    well_formed = all(
        type(start) is int and type(end) is int and len(digest) == 32
        for (start, end), digest in nodes.items()
    )
    if len(nodes) != len(listed) or not well_formed:
        raise BundleRejected("inclusion_proof.json names a range twice or holds a bad node")
    return nodes


def root_from_leaves(size: int, runs: Sequence[Run], proof: ProofNodes) -> bytes:
    """``MTH(D[0:size])`` recomputed bottom-up from runs of consecutive leaf hashes (at least
    one) and the proof's nodes, each of which must be used exactly once.

    A level's nodes pair up left to right; the last one of an odd count rises alone (so the
    tree is RFC 9162's); a node that the leaves do not give comes from the proof, by the
    leaves it covers.

    Raises:
        BundleRejected: when the proof lacks a node or holds one that is not needed.
    """
    unused = dict(proof)
    level, count, current = 0, size, list(runs)

    def sibling(index: int) -> bytes:
        start = index << level
        covered = (start, min(start + (1 << level), size))
        found = unused.pop(covered, None)
        if found is None:
            raise BundleRejected(
                f"the events' inclusion proof fails: inclusion_proof.json lacks the node of "
                f"leaves [{covered[0]}, {covered[1]})"
            )
        return found

    while count > 1:
        current = _rise(current, count, sibling)
        level, count = level + 1, (count + 1) >> 1
    if unused:
        start, end = min(unused)
        raise BundleRejected(
            f"the events' inclusion proof fails: inclusion_proof.json holds a node no event "
            f"needs, of leaves [{start}, {end})"
        )
    return current[0][1][0]


def _rise(runs: Sequence[Run], count: int, sibling: Callable[[int], bytes]) -> list[Run]:
    """The runs one level up, from the runs of a level of ``count`` nodes."""
    sha256 = hashlib.sha256
    risen: list[Run] = []
    for start, hashes in runs:
        end = start + len(hashes)
        parents = [sha256(b"\x01" + sibling(start - 1) + hashes[0]).digest()] if start & 1 else []
        odd = (end - start - (start & 1)) & 1
        paired = hashes[start & 1 : len(hashes) - odd]
        parents += [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(paired[0::2], paired[1::2], strict=True)
        ]
        if odd:
            last = hashes[-1]
            parents.append(last if end == count else sha256(b"\x01" + last + sibling(end)).digest())
        up = start >> 1
        if risen and risen[-1][0] + len(risen[-1][1]) == up:
            risen[-1][1].extend(parents)
        else:
            risen.append((up, parents))
    return risen


_PAYLOAD_KEY = ',"payload":'
# The C scanner that json.loads runs; typeshed types its context as the scanner itself.
_SCAN: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _json_value(text: str) -> Any:
    """The JSON value that is the whole of ``text`` (``json.loads`` without its per-call
    overhead, which is a large share of the time for many short documents)."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        raise ValueError("not a JSON value") from None
    if end != len(text) and text[end:].strip():
        raise ValueError("extra data after the JSON value")
    return value


def _parse_event(line: bytes) -> tuple[dict[str, Any], bool]:
    """An event record, and whether its payload is its stored state parsed.

    Bundles write the payload last and as the stored state's own text: the line is then the
    record without its payload, ``,"payload":``, the state and ``}``, so that the state is
    parsed once and the payload not at all. Any other layout is parsed whole.
    """
    text = line.decode().strip()
    cut = text.find(_PAYLOAD_KEY)
    if cut > 0 and text[-1] == "}":
        try:
            head = _json_value(text[:cut] + "}")
        except ValueError:
            head = None
        start = cut + len(_PAYLOAD_KEY)
        state = head.get("state") if isinstance(head, dict) else None
        if (
            isinstance(state, str)
            and len(text) == start + len(state) + 1
            and text.startswith(state, start)
            and "payload" not in head
        ):
            head["payload"] = _json_value(state)
            return head, True
    event = _json_value(text)
    if not isinstance(event, dict):
        raise ValueError("not a JSON object")
    return event, event["payload"] == _json_value(event["state"])


def check_events(
    lines: Iterable[bytes], *, size: int, root: bytes, proof: ProofNodes
) -> list[dict[str, Any]]:
    """The event records, each checked (payload, chain hash), and all of them together
    checked to be leaves of the tree ``size``/``root`` with the batch inclusion proof.

    Raises:
        BundleRejected: naming the first problem.
    """
    collecting = gc.isenabled()
    gc.disable()  # the records only grow; cycle collection passes over them cost a third
    try:
        events, runs = _check_events(lines, size)
    finally:
        if collecting:
            gc.enable()
    if not runs:
        if proof:
            raise BundleRejected("inclusion_proof.json holds nodes but no event needs them")
        return events
    if root_from_leaves(size, runs, proof) != root:
        raise BundleRejected(
            "the events' inclusion proof fails: their leaves with inclusion_proof.json do not "
            "lead to the checkpoint's root"
        )
    return events


def _check_events(lines: Iterable[bytes], size: int) -> tuple[list[dict[str, Any]], list[Run]]:
    """The records, each checked, and their leaf hashes in runs of consecutive leaves."""
    sha256 = hashlib.sha256
    events: list[dict[str, Any]] = []
    runs: list[Run] = []
    run: list[bytes] = []
    last_position, last_leaf = 0, -1
    for number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        try:
            event, same = _parse_event(line)
            position, leaf_index = int(event["position"]), int(event["leaf_index"])
            entry = bytes.fromhex(event["hash"])
            computed = chain_hash(event)
        except (ValueError, KeyError, TypeError, AttributeError, struct.error) as exc:
            raise BundleRejected(f"events.jsonl line {number} is not an event: {exc}") from None
        if not same:
            raise BundleRejected(f"event {position}: its payload is not its stored state")
        if not 0 <= leaf_index < size:
            raise BundleRejected(f"event {position}: leaf {leaf_index} is not in the checkpoint")
        if position <= last_position or leaf_index <= last_leaf:
            raise BundleRejected(f"event {position}: events are not in ascending position order")
        if computed != entry:
            raise BundleRejected(f"event {position}: its chain hash does not match its content")
        if leaf_index != last_leaf + 1 or not run:
            run = []
            runs.append((leaf_index, run))
        run.append(sha256(b"\x00" + entry).digest())
        last_position, last_leaf = position, leaf_index
        events.append(event)
    return events, runs


# --- Manifest, impact list --------------------------------------------------------------

BUNDLE_FILES = (
    "recall.json",
    "impact.json",
    "impact.csv",
    "report.html",
    "events.jsonl",
    "inclusion_proof.json",
    "checkpoint.txt",
    "public_key.txt",
    "verify_bundle.py",
)
"""Every file of a bundle besides ``manifest.json``."""


def check_manifest(directory: Path) -> dict[str, str]:
    """The manifest's file → SHA-256 map, after checking every file against it."""
    try:
        manifest = json.loads((directory / "manifest.json").read_bytes())
        files: dict[str, str] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(f"manifest.json cannot be read: {exc}") from None
    for name in BUNDLE_FILES:
        if name not in files:
            raise BundleRejected(f"manifest.json does not list {name}")
    for name, expected in files.items():
        try:
            digest = hashlib.sha256((directory / Path(name).name).read_bytes()).hexdigest()
        except OSError:
            raise BundleRejected(f"{name} is listed in manifest.json but missing") from None
        if digest != expected:
            raise BundleRejected(f"{name} does not match its SHA-256 in manifest.json")
    return files


def impact_csv(impact: Mapping[str, Any]) -> str:
    """The impact list's consignees as CSV: one row each, nested values as JSON."""
    rows: list[Mapping[str, Any]] = list(impact.get("consignees") or [])
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def first_difference(stated: Any, computed: Any, where: str = "impact") -> str | None:
    """Where two JSON values first differ, and how; None when they are equal."""
    if isinstance(stated, dict) and isinstance(computed, dict):
        for key in sorted(set(stated) | set(computed), key=str):
            if key not in stated:
                return f"{where}.{key} is missing from the stated list"
            if key not in computed:
                return f"{where}.{key} is stated but not borne out by the events"
            found = first_difference(stated[key], computed[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(stated, list) and isinstance(computed, list):
        for i, (left, right) in enumerate(zip(stated, computed, strict=False)):
            found = first_difference(left, right, f"{where}[{i}]")
            if found:
                return found
        if len(stated) != len(computed):
            return f"{where} states {len(stated)} entries; the events give {len(computed)}"
        return None
    if stated != computed or type(stated) is not type(computed):
        return f"{where} states {stated!r}; the events give {computed!r}"
    return None


ImpactFold = Callable[[dict[str, Any], list[dict[str, Any]]], dict[str, Any]]


def verify_bundle(directory: Path, fold: ImpactFold) -> str:
    """The OK line for an intact bundle.

    Raises:
        BundleRejected: naming the first problem.
    """
    check_manifest(directory)
    name, public_key = read_verifier_key((directory / "public_key.txt").read_text())
    size, root = verify_checkpoint((directory / "checkpoint.txt").read_text(), name, public_key)
    proof = read_inclusion_proof((directory / "inclusion_proof.json").read_text(), size)
    with (directory / "events.jsonl").open("rb") as lines:
        events = check_events(lines, size=size, root=root, proof=proof)
    try:
        recall = json.loads((directory / "recall.json").read_bytes())
        stated = json.loads((directory / "impact.json").read_bytes())
    except ValueError as exc:
        raise BundleRejected(f"recall.json or impact.json is not JSON: {exc}") from None
    try:
        computed = json.loads(json.dumps(fold(recall, events)))
    except Exception as exc:  # a fold that cannot read the events is a finding, not a crash
        raise BundleRejected(f"the impact list cannot be recomputed: {exc!r}") from None
    difference = first_difference(stated, computed)
    if difference:
        raise BundleRejected(f"the impact list does not follow from the events: {difference}")
    if (directory / "impact.csv").read_bytes() != impact_csv(computed).encode():
        raise BundleRejected("impact.csv is not the impact list")
    consignees = len(computed.get("consignees") or [])
    return f"OK: {len(events)} events, {consignees} consignees, checkpoint {size} signed by {name}"


def _impact_fold() -> ImpactFold:
    """The impact fold: from the fold's source that verify_bundle.py carries, run as a
    module of its own so that its names and the verifier's cannot clash; in the package,
    the fold's module."""
    source = globals().get("RECALL_IMPACT_FOLD_SOURCE")
    if source is None:
        module = importlib.import_module("ledger.integrity.evidence.impact_fold")
    else:
        module = types.ModuleType("recall_impact_fold")
        sys.modules[module.__name__] = module  # dataclasses look their module up here
        exec(compile(source, "recall_impact_fold.py", "exec"), module.__dict__)
    fold: ImpactFold = module.impact_from_events
    return fold


def main(argv: list[str] | None = None) -> int:
    """Check the bundle in the directory given (default: this script's), print the verdict."""
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else Path(__file__).resolve().parent
    try:
        print(verify_bundle(directory, _impact_fold()))
    except BundleRejected as exc:
        print(f"FAILED: {exc}")
        return 1
    except OSError as exc:
        print(f"FAILED: cannot read the bundle: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
