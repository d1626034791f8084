"""The chain verifier on hand-built rows: every kind of tampering, found and named."""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.store.chain import GENESIS_HASH, event_hash
from ledger.store.verify import MAX_FINDINGS, ChainRow, ChainVerifier, VerifyReport

NAMESPACE = UUID("0b6c7a52-1d44-4a0e-9d3c-5a7f3c1e2b10")
TOPIC = "ledger.domain.product:ProductRegistered"
STEP = 10  # positions 10, 20, 30 ... leave room to insert a forged row between two events


def build_chain(length: int) -> list[ChainRow]:
    """A valid chain of ``length`` events, linked exactly as the store links them."""
    rows: list[ChainRow] = []
    prev = GENESIS_HASH
    for index in range(length):
        position = (index + 1) * STEP
        uid = uuid5(NAMESPACE, str(index)).bytes
        recorded_us = 1_767_225_600_000_000 + index * 1_234
        state = f'{{"gtin":"0690000000{index:04d}","name":"Stent {index}"}}'.encode()
        digest = event_hash(
            prev,
            position=position,
            originator_id=uid,
            originator_version=1,
            recorded_at_us=recorded_us,
            topic=TOPIC,
            state=state,
        )
        rows.append((position, uid, 1, recorded_us, TOPIC, state, prev, digest))
        prev = digest
    return rows


def verify(rows: list[ChainRow]) -> VerifyReport:
    """Verify rows given in position order, locating hashes among the same rows."""
    where = {row[7]: row[0] for row in rows}
    verifier = ChainVerifier(lambda digest: where.get(bytes(digest)))
    verifier.feed(rows)
    return verifier.finish()


def findings(report: VerifyReport) -> list[tuple[int, str]]:
    return [(finding.position, finding.reason) for finding in report.findings]


def replace(row: ChainRow, index: int, value: object) -> ChainRow:
    fields = list(row)
    fields[index] = value
    return tuple(fields)  # type: ignore[return-value]


def swap_positions(rows: list[ChainRow], a: int, b: int) -> list[ChainRow]:
    """Rows ``a`` and ``b`` exchange their positions, then the table is read in order."""
    swapped = list(rows)
    swapped[a] = replace(rows[a], 0, rows[b][0])
    swapped[b] = replace(rows[b], 0, rows[a][0])
    return sorted(swapped, key=lambda row: row[0])


def forged_row(position: int, prev: bytes, digest: bytes) -> ChainRow:
    """A row that was never chained: arbitrary link and hash (a row linking to itself
    is no forgery worth the name, so the hash is made to differ from the link)."""
    uid = uuid5(NAMESPACE, "forged").bytes
    if digest == prev:
        digest = bytes(byte ^ 0x5A for byte in digest)
    return (position, uid, 1, 1_767_225_600_000_000, TOPIC, b'{"forged":true}', prev, digest)


chains = st.integers(min_value=2, max_value=12).map(build_chain)
thirty_two_bytes = st.binary(min_size=32, max_size=32)


# The byte layout


def test_event_hash_is_sha256_of_the_previous_hash_and_the_documented_canonical_bytes() -> None:
    uid = UUID("12345678-1234-5678-1234-567812345678")
    topic = "ledger.domain.party:PartyRegistered"
    state = '{"name":"Hôpital No. 1"}'.encode()
    prev = bytes(range(32))
    canonical = (
        (7).to_bytes(8, "big")
        + uid.bytes
        + (3).to_bytes(8, "big")
        + (1_767_225_600_123_456).to_bytes(8, "big")
        + len(topic.encode()).to_bytes(4, "big")
        + topic.encode()
        + len(state).to_bytes(4, "big")
        + state
    )

    digest = event_hash(
        prev,
        position=7,
        originator_id=uid.bytes,
        originator_version=3,
        recorded_at_us=1_767_225_600_123_456,
        topic=topic,
        state=state,
    )

    assert digest == hashlib.sha256(prev + canonical).digest()
    assert len(digest) == 32


def test_the_genesis_hash_is_32_zero_bytes() -> None:
    assert GENESIS_HASH == b"\x00" * 32


def test_length_prefixes_keep_topic_and_state_boundaries_apart() -> None:
    common = {"position": 1, "originator_id": bytes(16), "originator_version": 1}
    one = event_hash(GENESIS_HASH, **common, recorded_at_us=0, topic="ab", state=b"c")
    other = event_hash(GENESIS_HASH, **common, recorded_at_us=0, topic="a", state=b"bc")

    assert one != other


def test_negative_times_before_1970_hash_as_twos_complement() -> None:
    digest = event_hash(
        GENESIS_HASH,
        position=1,
        originator_id=bytes(16),
        originator_version=1,
        recorded_at_us=-1,
        topic="t",
        state=b"",
    )
    canonical = struct.pack(">q16sqq", 1, bytes(16), 1, -1) + b"\x00\x00\x00\x01t\x00\x00\x00\x00"

    assert digest == hashlib.sha256(GENESIS_HASH + canonical).digest()


# Intact chains


def test_an_empty_table_is_an_intact_chain_whose_head_is_the_genesis_hash() -> None:
    report = verify([])

    assert report.ok
    assert report.events == 0
    assert report.head_hash == GENESIS_HASH


@given(rows=chains)
def test_an_untouched_chain_verifies_and_its_head_is_the_last_hash(rows: list[ChainRow]) -> None:
    report = verify(rows)

    assert report.ok, report.findings
    assert report.events == len(rows)
    assert report.head_hash == rows[-1][7]


def test_the_verifier_looks_nothing_up_while_the_chain_is_intact() -> None:
    asked: list[bytes] = []
    verifier = ChainVerifier(lambda digest: asked.append(digest) or None)

    verifier.feed(build_chain(20))
    report = verifier.finish()

    assert report.ok
    assert asked == []


def test_rows_can_be_fed_in_several_batches() -> None:
    rows = build_chain(9)
    verifier = ChainVerifier(lambda digest: None)

    for offset in range(0, 9, 4):
        verifier.feed(rows[offset : offset + 4])

    assert verifier.finish().ok


# Changed


@given(rows=chains, data=st.data())
def test_changing_one_byte_of_an_events_state_is_reported_as_changed_at_its_position(
    rows: list[ChainRow], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    state = rows[index][5]
    offset = data.draw(st.integers(0, len(state) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="xor")
    changed = bytearray(state)
    changed[offset] ^= mask
    rows[index] = replace(rows[index], 5, bytes(changed))

    report = verify(rows)

    assert findings(report) == [(rows[index][0], "changed")]
    assert report.events == len(rows)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (1, uuid5(NAMESPACE, "another aggregate").bytes),
        (2, 2),
        (3, 1_767_225_600_000_001),
        (4, "ledger.domain.party:PartyRegistered"),
        (5, b""),
    ],
    ids=["originator_id", "originator_version", "recorded_at", "topic", "state"],
)
def test_changing_any_hashed_column_is_reported_as_changed(column: int, value: object) -> None:
    rows = build_chain(5)
    rows[2] = replace(rows[2], column, value)

    assert findings(verify(rows)) == [(30, "changed")]


def test_a_rewritten_stored_hash_is_reported_as_changed_at_that_event() -> None:
    rows = build_chain(5)
    rows[2] = replace(rows[2], 7, b"\x01" * 32)

    assert findings(verify(rows))[0] == (30, "changed")


@given(rows=chains, data=st.data(), link=thirty_two_bytes)
def test_an_altered_link_to_the_previous_event_is_reported_as_changed(
    rows: list[ChainRow], data: st.DataObject, link: bytes
) -> None:
    # At the last row an altered link is indistinguishable from a forged append.
    index = data.draw(st.integers(0, len(rows) - 2), label="row")
    if link == rows[index][6]:
        link = bytes(byte ^ 0xFF for byte in link)
    rows[index] = replace(rows[index], 6, link)

    assert findings(verify(rows)) == [(rows[index][0], "changed")]


def test_a_changed_event_does_not_hide_a_later_change() -> None:
    rows = build_chain(6)
    rows[1] = replace(rows[1], 5, b"{}")
    rows[4] = replace(rows[4], 4, "other:Topic")

    assert findings(verify(rows)) == [(20, "changed"), (50, "changed")]


# Missing


@given(rows=chains, data=st.data())
def test_deleting_an_event_is_reported_as_missing_at_the_event_after_it(
    rows: list[ChainRow], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 2), label="row")
    after = rows[index + 1][0]
    del rows[index]

    report = verify(rows)

    assert findings(report) == [(after, "missing")]


def test_deleting_several_consecutive_events_is_one_missing_finding() -> None:
    rows = build_chain(8)
    del rows[2:5]

    assert findings(verify(rows)) == [(60, "missing")]


def test_deleting_the_last_events_leaves_a_chain_that_verifies_on_its_own() -> None:
    # A cut tail is only visible against a signed checkpoint of an earlier head.
    rows = build_chain(6)
    cut = rows[:4]

    report = verify(cut)

    assert report.ok
    assert report.head_hash == rows[3][7]


# Inserted


@given(rows=chains, data=st.data(), prev=thirty_two_bytes, digest=thirty_two_bytes)
def test_a_forged_row_between_two_events_is_reported_as_inserted(
    rows: list[ChainRow], data: st.DataObject, prev: bytes, digest: bytes
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1), label="before row")
    position = rows[index][0] - STEP // 2
    if prev == rows[index][6]:
        # A forged row that links correctly is a changed (or missing) event, not this case.
        prev = bytes(byte ^ 0xFF for byte in prev)
    rows.insert(index, forged_row(position, prev, digest))

    assert findings(verify(rows)) == [(position, "inserted")]


@given(rows=chains, prev=thirty_two_bytes, digest=thirty_two_bytes)
def test_a_forged_row_appended_after_the_last_event_is_reported_as_inserted(
    rows: list[ChainRow], prev: bytes, digest: bytes
) -> None:
    position = rows[-1][0] + STEP
    rows.append(forged_row(position, prev, digest))

    report = verify(rows)

    assert findings(report) == [(position, "inserted")]
    assert report.events == len(rows)


# Reordered


@given(rows=chains, data=st.data())
def test_two_neighbours_swapping_places_are_both_reported_as_reordered(
    rows: list[ChainRow], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 2), label="row")
    first, second = rows[index][0], rows[index + 1][0]

    report = verify(swap_positions(rows, index, index + 1))

    assert findings(report) == [(first, "reordered"), (second, "reordered")]


@given(rows=chains, data=st.data())
def test_two_events_swapping_places_are_reported_as_reordered_at_the_first(
    rows: list[ChainRow], data: st.DataObject
) -> None:
    a, b = sorted(data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=2, max_size=2)))

    report = verify(swap_positions(rows, a, b))

    assert not report.ok
    assert findings(report)[0] == (rows[a][0], "reordered")
    assert all(position >= rows[a][0] for position, _ in findings(report))


# The report


def test_findings_stop_at_the_maximum_but_every_event_is_counted() -> None:
    rows = [replace(row, 5, b"tampered") for row in build_chain(MAX_FINDINGS + 20)]

    report = verify(rows)

    assert len(report.findings) == MAX_FINDINGS
    assert report.events == MAX_FINDINGS + 20
    assert findings(report)[0] == (STEP, "changed")


def test_the_json_report_of_a_broken_chain_names_the_first_bad_position_and_reason() -> None:
    rows = build_chain(4)
    del rows[1]

    out = verify(rows).as_json()

    assert out["ok"] is False
    assert out["events"] == 3
    assert out["first_bad_position"] == 30
    assert out["reason"] == "missing"
    assert out["detail"]
    assert out["findings"] == [{"position": 30, "reason": "missing", "detail": out["detail"]}]
    assert isinstance(out["events_per_second"], float)


def test_the_json_report_of_an_intact_chain_has_no_bad_position() -> None:
    rows = build_chain(3)

    out = verify(rows).as_json()

    assert out["ok"] is True
    assert out["first_bad_position"] is None
    assert out["reason"] is None
    assert out["findings"] == []
    assert out["head_hash"] == rows[-1][7].hex()


def test_events_per_second_is_events_over_seconds_and_zero_before_timing() -> None:
    assert VerifyReport(events=10, seconds=0.0).events_per_second == 0.0
    assert VerifyReport(events=10, seconds=2.0).events_per_second == 5.0
