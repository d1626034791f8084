"""Domain errors: one class per broken rule, carrying its context as attributes.

A rule's error declares its context as annotated fields, in the order it is raised with,
and says what broke in ``message``, a ``str.format`` template over those fields. It is a
dataclass: ``InsufficientStock(lot, location, status, requested, available)`` sets those
attributes, and ``str(error)`` is the message filled in, a list field joined with commas. An
error whose message needs more than the fields as they are (a count) overrides ``describe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, dataclass_transform


@dataclass_transform(eq_default=False)
class LedgerError(Exception):
    """Root of every business-rule error the ledger raises."""

    message: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Compared and hashed by identity, and shown as Exception shows itself, like any error.
        dataclass(eq=False, repr=False)(cls)

    def __post_init__(self) -> None:
        # A dataclass's __init__ does not call Exception's: the message becomes the args.
        super().__init__(self.describe())

    def describe(self) -> str:
        """What broke: ``message`` filled in with the error's attributes (lists joined)."""
        shown = {
            name: ", ".join(value) if isinstance(value, list) else value
            for name, value in vars(self).items()
        }
        return self.message.format(**shown)


class InvalidGtin(LedgerError):
    """Raised when a GTIN is malformed or its check digit is wrong."""

    value: str
    reason: str
    message = "invalid GTIN {value!r}: {reason}"


class InvalidValue(LedgerError):
    """Raised when a field of a command breaks its format or range."""

    field: str
    reason: str
    message = "{field}: {reason}"


class AlreadyRegistered(LedgerError):
    """Raised when master data (a product, a party) is registered a second time."""

    kind: str
    key: str
    message = "{kind} {key} is already registered"


class IdempotencyKeyReused(LedgerError):
    """Raised when an idempotency key comes back with a different request than its first."""

    idempotency_key: str
    command: str
    message = "idempotency key {idempotency_key!r} was first used for a different {command} request"


class UnknownProduct(LedgerError):
    """Raised when a command names a GTIN that no registered product has."""

    gtin: str
    message = "no product is registered under GTIN {gtin}"


class UnknownParty(LedgerError):
    """Raised when a command names a party code that is not registered."""

    code: str
    message = "no party is registered under code {code!r}"


class InvalidUdi(LedgerError):
    """Raised when a UDI (bracketed or scanned) cannot be read; ``field`` names the culprit."""

    field: str
    reason: str
    message = "invalid UDI: {field}: {reason}"


class ConcurrentUpdate(LedgerError):
    """Raised when a command kept losing the race to other writes on the same aggregates."""

    command: str
    attempts: int
    message = "{command} lost to concurrent writes {attempts} times; try again later"
