"""Demo credit story: accounts for the demo's distributors and hospitals, orders decided
every way, shipments invoiced, partial payments, a credit note, a write-off, an overdue
customer, a dunning sweep and a limit proposal. Dates count back from the demo's "now"."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ledger.application.commands import Caller, CommandOutcome
from ledger.application.ledger import Ledger
from ledger.demo.stock import DemoCast
from ledger.demo.story import OneLotStory
from ledger.domain.order import OrderLine
from ledger.domain.party import Party
from ledger.domain.values import ShipmentLine, party_id

FINANCE = Caller(actor="demo-finance", scope="demo")
CONTROLLER = Caller(actor="demo-controller", scope="demo")
OPERATOR = Caller(actor="demo-operator", scope="demo")
PRICE = Decimal("185.50")


class CreditStory(OneLotStory):
    """Runs the credit story on a ledger holding the demo's master data."""

    LOCATION = "WH-SH-CR1"

    def __init__(self, ledger: Ledger, cast: DemoCast, seed: int) -> None:
        super().__init__(ledger, cast, seed, product=3, prefix="CR")
        self.orders = 0

    def run(self) -> int:
        """Tell the story; return how many events it appended."""
        start = self.now - timedelta(days=100)
        self._receive(20_000, start)
        distributors, hospitals = self.cast.distributors, self.cast.hospitals
        for code in distributors:
            party: Party = self.ledger.repository.get(party_id(code))
            self._open(code, party.grade or "B", "500000", 30)
        for code in hospitals[:-1]:
            self._open(code, "B", "200000", 60)
        self._open(hospitals[-1], "D", "50000", 30)
        # Distributors: orders shipped and paid, some in part; the last one pays nothing.
        for index, code in enumerate(distributors):
            for month in range(3):
                at = start + timedelta(days=5 + 30 * month + index)
                order = self._order(code, 200 + 50 * month, at)
                if order.outcome["state"] == "credit_held":  # grade C: a person decides
                    self._count(
                        self.ledger.orders.review_order(
                            order=order.outcome["order"],
                            approve=True,
                            caller=FINANCE,
                            reason="grade C distributor, stock agreement on file",
                        )
                    )
                if order.outcome["state"] in ("approved", "credit_held"):
                    self._ship(order.outcome["order"], 200 + 50 * month, at + timedelta(days=2))
            if index < len(distributors) - 1:
                share = Decimal("0.6") if index % 2 else Decimal(1)
                self._pay(code, share, start + timedelta(days=40 + index))
        self._exceptions(hospitals, start)
        self._count(
            self.ledger.credit.issue_credit_note(
                customer=distributors[0],
                credit_note="CN-DEMO-1",
                amount=Decimal("1855.00"),
                issued_on=(start + timedelta(days=50)).date(),
                reason="returned damaged boxes",
                caller=FINANCE,
            )
        )
        for result in self.ledger.credit.sweep_credit(
            customers=[*distributors, *hospitals], as_of=self.now.date(), caller=FINANCE
        ):
            self._count(result)
        self._count(
            self.ledger.credit.propose_credit_limit(
                customer=distributors[0], as_of=self.now.date(), caller=FINANCE
            )
        )
        return self.events

    def _open(self, code: str, grade: str, limit: str, terms: int) -> None:
        self._count(
            self.ledger.orders.open_credit_account(
                customer=code,
                currency="CNY",
                grade=grade,
                limit=Decimal(limit),
                terms_days=terms,
                tolerance_days=5,
                tolerance_amount=Decimal(1000),
                reason="annual credit review",
                caller=FINANCE,
            )
        )

    def _order(self, customer: str, quantity: int, at: datetime) -> CommandOutcome:
        self.orders += 1
        return self._count(
            self.ledger.orders.place_order(
                order=f"SO-DEMO-{self.orders:04d}",
                customer=customer,
                currency="CNY",
                lines=[OrderLine(self.gtin, quantity, PRICE, Decimal(2))],
                placed_at=at,
                caller=OPERATOR,
            )
        )

    def _ship(self, order: str, quantity: int, at: datetime) -> None:
        self._count(
            self.ledger.orders.ship_order(
                order=order,
                shipment=f"SHP-{order}",
                occurred_at=at,
                caller=OPERATOR,
                lines=[ShipmentLine(self.gtin, self.lot, quantity, self.LOCATION)],
            )
        )

    def _pay(self, customer: str, share: Decimal, at: datetime) -> None:
        owed = self.ledger.credit_account(customer).open_receivables
        amount = (owed * share).quantize(Decimal("0.01"))
        if amount > 0:
            self._count(
                self.ledger.credit.receive_payment(
                    customer=customer,
                    payment=f"PAY-{customer}-1",
                    amount=amount,
                    currency="CNY",
                    received_on=at.date(),
                    caller=FINANCE,
                )
            )

    def _exceptions(self, hospitals: list[str], start: datetime) -> None:
        """Orders decided every other way: held then approved, rejected, prepayment,
        cancelled; and a write-off approved by a second person."""
        first, prepaying = hospitals[0], hospitals[-1]
        at = start + timedelta(days=20)
        held = self._order(first, 1200, at)  # over the 200,000 limit: held
        self._count(
            self.ledger.orders.review_order(
                order=held.outcome["order"],
                approve=True,
                reason="long-standing customer",
                caller=FINANCE,
            )
        )
        self._ship(held.outcome["order"], 1200, at + timedelta(days=1))
        self._order(first, 2000, at + timedelta(days=2))  # far over the limit: rejected
        self._order(prepaying, 10, at)  # grade D: prepayment required
        cancelled = self._order(hospitals[1 % len(hospitals)], 20, at)
        self._count(
            self.ledger.orders.cancel_order(
                order=cancelled.outcome["order"],
                reason="ordered twice",
                occurred_at=at,
                caller=OPERATOR,
            )
        )
        invoice = f"INV-{held.outcome['order']}"
        day = (start + timedelta(days=95)).date()
        self._count(
            self.ledger.credit.request_write_off(
                customer=first,
                write_off="WO-DEMO-1",
                invoice=invoice,
                amount=Decimal("5000.00"),
                requested_on=day,
                reason="disputed delivery, settled",
                caller=FINANCE,
            )
        )
        self._count(
            self.ledger.credit.decide_write_off(
                customer=first,
                write_off="WO-DEMO-1",
                approve=True,
                decided_on=day,
                reason="settlement signed",
                caller=CONTROLLER,
            )
        )
