"""The rules a lot's movements can break: each error names the lot and the figures involved."""

from __future__ import annotations

from datetime import date

from ledger.domain.errors import LedgerError


class UnknownLot(LedgerError):
    """Raised when a movement names a lot of a registered product that was never received."""

    def __init__(self, lot: str) -> None:
        super().__init__(f"lot {lot} has never been received")
        self.lot = lot


class InsufficientStock(LedgerError):
    """Raised when a movement would take more units than a location holds in that status."""

    def __init__(
        self, lot: str, location: str, status: str, requested: int, available: int
    ) -> None:
        super().__init__(
            f"lot {lot} at {location}: {requested} {status} requested, {available} there"
        )
        self.lot = lot
        self.location = location
        self.status = status
        self.requested = requested
        self.available = available


class LotOnHold(LedgerError):
    """Raised when stock of a lot under an open hold (e.g. a recall) would leave."""

    def __init__(self, lot: str, holds: list[str]) -> None:
        super().__init__(f"lot {lot} is on hold ({', '.join(holds)}); its stock may not leave")
        self.lot = lot
        self.holds = holds


class LotExpired(LedgerError):
    """Raised when expired stock would be shipped (expiry before the movement's date)."""

    def __init__(self, lot: str, expiry: date, on: date) -> None:
        super().__init__(f"lot {lot} expired on {expiry.isoformat()}; cannot ship on {on}")
        self.lot = lot
        self.expiry = expiry
        self.on = on


class LotQuarantined(LedgerError):
    """Raised when the units asked for at a location are only there in quarantine."""

    def __init__(self, lot: str, location: str, requested: int, quarantined: int) -> None:
        super().__init__(
            f"lot {lot} at {location}: {requested} requested, but {quarantined} of the units "
            "there are quarantined"
        )
        self.lot = lot
        self.location = location
        self.requested = requested
        self.quarantined = quarantined


class NothingInTransit(LedgerError):
    """Raised when a receipt, delivery or reading names a movement not in transit for the lot."""

    def __init__(self, lot: str, reference: str) -> None:
        super().__init__(f"lot {lot}: nothing is in transit under {reference!r}")
        self.lot = lot
        self.reference = reference


class ExceedsInTransit(LedgerError):
    """Raised when more units are received under a transfer than were dispatched under it."""

    def __init__(self, lot: str, reference: str, requested: int, in_transit: int) -> None:
        super().__init__(
            f"lot {lot}: {requested} received under {reference!r}, only {in_transit} in transit"
        )
        self.lot = lot
        self.reference = reference
        self.requested = requested
        self.in_transit = in_transit


class ExceedsConsigneeHolding(LedgerError):
    """Raised when a return, use or sale names more units than the consignee holds."""

    def __init__(self, lot: str, consignee: str, requested: int, held: int) -> None:
        super().__init__(f"lot {lot}: {consignee} holds {held}, {requested} reported")
        self.lot = lot
        self.consignee = consignee
        self.requested = requested
        self.held = held


class ReferenceAlreadyUsed(LedgerError):
    """Raised when a transfer, shipment or hold reference is reused for another movement."""

    def __init__(self, lot: str, reference: str) -> None:
        super().__init__(f"lot {lot}: reference {reference!r} is already used")
        self.lot = lot
        self.reference = reference


class NotTheConsignee(LedgerError):
    """Raised when a party confirms delivery of a shipment addressed to another party."""

    def __init__(self, lot: str, reference: str, consignee: str, expected: str) -> None:
        super().__init__(
            f"lot {lot}: shipment {reference!r} is addressed to {expected}, not {consignee}"
        )
        self.lot = lot
        self.reference = reference
        self.consignee = consignee
        self.expected = expected


class NotOneWarehouse(LedgerError):
    """Raised when a put-away or a transfer receipt crosses into another warehouse."""

    def __init__(self, source: str, destination: str) -> None:
        super().__init__(f"{source} and {destination} are not in one warehouse")
        self.source = source
        self.destination = destination


class TransferWithinWarehouse(LedgerError):
    """Raised when a transfer names two locations of one warehouse (that is a put-away)."""

    def __init__(self, source: str, destination: str) -> None:
        super().__init__(f"{source} and {destination} are in one warehouse; put the stock away")
        self.source = source
        self.destination = destination


class LotFactsConflict(LedgerError):
    """Raised when a label or receipt states a lot fact (expiry …) other than the one recorded."""

    def __init__(self, lot: str, field: str, recorded: object, given: object) -> None:
        super().__init__(f"lot {lot}: {field} is recorded as {recorded}, this says {given}")
        self.lot = lot
        self.field = field
        self.recorded = recorded
        self.given = given


class DuplicateSerial(LedgerError):
    """Raised when a receipt lists serial numbers twice or ones the lot already received."""

    def __init__(self, lot: str, serials: list[str]) -> None:
        super().__init__(f"lot {lot}: serials received twice: {', '.join(serials)}")
        self.lot = lot
        self.serials = serials


class NoSuchHold(LedgerError):
    """Raised when a release names a hold that is not open on the lot."""

    def __init__(self, lot: str, hold: str) -> None:
        super().__init__(f"lot {lot}: no open hold {hold!r}")
        self.lot = lot
        self.hold = hold
