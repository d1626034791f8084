"""Reading UDIs: the bracketed human-readable form and scanner output, with full dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import InvalidUdi, LedgerError
from ledger.domain.udi import Udi, parse_udi, resolve_date

TODAY = date(2026, 3, 1)
GS = "\x1d"


def test_the_gs1_example_in_bracketed_form_gives_every_field() -> None:
    udi = parse_udi("(01)09506000134352(17)261231(10)A1B2(21)S1", TODAY)

    assert udi == Udi(
        gtin="09506000134352",
        lot="A1B2",
        expiry=date(2026, 12, 31),
        production_date=None,
        serial="S1",
    )


def test_a_scan_with_the_datamatrix_prefix_and_a_gs_after_the_lot_reads_the_same() -> None:
    scanned = f"]d201095060001343521726123110A1B2{GS}21S1"

    assert parse_udi(scanned, TODAY) == parse_udi(
        "(01)09506000134352(17)261231(10)A1B2(21)S1", TODAY
    )


@pytest.mark.parametrize(
    "scanned",
    [
        f"]C10109506000134352{GS}17261231{GS}10A1B2",  # GS1-128
        f"]Q3010950600013435217261231{GS}10A1B2",  # GS1 QR Code
        f"{GS}01095060001343521726123110A1B2",  # leading FNC1 as GS, no prefix
        "01095060001343521726123110A1B2",  # variable-length lot last: no separator needed
        "(01) 09506000134352 (17) 261231 (10) A1B2",  # spaces as printed under a barcode
    ],
)
def test_scanned_and_printed_forms_of_one_label_read_the_same(scanned: str) -> None:
    udi = parse_udi(scanned, TODAY)

    assert (udi.gtin, udi.lot, udi.expiry, udi.serial) == (
        "09506000134352",
        "A1B2",
        date(2026, 12, 31),
        None,
    )


def test_production_and_expiry_dates_with_day_00_are_the_last_day_of_their_month() -> None:
    udi = parse_udi("(01)09506000134352(11)240200(17)270200(10)LOT7", TODAY)

    assert udi.production_date == date(2024, 2, 29)  # a leap year
    assert udi.expiry == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("yymmdd", "today", "expected"),
    [
        ("261231", date(2026, 3, 1), date(2026, 12, 31)),
        ("760101", date(2026, 3, 1), date(2076, 1, 1)),  # 50 years ahead: this century
        ("770101", date(2026, 3, 1), date(1977, 1, 1)),  # 51 years ahead: the last one
        ("990101", date(2026, 3, 1), date(1999, 1, 1)),
        ("010101", date(2098, 6, 1), date(2101, 1, 1)),  # 97 years back: the next one
    ],
)
def test_two_digit_years_are_resolved_against_the_given_date_by_the_gs1_rule(
    yymmdd: str, today: date, expected: date
) -> None:
    assert resolve_date("expiry", yymmdd, today) == expected


def test_the_same_label_read_on_different_days_keeps_the_date_it_was_resolved_to() -> None:
    label = "(01)09506000134352(17)760101(10)A"

    assert parse_udi(label, date(2026, 1, 1)).expiry == date(2076, 1, 1)
    assert parse_udi(label, date(2027, 1, 1)).expiry == date(2076, 1, 1)
    assert parse_udi(label, date(2025, 1, 1)).expiry == date(1976, 1, 1)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("(01)09506000134353(17)261231(10)A1B2", "gtin"),  # check digit 3, should be 2
        ("(17)261231(10)A1B2", "gtin"),
        ("(01)0950600013435(10)A1B2", "gtin"),  # 13 digits under AI (01)
        ("(01)09506000134352(17)261231", "lot"),
        ("(01)09506000134352(17)261331(10)A1B2", "expiry"),  # month 13
        ("(01)09506000134352(17)260231(10)A1B2", "expiry"),  # 31 February
        ("(01)09506000134352(11)25x101(10)A1B2", "production_date"),
        ("(01)09506000134352(10)A(B)", "udi"),  # brackets inside a value
        ("(01)09506000134352(10)A1(10)B2", "lot"),  # two lots
        ("hello", "udi"),
        ("", "udi"),
        ("]", "udi"),
    ],
)
def test_an_unreadable_udi_raises_invalid_udi_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidUdi) as caught:
        parse_udi(text, TODAY)

    assert caught.value.field == field
    assert isinstance(caught.value, LedgerError)
    assert caught.value.reason


def test_a_wrong_check_digit_is_explained_with_the_expected_digit() -> None:
    with pytest.raises(InvalidUdi) as caught:
        parse_udi("(01)09506000134353(10)A", TODAY)

    assert "Expected 2, got 3" in caught.value.reason


def test_a_gs1_digital_link_uri_is_read_too() -> None:
    udi = parse_udi("https://id.gs1.org/01/09506000134352/10/AB12?17=261231", TODAY)

    assert (udi.gtin, udi.lot, udi.expiry) == ("09506000134352", "AB12", date(2026, 12, 31))


_AIS = ["(01)", "(10)", "(17)", "(11)", "(21)", "01", "10", "17"]
_PIECES = st.sampled_from(
    [
        *_AIS,
        "]d2",
        "]C1",
        GS,
        "0",
        "1",
        "2",
        "9",
        "(",
        ")",
        "A",
        "09506000134352",
        "261231",
        "260200",
    ]
)


@given(st.one_of(st.text(), st.lists(_PIECES, max_size=25).map("".join)), st.dates())
def test_any_text_either_reads_as_a_udi_or_raises_invalid_udi(text: str, today: date) -> None:
    try:
        udi = parse_udi(text, today)
    except InvalidUdi as exc:
        assert exc.field in {"udi", "gtin", "lot", "expiry", "production_date", "serial"}
    else:
        assert len(udi.gtin) == 14 and udi.gtin.isdigit()
        assert 1 <= len(udi.lot) <= 20
