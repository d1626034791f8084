"""Master data use cases: registering the products and parties the ledger knows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision, arguments_of
from ledger.application.part import LedgerPart
from ledger.domain.errors import AlreadyRegistered
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.values import Gtin, PartyRole, RiskClass


class MasterData(LedgerPart):
    """Registering products and parties; each is created once, under an id derived from its
    GTIN or code, so a second registration is refused."""

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
        return self._register(
            "product",
            "gtin",
            arguments,
            caller,
            lambda: Product.register(**{**arguments, "gtin": Gtin.parse(gtin)}),
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
        return self._register(
            "party", "code", arguments, caller, lambda: Party.register(**arguments)
        )

    def _register(
        self,
        kind: str,
        key: str,
        arguments: dict[str, Any],
        caller: Caller,
        register: Callable[[], Product | Party],
    ) -> CommandOutcome:
        """Run ``register_<kind>``: ``register`` checks the facts and creates the aggregate
        under an id derived from its ``key`` attribute (the GTIN, the code), which a second
        registration finds taken. The answer is the id and the key."""
        created: Product | Party | None = None

        def decide() -> Decision:
            nonlocal created
            created = register()
            return [created], {f"{kind}_id": str(created.id), key: getattr(created, key)}

        return self._ledger.execute(
            f"register_{kind}",
            arguments,
            caller,
            decide,
            on_duplicate=lambda: AlreadyRegistered(kind, getattr(created, key)),
        )
