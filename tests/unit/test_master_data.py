"""Registering products and parties: the domain's rules and the events it records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.party import Party, PartyRegistered
from ledger.domain.product import Product, ProductRegistered
from ledger.domain.values import Gtin, PartyRole, RiskClass, party_id, product_id

GTIN = Gtin.parse("4006381333931")


def product_facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "gtin": GTIN,
        "name": "Coronary stent system",
        "registration_certificate": "NMPA-2026-3-0001",
        "risk_class": RiskClass.III,
        "unit_of_use": "each",
        "storage_min_celsius": Decimal("2.5"),
        "storage_max_celsius": Decimal("8"),
        "serialised": True,
        "company_prefix_length": 9,
    }
    facts.update(changes)
    return facts


def party_facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "code": "DIST-001",
        "name": "East China Medical Supply No. 1",
        "role": PartyRole.DISTRIBUTOR,
        "region": "East China",
        "recall_contact": "recall@dist001.example.cn",
        "grade": "A",
    }
    facts.update(changes)
    return facts


# Products


def test_registering_a_product_records_one_product_registered_event_with_its_facts() -> None:
    product = Product.register(**product_facts(name="  Coronary stent system "))

    events = product.collect_events()

    assert len(events) == 1
    event = events[0]
    assert type(event) is ProductRegistered
    assert event.originator_id == product.id == product_id(GTIN)
    assert event.originator_version == 1
    assert event.gtin == "04006381333931"
    assert event.name == "Coronary stent system"
    assert event.registration_certificate == "NMPA-2026-3-0001"
    assert event.risk_class is RiskClass.III
    assert event.storage_min_celsius == Decimal("2.5")
    assert event.storage_max_celsius == Decimal("8")
    assert event.unit_of_use == "each"
    assert event.serialised is True
    assert event.company_prefix_length == 9


def test_a_registered_product_holds_the_facts_of_its_event() -> None:
    product = Product.register(**product_facts(unit_of_use=" box "))

    assert product.gtin == "04006381333931"
    assert product.unit_of_use == "box"
    assert product.risk_class is RiskClass.III
    assert product.version == 1


def test_a_product_registered_without_storage_limits_records_none_for_both() -> None:
    facts = product_facts()
    del facts["storage_min_celsius"], facts["storage_max_celsius"]
    del facts["serialised"], facts["company_prefix_length"]

    event = Product.register(**facts).collect_events()[0]

    assert event.storage_min_celsius is None
    assert event.storage_max_celsius is None
    assert event.serialised is False
    assert event.company_prefix_length == 7


@pytest.mark.parametrize(
    "field",
    ["name", "registration_certificate", "unit_of_use"],
)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_product_with_a_blank_text_field_is_rejected_naming_the_field(
    field: str, blank: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        Product.register(**product_facts(**{field: blank}))

    assert caught.value.field == field
    assert caught.value.reason == "must not be empty"
    assert isinstance(caught.value, LedgerError)


@pytest.mark.parametrize("length", [0, 5, 13, 20])
def test_a_company_prefix_outside_6_to_12_digits_is_rejected(length: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        Product.register(**product_facts(company_prefix_length=length))

    assert caught.value.field == "company_prefix_length"


@pytest.mark.parametrize("length", [6, 12])
def test_a_company_prefix_of_6_or_12_digits_is_accepted(length: int) -> None:
    product = Product.register(**product_facts(company_prefix_length=length))

    assert product.company_prefix_length == length


def test_a_storage_range_whose_minimum_is_above_its_maximum_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        Product.register(
            **product_facts(storage_min_celsius=Decimal("8.1"), storage_max_celsius=Decimal("8"))
        )

    assert caught.value.field == "storage_min_celsius"
    assert "storage_max_celsius" in caught.value.reason


@pytest.mark.parametrize(
    ("low", "high"),
    [(Decimal("4"), Decimal("4")), (Decimal("-20"), None), (None, Decimal("25"))],
)
def test_a_single_point_or_one_sided_storage_range_is_accepted(
    low: Decimal | None, high: Decimal | None
) -> None:
    product = Product.register(**product_facts(storage_min_celsius=low, storage_max_celsius=high))

    assert (product.storage_min_celsius, product.storage_max_celsius) == (low, high)


def test_the_message_of_an_invalid_value_names_the_field_and_the_rule() -> None:
    with pytest.raises(InvalidValue) as caught:
        Product.register(**product_facts(name=""))

    assert str(caught.value) == "name: must not be empty"


# Parties


def test_registering_a_party_records_one_party_registered_event_with_its_facts() -> None:
    party = Party.register(**party_facts(code=" DIST-001 ", name=" East China No. 1 "))

    events = party.collect_events()

    assert len(events) == 1
    event = events[0]
    assert type(event) is PartyRegistered
    assert event.originator_id == party.id == party_id("DIST-001")
    assert event.originator_version == 1
    assert event.code == "DIST-001"
    assert event.name == "East China No. 1"
    assert event.role is PartyRole.DISTRIBUTOR
    assert event.region == "East China"
    assert event.grade == "A"
    assert event.recall_contact == "recall@dist001.example.cn"


@pytest.mark.parametrize("code", ["", "   ", "DIST 001", "DIST/001", "DIST.001", "-", "__"])
def test_a_party_code_that_is_empty_or_has_other_characters_is_rejected(code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Party.register(**party_facts(code=code))

    assert caught.value.field == "code"


@pytest.mark.parametrize("code", ["DIST-001", "hosp_12", "A", "MFR-HUAXIN_2"])
def test_a_party_code_of_letters_digits_dashes_and_underscores_is_accepted(code: str) -> None:
    assert Party.register(**party_facts(code=code)).code == code


@pytest.mark.parametrize(("field", "value"), [("name", "  "), ("recall_contact", "")])
def test_a_party_without_a_name_or_recall_contact_is_rejected(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Party.register(**party_facts(**{field: value}))

    assert caught.value.field == field


@pytest.mark.parametrize("role", [PartyRole.DISTRIBUTOR, PartyRole.SUB_DISTRIBUTOR])
@pytest.mark.parametrize("grade", [None, "E", "a", "", "AB"])
def test_a_distributor_needs_a_grade_from_a_to_d(role: PartyRole, grade: str | None) -> None:
    with pytest.raises(InvalidValue) as caught:
        Party.register(**party_facts(role=role, grade=grade))

    assert caught.value.field == "grade"


@pytest.mark.parametrize("role", [PartyRole.DISTRIBUTOR, PartyRole.SUB_DISTRIBUTOR])
@pytest.mark.parametrize("grade", ["A", "B", "C", "D"])
def test_a_distributor_with_a_grade_from_a_to_d_is_accepted(role: PartyRole, grade: str) -> None:
    assert Party.register(**party_facts(role=role, grade=grade)).grade == grade


@pytest.mark.parametrize(
    "role",
    [
        PartyRole.MANUFACTURER,
        PartyRole.SUPPLIER,
        PartyRole.HOSPITAL,
        PartyRole.LOGISTICS_PROVIDER,
    ],
)
def test_only_distributors_carry_a_grade(role: PartyRole) -> None:
    with pytest.raises(InvalidValue) as caught:
        Party.register(**party_facts(role=role, grade="A"))

    assert caught.value.field == "grade"
    assert Party.register(**party_facts(role=role, grade=None)).grade is None
