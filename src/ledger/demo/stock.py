"""Demo stock movements: lots received into three warehouses and followed into the channel.

Every movement goes through the ``Ledger``'s use cases, with ``occurred_at`` spread over the
four months before a reference date derived from the seed, so the same seed always gives
the same events.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.application.commands import CommandOutcome
from ledger.application.ledger import Ledger
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import ShipmentLine

WAREHOUSES = ("WH-SH", "WH-BJ", "WH-GZ")
DAYS_OF_HISTORY = 120
# Lots arrive over the first 85 days; the month after a receipt carries each lot's story,
# so every movement happens before the reference time.
DAYS_OF_RECEIPTS = 85


def reference_time(seed: int) -> datetime:
    """The demo's "now": a fixed day of 2026 chosen by the seed, never the real clock."""
    return datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=seed % 180)


@dataclass(frozen=True)
class DemoCast:
    """The registered parties and products the movements use."""

    manufacturers: list[str]
    distributors: list[str]
    sub_distributors: list[str]
    hospitals: list[str]
    products: list[tuple[str, bool]]  # GTIN, whether it has a storage range


@dataclass
class _LotPlan:
    """One lot's facts and where its units are, as the story moves them."""

    gtin: str
    number: str
    home: str
    start: datetime
    on_hand: dict[str, int] = field(default_factory=dict)
    held_by: dict[str, int] = field(default_factory=dict)

    def ref(self) -> LotRef:
        return LotRef(self.gtin, self.number)

    def moved(self, source: str, target: str, sent: int, arrived: int) -> None:
        """``sent`` units left ``source``; the ``arrived`` ones are the first at ``target``."""
        self.on_hand[source] -= sent
        self.on_hand[target] = arrived


class StockStory:
    """Runs the demo's movements for a number of lots; counts the events they append."""

    def __init__(self, ledger: Ledger, rng: random.Random, cast: DemoCast, seed: int) -> None:
        self.ledger = ledger
        self.rng = rng
        self.cast = cast
        self.now = reference_time(seed)
        self.events = 0
        self.specials: set[str] = set()

    def run(self, lots: int, step: Callable[[int], None]) -> int:
        """Receive and move ``lots`` lots; return how many events were appended."""
        for number in range(1, lots + 1):
            offset = timedelta(days=DAYS_OF_RECEIPTS * (number - 1) / lots, hours=number % 7)
            plan = self._receive(number, self.now - timedelta(days=DAYS_OF_HISTORY) + offset)
            self._store(plan)
            self._ship_and_follow(plan)
            self._special_cases(plan)
            step(1)
        return self.events

    def _count(self, outcome: CommandOutcome) -> None:
        self.events += len(outcome.positions)

    def _at(self, plan: _LotPlan, days: float) -> datetime:
        return plan.start + timedelta(days=days, minutes=self.rng.randint(0, 600))

    def _move(
        self, plan: _LotPlan, days: float, use_case: Callable[..., CommandOutcome], **fields: Any
    ) -> None:
        """Run a use case on the plan's lot, ``days`` after its receipt; count its events."""
        self._count(use_case(lot=plan.ref(), occurred_at=self._at(plan, days), **fields))

    def _receive(self, number: int, start: datetime) -> _LotPlan:
        gtin, _ = self.cast.products[number % len(self.cast.products)]
        home = WAREHOUSES[number % len(WAREHOUSES)]
        plan = _LotPlan(gtin, f"B{start:%y%m}{number:03d}", home, start)
        expiry = (self.now + timedelta(days=self.rng.randint(90, 900))).date()
        made = (start - timedelta(days=self.rng.randint(30, 200))).date()
        accepted, rejected = self.rng.randint(8, 24) * 5, self.rng.choice((0, 0, 0, 1, 2))
        udi = _udi(gtin, plan.number, made, expiry) if number % 3 == 0 else None
        self._count(
            self.ledger.lots.receive(
                # Every third lot is received by scanning its label's UDI.
                lot=LotRef(udi=udi) if udi else plan.ref(),
                expiry=None if udi else expiry,
                manufactured_on=None if udi else made,
                supplier=self.rng.choice(self.cast.manufacturers),
                purchase_order=f"PO-{start:%Y%m}-{number:04d}",
                location=f"{home}-01",
                accepted=accepted,
                rejected=rejected,
                occurred_at=start,
            )
        )
        plan.on_hand[f"{home}-01"] = accepted
        return plan

    def _store(self, plan: _LotPlan) -> None:
        source, shelf = f"{plan.home}-01", f"{plan.home}-02"
        moved = plan.on_hand[source] // 2
        self._move(
            plan,
            0.2,
            self.ledger.lots.put_away,
            from_location=source,
            to_location=shelf,
            quantity=moved,
        )
        plan.moved(source, shelf, moved, moved)
        if plan.start.day % 3 == 0:
            self._transfer(plan)

    def _transfer(self, plan: _LotPlan) -> None:
        source = f"{plan.home}-01"
        target = f"{self.rng.choice([w for w in WAREHOUSES if w != plan.home])}-01"
        quantity = min(plan.on_hand[source], self.rng.randint(5, 15))
        reference = f"TR-{plan.number}"
        self._move(
            plan,
            1,
            self.ledger.lots.dispatch_transfer,
            transfer=reference,
            from_location=source,
            to_location=target,
            quantity=quantity,
        )
        received = quantity - (1 if self.rng.random() < 0.2 else 0)  # now and then one is lost
        self._move(
            plan,
            3,
            self.ledger.lots.receive_transfer,
            transfer=reference,
            location=target,
            quantity=received,
        )
        plan.moved(source, target, quantity, received)

    def _ship_and_follow(self, plan: _LotPlan) -> None:
        shelf = f"{plan.home}-02"
        for round_number, customer in enumerate(self._customers(), start=1):
            quantity = min(plan.on_hand[shelf], self.rng.randint(4, 12))
            if quantity == 0:
                return
            shipment = f"SH-{plan.number}-{round_number}"
            self._count(
                self.ledger.channel.ship(
                    shipment=shipment,
                    consignee=customer,
                    lines=[ShipmentLine(plan.gtin, plan.number, quantity, shelf)],
                    order=f"SO-{plan.number}-{round_number}",
                    occurred_at=self._at(plan, 4 + round_number * 2),
                )
            )
            plan.on_hand[shelf] -= quantity
            self._count(
                self.ledger.channel.confirm_delivery(
                    shipment=shipment,
                    consignee=customer,
                    lots=[(plan.gtin, plan.number)],
                    occurred_at=self._at(plan, 6 + round_number * 2),
                )
            )
            plan.held_by[customer] = plan.held_by.get(customer, 0) + quantity
            self._report(plan, customer, days=12 + round_number * 3)

    def _customers(self) -> list[str]:
        first = self.rng.choice(self.cast.distributors)
        return [first, self.rng.choice(self.cast.hospitals + self.cast.distributors)]

    def _report(self, plan: _LotPlan, customer: str, *, days: float) -> None:
        held = plan.held_by[customer]
        if customer.startswith("HOSP"):
            used = self.rng.randint(1, held)
            self._move(
                plan, days, self.ledger.channel.report_use, consignee=customer, quantity=used
            )
            plan.held_by[customer] -= used
            return
        buyer = self.rng.choice(self.cast.hospitals + self.cast.sub_distributors)
        sold = self.rng.randint(1, held)
        self._move(
            plan,
            days,
            self.ledger.channel.report_sales,
            seller=customer,
            buyer=buyer,
            quantity=sold,
            reference=f"DS-{customer}-{plan.number}",
        )
        plan.held_by[customer] -= sold
        plan.held_by[buyer] = plan.held_by.get(buyer, 0) + sold
        if buyer.startswith("HOSP"):
            self._report(plan, buyer, days=days + 5)

    def _special_cases(self, plan: _LotPlan) -> None:
        """Once each: a return, a quarantine and a temperature excursion."""
        hospital = next((c for c, q in plan.held_by.items() if c.startswith("HOSP") and q), None)
        if "return" not in self.specials and hospital is not None:
            self.specials.add("return")
            self._move(
                plan,
                30,
                self.ledger.channel.receive_return,
                consignee=hospital,
                location=f"{plan.home}-Q1",
                quantity=1,
                reason="outer packaging damaged on the ward",
            )
        elif "quarantine" not in self.specials and plan.on_hand[f"{plan.home}-01"] >= 5:
            self.specials.add("quarantine")
            self._move(
                plan,
                25,
                self.ledger.lots.quarantine,
                location=f"{plan.home}-01",
                quantity=5,
                reason="cartons found wet at cycle count",
            )
        elif "excursion" not in self.specials and self._has_storage_range(plan):
            self.specials.add("excursion")
            self._readings(plan)

    def _has_storage_range(self, plan: _LotPlan) -> bool:
        return dict(self.cast.products)[plan.gtin] and plan.on_hand[f"{plan.home}-02"] > 0

    def _readings(self, plan: _LotPlan) -> None:
        for days, celsius in ((20, Decimal("5.1")), (21, Decimal("11.8"))):
            self._move(
                plan,
                days,
                self.ledger.lots.record_temperature,
                location=f"{plan.home}-02",
                celsius=celsius,
            )


def _udi(gtin: str, lot_number: str, made: date, expiry: date) -> str:
    """The label's UDI in its bracketed human-readable form."""
    return f"(01){gtin}(11){made:%y%m%d}(17){expiry:%y%m%d}(10){lot_number}"
