"""The ``Product`` aggregate: a device type identified by its GTIN (the UDI-DI)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from ledger.domain.errors import InvalidValue
from ledger.domain.values import Gtin, RiskClass, parse_text, product_id

UDI_ISSUING_AGENCIES = ("GS1", "MA", "AHM")
"""China's UDI issuing agencies: GS1 China, the MA code (ZIIOT) and AHM (Alibaba Health)."""


class ProductRegistered(Aggregate.Created):
    """A product entered the ledger's master data.

    Fields: gtin (14 digits), name, registration_certificate, risk_class,
    storage_min_celsius and storage_max_celsius (None when unrestricted), unit_of_use,
    serialised, company_prefix_length, issuing_agency (the UDI issuing agency of the device
    identifier: ``GS1``, ``MA`` or ``AHM``).

    Version 2 added ``issuing_agency``. Version 1 events (stored without it, and without a
    ``class_version``) named GTINs only, that is GS1 identifiers, so they are read as
    ``GS1``. The stored bytes of old events never change (they are hash-chained); they are
    upcast every time they are read.
    """

    class_version = 2

    gtin: str
    name: str
    registration_certificate: str
    risk_class: RiskClass
    storage_min_celsius: Decimal | None
    storage_max_celsius: Decimal | None
    unit_of_use: str
    serialised: bool
    company_prefix_length: int
    issuing_agency: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 knew GS1 GTINs only."""
        state["issuing_agency"] = "GS1"


class Product(Aggregate):
    """A regulated device type, as registered by its manufacturer."""

    @classmethod
    def register(
        cls,
        *,
        gtin: Gtin,
        name: str,
        registration_certificate: str,
        risk_class: RiskClass,
        unit_of_use: str,
        storage_min_celsius: Decimal | None = None,
        storage_max_celsius: Decimal | None = None,
        serialised: bool = False,
        company_prefix_length: int = 7,
        issuing_agency: str = "GS1",
    ) -> Product:
        """Check the product's facts and record its registration."""
        if issuing_agency not in UDI_ISSUING_AGENCIES:
            raise InvalidValue("issuing_agency", f"one of {', '.join(UDI_ISSUING_AGENCIES)}")
        name = parse_text("name", name)
        registration_certificate = parse_text("registration_certificate", registration_certificate)
        unit_of_use = parse_text("unit_of_use", unit_of_use)
        if not 6 <= company_prefix_length <= 12:
            raise InvalidValue("company_prefix_length", "a GS1 company prefix has 6 to 12 digits")
        if (
            storage_min_celsius is not None
            and storage_max_celsius is not None
            and storage_min_celsius > storage_max_celsius
        ):
            raise InvalidValue("storage_min_celsius", "is above storage_max_celsius")
        # _create with the id given skips the library's generic argument handling.
        return cls._create(
            ProductRegistered,
            id=product_id(gtin),
            gtin=gtin.value,
            name=name,
            registration_certificate=registration_certificate,
            risk_class=risk_class,
            storage_min_celsius=storage_min_celsius,
            storage_max_celsius=storage_max_celsius,
            unit_of_use=unit_of_use,
            serialised=serialised,
            company_prefix_length=company_prefix_length,
            issuing_agency=issuing_agency,
        )

    @event(ProductRegistered)
    def __init__(
        self,
        *,
        gtin: str,
        name: str,
        registration_certificate: str,
        risk_class: RiskClass,
        storage_min_celsius: Decimal | None,
        storage_max_celsius: Decimal | None,
        unit_of_use: str,
        serialised: bool,
        company_prefix_length: int,
        issuing_agency: str,
    ) -> None:
        self.gtin = gtin
        self.name = name
        self.registration_certificate = registration_certificate
        self.risk_class = risk_class
        self.storage_min_celsius = storage_min_celsius
        self.storage_max_celsius = storage_max_celsius
        self.unit_of_use = unit_of_use
        self.serialised = serialised
        self.company_prefix_length = company_prefix_length
        self.issuing_agency = issuing_agency
