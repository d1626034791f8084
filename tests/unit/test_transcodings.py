"""The event payload format: the domain's values through the Ledger's transcoder."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError
from hypothesis import given
from hypothesis import strategies as st

from ledger.application.ledger import Ledger
from ledger.domain.values import PartyRole, RiskClass
from ledger.store.transcodings import DateAsISO, EnumAsValue, LedgerTranscoder


@pytest.fixture(scope="module")
def app() -> Iterator[Ledger]:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield ledger
    ledger.close()


@pytest.fixture(scope="module")
def transcoder(app: Ledger) -> LedgerTranscoder:
    transcoder = app.mapper.transcoder
    assert isinstance(transcoder, LedgerTranscoder)
    return transcoder


@pytest.fixture(scope="module")
def library(app: Ledger) -> JSONTranscoder:
    """The library's own JSON transcoder with the same transcodings registered."""
    transcoder = JSONTranscoder()
    app.register_transcodings(transcoder)
    return transcoder


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
datetimes = st.one_of(st.datetimes(), st.datetimes(timezones=offsets))
decimals = st.decimals(allow_nan=False, allow_infinity=False)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.dates(),
    decimals,
    st.uuids(),
    datetimes,
    st.sampled_from(RiskClass),
    st.sampled_from(PartyRole),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)
states = st.dictionaries(st.text(max_size=12), values, max_size=6)


def same(left: Any, right: Any) -> bool:
    """Equal and of the same types all the way down (Decimal('2.0') is not Decimal('2'))."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, Decimal):
        return str(left) == str(right)
    if isinstance(left, datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    if isinstance(left, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return bool(left == right)


@pytest.mark.parametrize(
    "value",
    [
        date(2026, 2, 28),
        Decimal("2.50"),
        Decimal("-0.000"),
        Decimal("1E+3"),
        UUID("6f1c1d3e-6c1b-5a57-9a44-2f0e4d1b7a90"),
        datetime(2026, 1, 1, 8, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 1, 1, 8, 30),
        RiskClass.III,
        PartyRole.LOGISTICS_PROVIDER,
    ],
    ids=repr,
)
def test_each_domain_value_type_reads_back_exactly(
    transcoder: LedgerTranscoder, value: Any
) -> None:
    assert same(transcoder.decode(transcoder.encode({"value": value}))["value"], value)
    assert same(transcoder.decode(transcoder.encode(value)), value)


def test_values_are_stored_as_the_librarys_tagged_objects(transcoder: LedgerTranscoder) -> None:
    stored = json.loads(
        transcoder.encode(
            {
                "expiry": date(2027, 6, 30),
                "risk_class": RiskClass.II,
                "role": PartyRole.SUB_DISTRIBUTOR,
                "storage_max_celsius": Decimal("8.0"),
                "lot": UUID(int=1),
                "name": "Infusion set",
            }
        )
    )

    assert stored == {
        "expiry": {"_type_": "date_iso", "_data_": "2027-06-30"},
        "risk_class": {"_type_": "enum_RiskClass", "_data_": "II"},
        "role": {"_type_": "enum_PartyRole", "_data_": "sub_distributor"},
        "storage_max_celsius": {"_type_": "decimal_str", "_data_": "8.0"},
        "lot": {"_type_": "uuid_hex", "_data_": "00000000000000000000000000000001"},
        "name": "Infusion set",
    }


def test_date_as_iso_writes_and_reads_year_month_day() -> None:
    transcoding = DateAsISO()

    assert transcoding.encode(date(2026, 3, 9)) == "2026-03-09"
    assert transcoding.decode("2026-03-09") == date(2026, 3, 9)


def test_enum_as_value_is_named_after_its_class_and_reads_back_the_member() -> None:
    transcoding = EnumAsValue(PartyRole)

    assert transcoding.name == "enum_PartyRole"
    assert transcoding.encode(PartyRole.LOGISTICS_PROVIDER) == "3pl"
    assert transcoding.decode("3pl") is PartyRole.LOGISTICS_PROVIDER
    with pytest.raises(ValueError):
        transcoding.decode("wholesaler")


def test_a_value_of_an_unregistered_type_is_refused(transcoder: LedgerTranscoder) -> None:
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.encode({"tags": {"sterile", "single-use"}})
    with pytest.raises(TranscodingNotRegisteredError):
        transcoder.encode(object())


def test_a_tuple_is_stored_as_a_list(transcoder: LedgerTranscoder) -> None:
    assert transcoder.decode(transcoder.encode({"range": (2, 8)})) == {"range": [2, 8]}


def test_non_ascii_text_is_stored_as_utf8(transcoder: LedgerTranscoder) -> None:
    encoded = transcoder.encode({"certificate": "国械注准20263000001"})

    assert "国械注准".encode() in encoded
    assert transcoder.decode(encoded) == {"certificate": "国械注准20263000001"}


@given(state=states)
def test_any_event_state_of_domain_values_reads_back_exactly(
    transcoder: LedgerTranscoder, state: dict[str, Any]
) -> None:
    assert same(transcoder.decode(transcoder.encode(state)), state)


@given(value=values)
def test_any_value_on_its_own_reads_back_exactly(transcoder: LedgerTranscoder, value: Any) -> None:
    assert same(transcoder.decode(transcoder.encode(value)), value)


@given(state=states)
def test_the_ledger_and_the_library_read_each_others_payloads(
    transcoder: LedgerTranscoder, library: JSONTranscoder, state: dict[str, Any]
) -> None:
    ours, theirs = transcoder.encode(state), library.encode(state)

    assert same(library.decode(ours), state)
    assert same(transcoder.decode(theirs), state)
    assert json.loads(ours) == json.loads(theirs)


# The ledger's encoder is orjson, the library's is the standard library's ``json``; the
# class promises "events written either way read back the same". These two cases differ.


def test_non_finite_floats_read_back_as_written_not_as_null(
    transcoder: LedgerTranscoder, library: JSONTranscoder
) -> None:
    for value in (math.inf, -math.inf, math.nan):
        assert same(library.decode(library.encode({"v": value}))["v"], value)
        assert same(transcoder.decode(transcoder.encode({"v": value}))["v"], value), value


def test_integers_beyond_64_bits_are_stored_as_the_library_stores_them(
    transcoder: LedgerTranscoder, library: JSONTranscoder
) -> None:
    for value in (2**64, -(2**63) - 1):
        assert transcoder.decode(transcoder.encode({"v": value})) == {"v": value}
        assert transcoder.encode({"v": value}) == library.encode({"v": value})
