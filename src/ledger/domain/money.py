"""Money as the receivables see it: ``Decimal`` amounts rounded per currency, never floats."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledger.domain.errors import InvalidValue

CURRENCY_PLACES: dict[str, int] = {"CNY": 2, "USD": 2, "EUR": 2, "JPY": 0}
"""Decimal places of each currency the ledger books in (ISO 4217 minor units)."""

PRICE_PLACES = 6
"""Unit prices may carry more places than the currency; line amounts are then rounded."""

ZERO = Decimal(0)


def parse_currency(code: str) -> str:
    """An ISO 4217 currency code the ledger books in, upper case.

    Raises:
        InvalidValue: not one of ``CURRENCY_PLACES``.
    """
    currency = code.strip().upper()
    if currency not in CURRENCY_PLACES:
        raise InvalidValue("currency", f"one of {', '.join(sorted(CURRENCY_PLACES))}")
    return currency


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded to the currency's places, half away from zero (ROUND_HALF_UP):
    CNY, USD and EUR to the cent, JPY to the yen."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_PLACES[currency]), rounding=ROUND_HALF_UP)


def _decimal(field: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        # A float has already lost the digits a customer was invoiced for.
        raise InvalidValue(field, "an exact decimal amount (not a float)")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidValue(field, f"not a decimal number: {value!r}") from None
    if not amount.is_finite():
        raise InvalidValue(field, "must be a finite amount")
    return amount


def parse_amount(field: str, value: object, currency: str, *, allow_zero: bool = False) -> Decimal:
    """A positive amount (zero when allowed) with no more places than the currency has.

    Raises:
        InvalidValue: a float, not a number, negative (or zero), or finer than the currency.
    """
    amount = _decimal(field, value)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidValue(field, f"must be {'zero or ' if allow_zero else ''}positive")
    if round_money(amount, currency) != amount:
        places = CURRENCY_PLACES[currency]
        raise InvalidValue(field, f"{currency} amounts have {places} decimal places at most")
    return round_money(amount, currency)


def parse_price(field: str, value: object) -> Decimal:
    """A unit price: zero or positive, at most ``PRICE_PLACES`` decimal places.

    Raises:
        InvalidValue: a float, not a number, negative, or too fine.
    """
    price = _decimal(field, value)
    if price < 0:
        raise InvalidValue(field, "must not be negative")
    if price != price.quantize(Decimal(1).scaleb(-PRICE_PLACES)):
        raise InvalidValue(field, f"{PRICE_PLACES} decimal places at most")
    return price


def parse_percent(field: str, value: object) -> Decimal:
    """A percentage from 0 to 100 (a line discount), up to 4 decimal places.

    Raises:
        InvalidValue: a float, not a number, or outside 0-100.
    """
    percent = _decimal(field, value)
    if not ZERO <= percent <= 100 or percent != percent.quantize(Decimal("0.0001")):
        raise InvalidValue(field, "a percentage from 0 to 100, 4 decimal places at most")
    return percent


def days_between(earlier: date, later: date) -> int:
    """Whole days from ``earlier`` to ``later`` (negative when ``later`` comes first)."""
    return (later - earlier).days
