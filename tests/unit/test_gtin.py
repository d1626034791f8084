"""GTIN parsing and the GS1 mod-10 check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import InvalidGtin, LedgerError
from ledger.domain.values import Gtin, gs1_check_digit, product_id

# Published examples: GS1's check digit calculator (0614141999996, 9501101530003,
# 10614141999993, 00012345600012), the EAN-13 on Wikipedia (4006381333931), the EAN-8
# on Wikipedia (96385074) and the UPC-A on Wikipedia (036000291452).
KNOWN_GTINS = [
    "0614141999996",
    "4006381333931",
    "9501101530003",
    "96385074",
    "036000291452",
    "00012345600012",
    "10614141999993",
]

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
gtin_bodies = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda size: st.text(alphabet="0123456789", min_size=size, max_size=size)
)


@pytest.mark.parametrize("gtin", KNOWN_GTINS)
def test_the_check_digit_of_published_gs1_examples_is_their_last_digit(gtin: str) -> None:
    assert gs1_check_digit(gtin[:-1]) == int(gtin[-1])


@pytest.mark.parametrize("gtin", KNOWN_GTINS)
def test_published_gtins_parse_to_their_fourteen_digit_form(gtin: str) -> None:
    parsed = Gtin.parse(gtin)

    assert parsed.value == gtin.rjust(14, "0")
    assert len(parsed.value) == 14
    assert str(parsed) == parsed.value


@pytest.mark.parametrize(
    ("text", "fourteen"),
    [
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
        ("4006381333931", "04006381333931"),
        ("10614141999993", "10614141999993"),
        ("  4006381333931\n", "04006381333931"),
    ],
)
def test_gtin_8_12_13_and_14_are_normalised_to_14_digits(text: str, fourteen: str) -> None:
    assert Gtin.parse(text) == Gtin(fourteen)


def test_the_same_gtin_written_with_13_or_14_digits_is_one_product() -> None:
    assert product_id(Gtin.parse("4006381333931")) == product_id(Gtin.parse("04006381333931"))
    assert product_id(Gtin.parse("4006381333931")) != product_id(Gtin.parse("9501101530003"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4006381333932", "check digit is 2, expected 1"),
        ("96385070", "check digit is 0, expected 4"),
        ("10614141999990", "check digit is 0, expected 3"),
    ],
)
def test_a_wrong_check_digit_is_rejected_with_the_expected_digit(text: str, reason: str) -> None:
    with pytest.raises(InvalidGtin) as caught:
        Gtin.parse(text)

    assert caught.value.value == text
    assert caught.value.reason == reason
    assert text in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "400638133393A", "4006-381333931", "+4006381333931", "4006381333931.0", "١٢٣٤٥٦٧٨"],
)
def test_anything_but_ascii_digits_is_rejected(text: str) -> None:
    with pytest.raises(InvalidGtin) as caught:
        Gtin.parse(text)

    assert caught.value.reason == "only digits are allowed"


@pytest.mark.parametrize("length", [1, 7, 9, 10, 11, 15, 18])
def test_a_gtin_of_another_length_is_rejected_naming_its_length(length: int) -> None:
    text = "1" * length

    with pytest.raises(InvalidGtin) as caught:
        Gtin.parse(text)

    assert caught.value.reason == f"{length} digits; a GTIN has 8, 12, 13 or 14"


def test_invalid_gtin_is_a_ledger_error_whose_message_names_the_value() -> None:
    with pytest.raises(LedgerError, match="invalid GTIN '123'"):
        Gtin.parse("123")


@given(body=gtin_bodies)
def test_appending_the_computed_check_digit_always_gives_a_valid_gtin(body: str) -> None:
    text = body + str(gs1_check_digit(body))

    assert Gtin.parse(text).value == text.zfill(14)


@given(body=gtin_bodies, data=st.data())
def test_changing_any_one_digit_of_a_valid_gtin_makes_it_invalid(
    body: str, data: st.DataObject
) -> None:
    valid = body + str(gs1_check_digit(body))
    index = data.draw(st.integers(min_value=0, max_value=len(valid) - 1), label="index")
    replacement = data.draw(digits.filter(lambda d: d != valid[index]), label="digit")
    changed = valid[:index] + replacement + valid[index + 1 :]

    with pytest.raises(InvalidGtin) as caught:
        Gtin.parse(changed)

    assert caught.value.reason.startswith("check digit is")


@given(body=gtin_bodies)
def test_left_padding_with_zeros_does_not_change_the_check_digit(body: str) -> None:
    assert gs1_check_digit("0" + body) == gs1_check_digit(body)


@given(body=st.text(alphabet="0123456789", min_size=0, max_size=20))
def test_a_number_with_its_check_digit_passes_the_gs1_weighted_sum_check(body: str) -> None:
    # GS1's own validation: from the right, the check digit weighs 1, then 3, 1, 3 ...
    full = body + str(gs1_check_digit(body))
    weighted = sum(
        int(char) * (1 if index % 2 == 0 else 3) for index, char in enumerate(reversed(full))
    )

    assert weighted % 10 == 0
