"""Master data use cases: registering the products and parties the ledger knows."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision, arguments_of
from ledger.domain.errors import AlreadyRegistered
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.values import Gtin, PartyRole, RiskClass

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger


class MasterData:
    """Registering products and parties; each is created once, under an id derived from its
    GTIN or code, so a second registration is refused."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def register_product(
        self,
        *,
        gtin: str,
        name: str,
        registration_certificate: str,
        risk_class: RiskClass,
        unit_of_use: str,
        storage_min_celsius: Decimal | None = None,
        storage_max_celsius: Decimal | None = None,
        serialised: bool = False,
        company_prefix_length: int = 7,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Register a product in the master data; its id derives from the GTIN."""
        arguments: dict[str, Any] = arguments_of(locals())

        def decide() -> Decision:
            product = Product.register(**{**arguments, "gtin": Gtin.parse(gtin)})
            return [product], {"product_id": str(product.id), "gtin": product.gtin}

        return self._ledger.execute(
            "register_product",
            arguments,
            caller,
            decide,
            on_duplicate=lambda: AlreadyRegistered("product", Gtin.parse(gtin).value),
        )

    def register_party(
        self,
        *,
        code: str,
        name: str,
        role: PartyRole,
        region: str,
        recall_contact: str,
        grade: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Register a party (manufacturer, distributor, hospital …) in the master data."""
        arguments: dict[str, Any] = arguments_of(locals())

        def decide() -> Decision:
            party = Party.register(**arguments)
            return [party], {"party_id": str(party.id), "code": party.code}

        return self._ledger.execute(
            "register_party",
            arguments,
            caller,
            decide,
            on_duplicate=lambda: AlreadyRegistered("party", code.strip()),
        )
