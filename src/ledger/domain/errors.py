"""Domain errors: one class per broken rule, carrying its context as attributes."""

from __future__ import annotations


class LedgerError(Exception):
    """Root of every business-rule error the ledger raises."""


class InvalidGtin(LedgerError):
    """Raised when a GTIN is malformed or its check digit is wrong."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid GTIN {value!r}: {reason}")
        self.value = value
        self.reason = reason


class InvalidValue(LedgerError):
    """Raised when a field of a command breaks its format or range."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlreadyRegistered(LedgerError):
    """Raised when master data (a product, a party) is registered a second time."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key} is already registered")
        self.kind = kind
        self.key = key


class IdempotencyKeyReused(LedgerError):
    """Raised when an idempotency key comes back with a different request than its first."""

    def __init__(self, idempotency_key: str, command: str) -> None:
        super().__init__(
            f"idempotency key {idempotency_key!r} was first used for a different {command} request"
        )
        self.idempotency_key = idempotency_key
        self.command = command


class UnknownProduct(LedgerError):
    """Raised when a command names a GTIN that no registered product has."""

    def __init__(self, gtin: str) -> None:
        super().__init__(f"no product is registered under GTIN {gtin}")
        self.gtin = gtin


class UnknownParty(LedgerError):
    """Raised when a command names a party code that is not registered."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no party is registered under code {code!r}")
        self.code = code


class InvalidUdi(LedgerError):
    """Raised when a UDI (bracketed or scanned) cannot be read; ``field`` names the culprit."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid UDI: {field}: {reason}")
        self.field = field
        self.reason = reason


class ConcurrentUpdate(LedgerError):
    """Raised when a command kept losing the race to other writes on the same aggregates."""

    def __init__(self, command: str, attempts: int) -> None:
        super().__init__(f"{command} lost to concurrent writes {attempts} times; try again later")
        self.command = command
        self.attempts = attempts
