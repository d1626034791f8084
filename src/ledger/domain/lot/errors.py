"""The rules a lot's movements can break: each error names the lot and the figures involved."""

from __future__ import annotations

from datetime import date

from ledger.domain.errors import LedgerError


class UnknownLot(LedgerError):
    """Raised when a movement names a lot of a registered product that was never received."""

    lot: str
    message = "lot {lot} has never been received"


class InsufficientStock(LedgerError):
    """Raised when a movement would take more units than a location holds in that status."""

    lot: str
    location: str
    status: str
    requested: int
    available: int
    message = "lot {lot} at {location}: {requested} {status} requested, {available} there"


class LotOnHold(LedgerError):
    """Raised when stock of a lot under an open hold (e.g. a recall) would leave."""

    lot: str
    holds: list[str]
    message = "lot {lot} is on hold ({holds}); its stock may not leave"


class LotExpired(LedgerError):
    """Raised when expired stock would be shipped (expiry before the movement's date)."""

    lot: str
    expiry: date
    on: date
    message = "lot {lot} expired on {expiry}; cannot ship on {on}"


class LotQuarantined(LedgerError):
    """Raised when the units asked for at a location are only there in quarantine."""

    lot: str
    location: str
    requested: int
    quarantined: int
    message = (
        "lot {lot} at {location}: {requested} requested, but {quarantined} of the units "
        "there are quarantined"
    )


class NothingInTransit(LedgerError):
    """Raised when a receipt, delivery or reading names a movement not in transit for the lot."""

    lot: str
    reference: str
    message = "lot {lot}: nothing is in transit under {reference!r}"


class ExceedsInTransit(LedgerError):
    """Raised when more units are received under a transfer than were dispatched under it."""

    lot: str
    reference: str
    requested: int
    in_transit: int
    message = "lot {lot}: {requested} received under {reference!r}, only {in_transit} in transit"


class ExceedsConsigneeHolding(LedgerError):
    """Raised when a return, use or sale names more units than the consignee holds."""

    lot: str
    consignee: str
    requested: int
    held: int
    message = "lot {lot}: {consignee} holds {held}, {requested} reported"


class ReferenceAlreadyUsed(LedgerError):
    """Raised when a transfer, shipment or hold reference is reused for another movement."""

    lot: str
    reference: str
    message = "lot {lot}: reference {reference!r} is already used"


class NotTheConsignee(LedgerError):
    """Raised when a party confirms delivery of a shipment addressed to another party."""

    lot: str
    reference: str
    consignee: str
    expected: str
    message = "lot {lot}: shipment {reference!r} is addressed to {expected}, not {consignee}"


class NotOneWarehouse(LedgerError):
    """Raised when a put-away or a transfer receipt crosses into another warehouse."""

    source: str
    destination: str
    message = "{source} and {destination} are not in one warehouse"


class TransferWithinWarehouse(LedgerError):
    """Raised when a transfer names two locations of one warehouse (that is a put-away)."""

    source: str
    destination: str
    message = "{source} and {destination} are in one warehouse; put the stock away"


class LotFactsConflict(LedgerError):
    """Raised when a label or receipt states a lot fact (expiry …) other than the one recorded."""

    lot: str
    field: str
    recorded: object
    given: object
    message = "lot {lot}: {field} is recorded as {recorded}, this says {given}"


class DuplicateSerial(LedgerError):
    """Raised when a receipt lists serial numbers twice or ones the lot already received."""

    lot: str
    serials: list[str]
    message = "lot {lot}: serials received twice: {serials}"


class NoSuchHold(LedgerError):
    """Raised when a release names a hold that is not open on the lot."""

    lot: str
    hold: str
    message = "lot {lot}: no open hold {hold!r}"
