"""The ``Product`` aggregate: a device type identified by its GTIN (the UDI-DI)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.domain.errors import InvalidValue
from ledger.domain.values import Gtin, RiskClass, product_id


class ProductRegistered(Aggregate.Created):
    """A product entered the ledger's master data.

    Fields: gtin (14 digits), name, registration_certificate, risk_class,
    storage_min_celsius and storage_max_celsius (None when unrestricted), unit_of_use,
    serialised, company_prefix_length.
    """

    gtin: str
    name: str
    registration_certificate: str
    risk_class: RiskClass
    storage_min_celsius: Decimal | None
    storage_max_celsius: Decimal | None
    unit_of_use: str
    serialised: bool
    company_prefix_length: int


class Product(Aggregate):
    """A regulated device type, as registered by its manufacturer."""

    @staticmethod
    def create_id(gtin: str, **_: Any) -> UUID:
        """Products are found by GTIN, so the id is derived from it."""
        return product_id(Gtin(gtin))

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
    ) -> Product:
        """Check the product's facts and record its registration."""
        if not name.strip():
            raise InvalidValue("name", "must not be empty")
        if not registration_certificate.strip():
            raise InvalidValue("registration_certificate", "must not be empty")
        if not unit_of_use.strip():
            raise InvalidValue("unit_of_use", "must not be empty")
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
            name=name.strip(),
            registration_certificate=registration_certificate.strip(),
            risk_class=risk_class,
            storage_min_celsius=storage_min_celsius,
            storage_max_celsius=storage_max_celsius,
            unit_of_use=unit_of_use.strip(),
            serialised=serialised,
            company_prefix_length=company_prefix_length,
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
