"""``/v1/products`` and ``/v1/parties``: registering and reading master data."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.deps import AnyKey, LedgerDep, OperatorKey
from api.problems import problem_responses
from api.routers.common import WRITE_RESPONSES, CommandBody, DecimalText, aggregate, command
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.values import Gtin, PartyRole, RiskClass, party_id, product_id

router = APIRouter(prefix="/v1", tags=["master data"])
_WRITE_RESPONSES = WRITE_RESPONSES
_READ_PROBLEMS = problem_responses(401, 403, 404, 422)


class RegisterProduct(CommandBody):
    """A product to register: a device type identified by its GTIN (the UDI-DI)."""

    model_config = ConfigDict(extra="forbid")

    gtin: str = Field(
        min_length=1,
        max_length=20,
        description="GTIN-8, -12, -13 or -14 with its check digit; stored as 14 digits.",
        examples=["06901234000018"],
    )
    name: str = Field(min_length=1, max_length=200, description="The device's name and model.")
    registration_certificate: str = Field(
        min_length=1, max_length=100, description="The regulator's registration number."
    )
    risk_class: RiskClass = Field(description="Regulatory risk class: I, II or III.")
    unit_of_use: str = Field(
        min_length=1, max_length=50, description="What one unit is: each, box, kit, set …"
    )
    storage_min_celsius: DecimalText | None = Field(
        default=None, description="Lowest storage temperature in °C; null if unrestricted."
    )
    storage_max_celsius: DecimalText | None = Field(
        default=None, description="Highest storage temperature in °C; null if unrestricted."
    )
    serialised: StrictBool = Field(default=False, description="Whether units carry serials.")
    company_prefix_length: StrictInt = Field(
        default=7, description="Digits of the GS1 company prefix in the GTIN (6 to 12)."
    )


class ProductRegistration(BaseModel):
    """The answer to a product registration (the same on every replay of its key)."""

    product_id: UUID = Field(description="The product's permanent id (derived from the GTIN).")
    gtin: str = Field(description="The GTIN as 14 digits.")
    positions: list[int] = Field(description="Positions of the events recorded.")


class ProductView(BaseModel):
    """A registered product."""

    product_id: UUID
    gtin: str
    name: str
    registration_certificate: str
    risk_class: RiskClass
    unit_of_use: str
    storage_min_celsius: Decimal | None
    storage_max_celsius: Decimal | None
    serialised: bool
    company_prefix_length: int
    version: int = Field(description="The aggregate's version (its number of events).")
    registered_at: datetime


class RegisterParty(CommandBody):
    """A party to register: a manufacturer, distributor, hospital, 3PL …"""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=64,
        description="The ledger's short code for the party: letters, digits, '-' and '_'.",
        examples=["DIST-042"],
    )
    name: str = Field(min_length=1, max_length=200, description="The party's legal name.")
    role: PartyRole = Field(description="The part the party plays in the channel.")
    region: str = Field(min_length=1, max_length=100, description="Sales region.")
    recall_contact: str = Field(
        min_length=1, max_length=200, description="Who receives recall notices."
    )
    grade: str | None = Field(
        default=None, max_length=1, description="Distributors only: grade A, B, C or D."
    )


class PartyRegistration(BaseModel):
    """The answer to a party registration (the same on every replay of its key)."""

    party_id: UUID = Field(description="The party's permanent id (derived from its code).")
    code: str
    positions: list[int] = Field(description="Positions of the events recorded.")


class PartyView(BaseModel):
    """A registered party."""

    party_id: UUID
    code: str
    name: str
    role: PartyRole
    region: str
    grade: str | None
    recall_contact: str
    version: int = Field(description="The aggregate's version (its number of events).")
    registered_at: datetime


router.post("/products", status_code=201, response_model=ProductRegistration,
            responses=_WRITE_RESPONSES)(
    command("master_data.register_product", RegisterProduct, key=OperatorKey,
            location=lambda _, outcome: f"/v1/products/{outcome.outcome['gtin']}",
            doc="Register a product in the master data.")
)  # fmt: skip


@router.get("/products/{gtin}", response_model=ProductView, responses=_READ_PROBLEMS)
def read_product(
    gtin: Annotated[str, Path(max_length=20, description="The product's GTIN.")],
    key: AnyKey,
    ledger: LedgerDep,
) -> ProductView:
    """Read a registered product by its GTIN."""
    product = aggregate(ledger, product_id(Gtin.parse(gtin)), Product, name="product", key=gtin)
    return ProductView(
        product_id=product.id,
        registered_at=product.created_on,
        version=product.version,
        **{field: getattr(product, field) for field in _PRODUCT_FIELDS},
    )


router.post("/parties", status_code=201, response_model=PartyRegistration,
            responses=_WRITE_RESPONSES)(
    command("master_data.register_party", RegisterParty, key=OperatorKey,
            location=lambda _, outcome: f"/v1/parties/{outcome.outcome['code']}",
            doc="Register a party in the master data.")
)  # fmt: skip


@router.get("/parties/{code}", response_model=PartyView, responses=_READ_PROBLEMS)
def read_party(
    code: Annotated[str, Path(max_length=64, description="The party's code.")],
    key: AnyKey,
    ledger: LedgerDep,
) -> PartyView:
    """Read a registered party by its code."""
    party = aggregate(ledger, party_id(code), Party, name="party", key=code)
    return PartyView(
        party_id=party.id,
        registered_at=party.created_on,
        version=party.version,
        **{field: getattr(party, field) for field in _PARTY_FIELDS},
    )


# The views' fields that are the aggregates' own attributes, under the same names.
_PRODUCT_FIELDS = tuple(
    name
    for name in ProductView.model_fields
    if name not in {"product_id", "version", "registered_at"}
)
_PARTY_FIELDS = tuple(
    name for name in PartyView.model_fields if name not in {"party_id", "version", "registered_at"}
)
