"""The ledger's use cases for lots in our warehouses: receipts, moves, transfers, and changes
of status (counts, quarantine, holds, scrapping, temperature); ``channel`` has shipments.

A lot is named by a ``LotRef``: GTIN and lot number, or a UDI as printed or scanned. Every
movement is decided on the lot's current state and saved with the library's optimistic
concurrency check; a movement that loses the race to another is decided again on fresh
state, up to ``MOVEMENT_RETRIES`` times.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, overload
from uuid import UUID

from ledger.application.commands import (
    SYSTEM,
    Caller,
    CommandOutcome,
    Decision,
    arguments_of,
)
from ledger.application.part import LedgerPart
from ledger.domain.errors import InvalidValue
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot.errors import UnknownLot
from ledger.domain.lot.picking import PickSuggestion, suggest_picks
from ledger.domain.lot_ref import LotRef, NamedLot
from ledger.domain.udi import Udi
from ledger.domain.values import (
    Gtin,
    StorageRange,
    lot_id,
    lot_label,
    parse_time,
)

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger

MOVEMENT_RETRIES = 12
"""How many times a movement is decided again after losing a race on one of its lots."""

_ECHOED = ("quantity", "accepted", "rejected", "change", "transfer", "shipment", "hold")


class LotMovement:
    """A use case that runs one of ``Lot``'s commands on the lot its caller names.

    Its keyword arguments are the command's (but those the ledger supplies), with ``lot``, a
    ``LotRef``, and ``caller``; its name, for the idempotency record, is its attribute's.
    Like every movement, it is decided again on fresh state after losing a race on the lot.

    Args:
        command: the ``Lot`` command, e.g. ``Lot.put_away``.
        parties: its arguments naming parties that must be registered.
        supplied: its arguments the ledger supplies, each from the ledger and the lot.
    """

    def __init__(
        self,
        command: Callable[..., None],
        *,
        parties: Sequence[str] = (),
        supplied: Mapping[str, Callable[[Ledger, Lot], Any]] | None = None,
    ) -> None:
        self._command = command
        self._parties = parties
        self._supplied = supplied or {}
        keyword = inspect.Parameter.KEYWORD_ONLY
        given = list(inspect.signature(command).parameters.values())[1:]
        self.signature = inspect.Signature(
            [
                inspect.Parameter("lot", keyword, annotation="LotRef"),
                *(p for p in given if p.name not in self._supplied),
                inspect.Parameter("caller", keyword, default=SYSTEM, annotation="Caller"),
            ],
            return_annotation="CommandOutcome",
        )
        self.name = command.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, part: None, owner: type) -> LotMovement: ...

    @overload
    def __get__(self, part: LedgerPart, owner: type) -> Callable[..., CommandOutcome]: ...

    def __get__(self, part: LedgerPart | None, owner: type) -> Any:
        if part is None:
            return self
        ledger = part._ledger

        def use_case(**given: Any) -> CommandOutcome:
            bound = self.signature.bind(**given)
            bound.apply_defaults()
            return self._run(ledger, bound.arguments)

        use_case.__signature__ = self.signature  # type: ignore[attr-defined]
        use_case.__name__ = self.name
        use_case.__qualname__ = f"{owner.__name__}.{self.name}"
        use_case.__doc__ = self._command.__doc__
        return use_case

    def _run(self, ledger: Ledger, given: dict[str, Any]) -> CommandOutcome:
        arguments = arguments_of(given)
        lot: LotRef = given["lot"]
        params = {key: value for key, value in given.items() if key not in ("lot", "caller")}

        def decide() -> Decision:
            moved = ledger.lots.load(read_lot(lot, params["occurred_at"]))
            for role in self._parties:
                ledger.party(params[role])
            supplied = {name: supply(ledger, moved) for name, supply in self._supplied.items()}
            self._command(moved, **params, **supplied)
            return [moved], lot_outcome(moved, arguments)

        return ledger.execute(
            self.name, arguments, given["caller"], decide, retries=MOVEMENT_RETRIES
        )


def _storage(ledger: Ledger, kept: Lot) -> StorageRange:
    """The storage range of the lot's product, which a temperature reading is judged by."""
    product = ledger.product(Gtin(kept.gtin))
    return StorageRange(product.storage_min_celsius, product.storage_max_celsius)


class Lots(LedgerPart):
    """The use cases that move lots' units or change their status: but for ``receive``, each
    runs one ``Lot`` command (a ``LotMovement``)."""

    # Receipts and moves in our warehouses ------------------------------------------------

    def receive(
        self,
        *,
        lot: LotRef,
        supplier: str,
        purchase_order: str,
        location: str,
        accepted: int,
        occurred_at: datetime,
        rejected: int = 0,
        expiry: date | None = None,
        manufactured_on: date | None = None,
        serials: Sequence[str] = (),
        note: str = "",
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Receive a supplier's delivery against a purchase order, after inspection: accepted
        units become available at ``location``, rejected ones are quarantined there. The first
        receipt of a lot opens it, with its expiry and manufacture dates (from the UDI when
        one is given)."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            named = read_lot(lot, occurred_at)
            self._ledger.party(supplier)
            received = self._lot_to_receive(named, _lot_facts(named.udi, expiry, manufactured_on))
            read_serial = named.udi.serial if named.udi else None
            received.receive(
                supplier=supplier,
                purchase_order=purchase_order,
                location=location,
                accepted=accepted,
                rejected=rejected,
                serials=serials or ([read_serial] if read_serial else []),
                note=note,
                occurred_at=occurred_at,
            )
            return [received], lot_outcome(received, arguments)

        return self._ledger.execute("receive", arguments, caller, decide, retries=MOVEMENT_RETRIES)

    put_away = LotMovement(Lot.put_away)
    dispatch_transfer = LotMovement(Lot.dispatch_transfer)
    receive_transfer = LotMovement(Lot.receive_transfer)

    # Status of the units on hand ---------------------------------------------------------

    adjust_stock = LotMovement(Lot.adjust)
    quarantine = LotMovement(Lot.quarantine)
    release_quarantine = LotMovement(Lot.release_quarantine)
    hold = LotMovement(Lot.hold)
    release_hold = LotMovement(Lot.release_hold)
    scrap = LotMovement(Lot.scrap)
    record_temperature = LotMovement(Lot.record_temperature, supplied={"storage": _storage})

    def suggest_picks(
        self, *, gtin: str, quantity: int, location: str, lot_ids: Sequence[UUID], on: date
    ) -> PickSuggestion:
        """Suggest which of the given lots to pick ``quantity`` units from, first expiry first
        out, at a location or anywhere in a warehouse (a read model lists a GTIN's lots)."""
        product = Gtin.parse(gtin)
        lots: list[Lot] = []
        for identifier in lot_ids:
            found = self._ledger.find(identifier, Lot)
            if found is None:
                raise UnknownLot(str(identifier))
            lots.append(found)
        return suggest_picks(lots, gtin=product.value, quantity=quantity, location=location, on=on)

    # Finding lots ------------------------------------------------------------------------

    def find(self, named: NamedLot) -> Lot | None:
        """The lot named, if the ledger has received it."""
        return self._ledger.find(lot_id(named.gtin, named.number), Lot)

    def load(self, named: NamedLot) -> Lot:
        """The lot named; its facts checked against the UDI's when it was named by one.

        Raises:
            UnknownProduct: the GTIN is not registered.
            UnknownLot: the product is, but the ledger never received this lot.
        """
        found = self.find(named)
        if found is None:
            self._ledger.product(named.gtin)
            raise UnknownLot(lot_label(named.gtin.value, named.number))
        if named.udi is not None:
            found.check_facts(expiry=named.udi.expiry, manufactured_on=named.udi.production_date)
        return found

    def _lot_to_receive(self, named: NamedLot, facts: dict[str, Any]) -> Lot:
        """The lot a receipt goes to: opened with its facts at the first receipt."""
        self._ledger.product(named.gtin)
        found = self.find(named)
        if found is None:
            found = Lot.open(gtin=named.gtin, lot_number=named.number, **facts)
        found.check_facts(**facts)
        return found


def read_lot(lot: LotRef, occurred_at: datetime) -> NamedLot:
    """The lot a movement names, checked; two-digit years on a label are read as of the
    movement's own date."""
    on = parse_time("occurred_at", occurred_at) if lot.udi is not None else occurred_at
    return lot.read(on.date())


def _lot_facts(
    udi: Udi | None, expiry: date | None, manufactured_on: date | None
) -> dict[str, Any]:
    """The lot facts a receipt states, from its arguments and its UDI, which must agree."""
    facts = {"expiry": expiry, "manufactured_on": manufactured_on}
    if udi is not None:
        for field, read in (("expiry", udi.expiry), ("manufactured_on", udi.production_date)):
            if read is not None and facts[field] not in (None, read):
                raise InvalidValue(field, f"differs from the UDI's {read.isoformat()}")
            facts[field] = facts[field] or read
    return facts


def lot_outcome(lot: Lot, arguments: dict[str, Any]) -> dict[str, Any]:
    """A lot movement's answer: the lot, the events it records, and the figures it moved."""
    outcome: dict[str, Any] = {
        "lot_id": str(lot.id),
        "gtin": lot.gtin,
        "lot_number": lot.lot_number,
        "events": [type(event).__name__ for event in lot.pending_events],
    }
    outcome.update({key: arguments[key] for key in _ECHOED if arguments.get(key) is not None})
    return outcome
