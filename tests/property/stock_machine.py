"""Random sequences of a lot's movements, accepted or rejected, and a plain model of them.

The rules here decide, with dictionaries and plain arithmetic, whether each command must pass
and what it changes; a subclass says what runs the command (the ``Lot`` aggregate in memory,
or the ``Ledger`` application on PostgreSQL) and what it checks against the model.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from ledger.domain.errors import LedgerError
from ledger.domain.values import StockStatus, StorageRange, warehouse_of

AVAILABLE, QUARANTINE, HOLD = StockStatus.AVAILABLE, StockStatus.QUARANTINE, StockStatus.HOLD
WHEN = datetime(2026, 3, 2, 8, tzinfo=UTC)
COLD = StorageRange(Decimal("2"), Decimal("8"))

locations = st.sampled_from(["WH-A-01", "WH-A-02", "WH-B-01"])
statuses = st.sampled_from([AVAILABLE, QUARANTINE, HOLD])
parties = st.sampled_from(["DIST-1", "HOSP-1", "HOSP-2"])
quantities = st.integers(min_value=-1, max_value=12)
transfers = st.sampled_from(["TR-1", "TR-2", "TR-3"])
shipments = st.sampled_from(["SH-1", "SH-2", "SH-3"])
holds = st.sampled_from(["RC-1", "RC-2"])


@dataclass
class Transit:
    kind: str
    destination: str
    quantity: int
    excursion: bool = False


@dataclass
class Model:
    """What the lot should hold, kept with dictionaries and plain arithmetic."""

    on_hand: dict[tuple[str, StockStatus], int] = field(default_factory=dict)
    transit: dict[str, Transit] = field(default_factory=dict)
    consignees: dict[str, int] = field(default_factory=dict)
    holds: set[str] = field(default_factory=set)
    used_references: set[str] = field(default_factory=set)
    received: int = 0
    used: int = 0
    scrapped: int = 0
    adjusted: int = 0
    lost: int = 0

    def at(self, location: str, status: StockStatus) -> int:
        return self.on_hand.get((location, status), 0)

    def add(self, location: str, status: StockStatus, quantity: int) -> None:
        self.on_hand[(location, status)] = self.at(location, status) + quantity
        if not self.on_hand[(location, status)]:
            del self.on_hand[(location, status)]

    def give(self, party: str, quantity: int) -> None:
        self.consignees[party] = self.consignees.get(party, 0) + quantity
        if not self.consignees[party]:
            del self.consignees[party]

    def incoming(self) -> StockStatus:
        return HOLD if self.holds else AVAILABLE


class StockRules(RuleBasedStateMachine):
    """Every movement of one lot as a rule; ``attempt`` checks pass/refuse against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()

    @abstractmethod
    def command(self, name: str, **arguments: Any) -> None:
        """Run the lot command ``name`` (a ``Lot`` method's name and arguments)."""

    @abstractmethod
    def snapshot(self) -> Any:
        """Everything a refused command must leave as it was."""

    def attempt(self, should_pass: bool, name: str, **arguments: Any) -> bool:
        """Run a command; check it passed or failed as the model says, and that a failure
        changed nothing."""
        before = self.snapshot()
        try:
            self.command(name, **arguments)
        except LedgerError:
            assert not should_pass, f"{name} was refused but the model accepts it"
            assert self.snapshot() == before, f"the refused {name} changed something"
            return False
        assert should_pass, f"{name} was accepted but the model refuses it"
        return True

    @rule(location=locations, accepted=st.integers(-1, 10), rejected=st.integers(0, 3))
    def receive(self, location: str, accepted: int, rejected: int) -> None:
        ok = accepted >= 0 and accepted + rejected > 0
        done = self.attempt(
            ok,
            "receive",
            supplier="MFR",
            purchase_order="PO",
            location=location,
            accepted=accepted,
            rejected=rejected,
        )
        if done:
            self.model.add(location, self.model.incoming(), accepted)
            self.model.add(location, QUARANTINE, rejected)
            self.model.received += accepted + rejected

    @rule(source=locations, destination=locations, status=statuses, quantity=quantities)
    def put_away(self, source: str, destination: str, status: StockStatus, quantity: int) -> None:
        ok = (
            warehouse_of(source) == warehouse_of(destination)
            and source != destination
            and 0 < quantity <= self.model.at(source, status)
        )
        move = {"from_location": source, "to_location": destination, "status": status}
        if self.attempt(ok, "put_away", **move, quantity=quantity):
            self.model.add(source, status, -quantity)
            self.model.add(destination, status, quantity)

    @rule(reference=transfers, source=locations, destination=locations, quantity=quantities)
    def dispatch_transfer(
        self, reference: str, source: str, destination: str, quantity: int
    ) -> None:
        ok = (
            warehouse_of(source) != warehouse_of(destination)
            and not self.model.holds
            and 0 < quantity <= self.model.at(source, AVAILABLE)
            and reference not in self.model.used_references
        )
        move = {"transfer": reference, "from_location": source, "to_location": destination}
        if self.attempt(ok, "dispatch_transfer", **move, quantity=quantity):
            self.model.add(source, AVAILABLE, -quantity)
            self.model.transit[reference] = Transit("transfer", destination, quantity)
            self.model.used_references.add(reference)

    @rule(reference=transfers, location=locations, quantity=quantities)
    def receive_transfer(self, reference: str, location: str, quantity: int) -> None:
        transit = self.model.transit.get(reference)
        ok = (
            transit is not None
            and transit.kind == "transfer"
            and warehouse_of(location) == warehouse_of(transit.destination)
            and 0 <= quantity <= transit.quantity
        )
        receipt = {"transfer": reference, "location": location, "quantity": quantity}
        if self.attempt(ok, "receive_transfer", **receipt):
            assert transit is not None
            status = QUARANTINE if transit.excursion else self.model.incoming()
            self.model.add(location, status, quantity)
            self.model.lost += transit.quantity - quantity
            del self.model.transit[reference]

    @rule(
        reference=shipments,
        consignee=parties,
        picks=st.dictionaries(locations, quantities, min_size=1, max_size=2),
    )
    def ship(self, reference: str, consignee: str, picks: dict[str, int]) -> None:
        ok = (
            not self.model.holds
            and reference not in self.model.used_references
            and all(0 < q <= self.model.at(place, AVAILABLE) for place, q in picks.items())
        )
        order = {"shipment": reference, "consignee": consignee, "picks": picks}
        if self.attempt(ok, "ship", **order):
            for place, quantity in picks.items():
                self.model.add(place, AVAILABLE, -quantity)
            self.model.transit[reference] = Transit("shipment", consignee, sum(picks.values()))
            self.model.used_references.add(reference)

    @rule(reference=shipments, consignee=parties)
    def confirm_delivery(self, reference: str, consignee: str) -> None:
        transit = self.model.transit.get(reference)
        ok = transit is not None and transit.destination == consignee
        if self.attempt(ok, "confirm_delivery", shipment=reference, consignee=consignee):
            assert transit is not None
            self.model.give(consignee, transit.quantity)
            del self.model.transit[reference]

    @rule(consignee=parties, location=locations, quantity=quantities)
    def receive_return(self, consignee: str, location: str, quantity: int) -> None:
        ok = 0 < quantity <= self.model.consignees.get(consignee, 0)
        back = {"consignee": consignee, "location": location, "quantity": quantity}
        if self.attempt(ok, "receive_return", **back, reason="return"):
            self.model.give(consignee, -quantity)
            self.model.add(location, QUARANTINE, quantity)

    @rule(consignee=parties, quantity=quantities)
    def report_use(self, consignee: str, quantity: int) -> None:
        ok = 0 < quantity <= self.model.consignees.get(consignee, 0)
        if self.attempt(ok, "report_use", consignee=consignee, quantity=quantity):
            self.model.give(consignee, -quantity)
            self.model.used += quantity

    @rule(seller=parties, buyer=parties, quantity=quantities)
    def report_sales(self, seller: str, buyer: str, quantity: int) -> None:
        ok = seller != buyer and 0 < quantity <= self.model.consignees.get(seller, 0)
        sale = {"seller": seller, "buyer": buyer, "quantity": quantity}
        if self.attempt(ok, "report_sales", **sale):
            self.model.give(seller, -quantity)
            self.model.give(buyer, quantity)

    @rule(location=locations, status=statuses, change=st.integers(-6, 6))
    def adjust(self, location: str, status: StockStatus, change: int) -> None:
        ok = change != 0 and self.model.at(location, status) + change >= 0
        count = {"location": location, "status": status, "change": change}
        if self.attempt(ok, "adjust", **count, reason="count"):
            self.model.add(location, status, change)
            self.model.adjusted += change

    @rule(location=locations, quantity=quantities, release=st.booleans())
    def quarantine_or_release(self, location: str, quantity: int, release: bool) -> None:
        source, target = (QUARANTINE, self.model.incoming()) if release else (AVAILABLE, QUARANTINE)
        ok = 0 < quantity <= self.model.at(location, source)
        name = "release_quarantine" if release else "quarantine"
        where = {"location": location, "quantity": quantity}
        if self.attempt(ok, name, **where, reason="inspection"):
            self.model.add(location, source, -quantity)
            self.model.add(location, target, quantity)

    @rule(reference=holds)
    def hold(self, reference: str) -> None:
        ok = reference not in self.model.used_references
        if self.attempt(ok, "hold", hold=reference, reason="recall"):
            for (place, status), quantity in list(self.model.on_hand.items()):
                if status is AVAILABLE:
                    self.model.add(place, AVAILABLE, -quantity)
                    self.model.add(place, HOLD, quantity)
            self.model.holds.add(reference)
            self.model.used_references.add(reference)

    @rule(reference=holds)
    def release_hold(self, reference: str) -> None:
        ok = reference in self.model.holds
        if self.attempt(ok, "release_hold", hold=reference):
            self.model.holds.discard(reference)
            if not self.model.holds:
                for (place, status), quantity in list(self.model.on_hand.items()):
                    if status is HOLD:
                        self.model.add(place, HOLD, -quantity)
                        self.model.add(place, AVAILABLE, quantity)

    @rule(location=locations, status=statuses, quantity=quantities)
    def scrap(self, location: str, status: StockStatus, quantity: int) -> None:
        ok = status is not HOLD and 0 < quantity <= self.model.at(location, status)
        what = {"location": location, "status": status, "quantity": quantity}
        if self.attempt(ok, "scrap", **what, reason="destroyed"):
            self.model.add(location, status, -quantity)
            self.model.scrapped += quantity

    @rule(
        location=st.none() | locations,
        shipment=st.none() | shipments | transfers,
        celsius=st.sampled_from([Decimal("0"), Decimal("5"), Decimal("12")]),
    )
    def record_temperature(
        self, location: str | None, shipment: str | None, celsius: Decimal
    ) -> None:
        ok = (location is None) != (shipment is None) and (
            location is not None or shipment in self.model.transit
        )
        where = {"location": location, "shipment": shipment}
        if self.attempt(ok, "record_temperature", **where, celsius=celsius, storage=COLD) and (
            not COLD.admits(celsius)
        ):
            if location is not None:
                available = self.model.at(location, AVAILABLE)
                self.model.add(location, AVAILABLE, -available)
                self.model.add(location, QUARANTINE, available)
            else:
                assert shipment is not None
                self.model.transit[shipment].excursion = True
