"""Fuzzing the UDI reader: well-formed labels read back exactly; anything else is InvalidUdi.

Labels are generated from their parts (a GTIN with a correct check digit, a lot from GS1's
character set 82, optional dates and serial), printed in every form a device may carry
(bracketed text, a scanner's string with or without a symbology identifier, a GS1 Digital
Link URI), then mutated character by character. The reader may accept or refuse a
mutated label, but only ever with a ``Udi`` or an ``InvalidUdi`` naming a field.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.errors import InvalidUdi
from ledger.domain.udi import GROUP_SEPARATOR, Udi, parse_udi
from ledger.domain.values import gs1_check_digit

TODAY = date(2026, 3, 1)
FIELDS = {"udi", "gtin", "lot", "expiry", "production_date", "serial"}
# Character set 82 without the brackets, which the bracketed form cannot carry in a value.
_LOT_CHARACTERS = string.ascii_letters + string.digits + "!\"%&'*+,-./:;<=>?_"
# Digital Link paths carry values percent-encoded; these need none.
_URI_SAFE = string.ascii_letters + string.digits + "-._"


@dataclass(frozen=True)
class Label:
    """A label's parts, the truth a reading must give back."""

    gtin: str
    lot: str
    expiry: date | None
    production_date: date | None
    serial: str | None

    def elements(self) -> list[tuple[str, str]]:
        """The (AI, value) pairs, fixed-length fields first as printers lay them out."""
        pairs = [("01", self.gtin)]
        if self.production_date is not None:
            pairs.append(("11", self.production_date.strftime("%y%m%d")))
        if self.expiry is not None:
            pairs.append(("17", self.expiry.strftime("%y%m%d")))
        pairs.append(("10", self.lot))
        if self.serial is not None:
            pairs.append(("21", self.serial))
        return pairs

    def bracketed(self) -> str:
        """``(01)…(17)…(10)…`` as printed under the barcode."""
        return "".join(f"({ai}){value}" for ai, value in self.elements())

    def scanned(self, prefix: str) -> str:
        """What a scanner sends: GS after every variable-length field but the last."""
        text = ""
        for index, (ai, value) in enumerate(self.elements()):
            text += ai + value
            last = index == len(self.elements()) - 1
            if ai in {"10", "21"} and not last:
                text += GROUP_SEPARATOR
        return prefix + text

    def as_udi(self) -> Udi:
        """The reading this label must give."""
        return Udi(self.gtin, self.lot, self.expiry, self.production_date, self.serial)


def _gtin(digits: str) -> str:
    return digits + str(gs1_check_digit(digits))


# Dates within GS1's two-digit-year window around TODAY (49 years back, 50 ahead) read
# back as themselves.
_DATES = st.dates(min_value=date(1980, 1, 1), max_value=date(2070, 12, 31))
LABELS = st.builds(
    Label,
    gtin=st.text("0123456789", min_size=13, max_size=13).map(_gtin),
    lot=st.text(_LOT_CHARACTERS, min_size=1, max_size=20).filter(lambda lot: lot.strip() == lot),
    expiry=st.none() | _DATES,
    production_date=st.none() | _DATES,
    serial=st.none() | st.text(_LOT_CHARACTERS, min_size=1, max_size=20),
)


@given(LABELS)
def test_a_well_formed_bracketed_label_reads_back_every_field(label: Label) -> None:
    assert parse_udi(label.bracketed(), TODAY) == label.as_udi()


@given(LABELS, st.sampled_from(["", "]d2", "]C1", "]Q3"]))
def test_a_well_formed_scan_reads_back_every_field(label: Label, prefix: str) -> None:
    assert parse_udi(label.scanned(prefix), TODAY) == label.as_udi()


@given(
    LABELS.filter(lambda label: set(label.lot) <= set(_URI_SAFE)),
    st.sampled_from(["https://id.gs1.org", "https://example.com/udi"]),
)
def test_a_digital_link_uri_reads_back_gtin_lot_and_serial(label: Label, host: str) -> None:
    uri = f"{host}/01/{label.gtin}/10/{label.lot}"
    udi = parse_udi(uri, TODAY)

    assert (udi.gtin, udi.lot) == (label.gtin, label.lot)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A label in one of its forms, then cut, spliced and overwritten at random."""
    label = draw(LABELS)
    text = draw(
        st.sampled_from(
            [label.bracketed(), label.scanned(""), label.scanned("]d2"), label.bracketed()[1:]]
        )
    )
    noise = st.text(
        st.sampled_from(
            [*"()0123456789]AZaz/%", GROUP_SEPARATOR, " ", "\x00", "\u00e9", "\U0001f600"]
        ),
        max_size=4,
    )
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(noise) + text[at + cut :]
    return text


def _read_or_refuse(text: str) -> None:
    try:
        udi = parse_udi(text, TODAY)
    except InvalidUdi as exc:
        assert exc.field in FIELDS
        assert exc.reason and str(exc).startswith("invalid UDI: ")
    else:
        assert len(udi.gtin) == 14 and udi.gtin.isdigit()
        assert int(udi.gtin[-1]) == gs1_check_digit(udi.gtin[:-1])
        assert 1 <= len(udi.lot) <= 20


@given(mutated())
def test_a_damaged_label_reads_as_a_valid_udi_or_is_refused_with_invalid_udi(text: str) -> None:
    _read_or_refuse(text)


@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_arbitrary_text_reads_as_a_valid_udi_or_is_refused_with_invalid_udi(text: str) -> None:
    _read_or_refuse(text)


@pytest.mark.long
@settings(max_examples=20_000)
@given(mutated() | st.text(max_size=500))
def test_many_damaged_labels_are_read_or_refused_cleanly(text: str) -> None:
    _read_or_refuse(text)
