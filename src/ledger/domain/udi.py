"""Reading a UDI: the GS1 element strings on a device's label, bracketed or as scanned.

Parsing is done by ``biip``, a pure parsing library; dates are resolved here against the
date the caller gives, so that the same label read on the same day always gives the same
full dates (``biip`` resolves two-digit years against the machine's clock).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import biip
from biip.gs1_element_strings import GS1ElementString

from ledger.domain.errors import InvalidUdi, InvalidValue
from ledger.domain.values import parse_lot_number

GROUP_SEPARATOR = "\x1d"  # what scanners send for FNC1 between variable-length fields

_BRACKETED = re.compile(r"(?:\(\d{2,4}\)[^()]+)+")
_BRACKETED_PART = re.compile(r"\((\d{2,4})\)([^()]+)")
_FIELDS = {"01": "gtin", "10": "lot", "11": "production_date", "17": "expiry", "21": "serial"}
# biip names the Application Identifier it failed on as "GS1 AI (17)".
_FAILED_AI = re.compile(r"GS1 AI \((\d{2,4})\)")


@dataclass(frozen=True, slots=True)
class Udi:
    """A device's UDI as read from its label.

    Attributes:
        gtin: the device identifier (UDI-DI) as 14 digits, check digit verified (AI 01).
        lot: the lot or batch number (AI 10).
        expiry: the expiry date (AI 17), resolved to a full date; None when absent.
        production_date: the production date (AI 11), resolved; None when absent.
        serial: the serial number (AI 21); None when absent.
    """

    gtin: str
    lot: str
    expiry: date | None
    production_date: date | None
    serial: str | None


def parse_udi(text: str, today: date) -> Udi:
    """Read a UDI given as ``(01)…(17)…(10)…`` or as scanned (GS separators, ``]d2`` prefix).

    Args:
        text: the bracketed human-readable form, or a scanner's raw string with FNC1 sent as
            the GS character (``\\x1d``) and an optional symbology identifier (``]d2``,
            ``]C1``, ``]Q3`` …).
        today: the date two-digit years are resolved against (GS1 General Specifications
            7.12: from 49 years back to 50 years ahead).

    Raises:
        InvalidUdi: naming the field (``udi``, ``gtin``, ``lot``, ``expiry``,
            ``production_date`` or ``serial``) and why it cannot be read.
    """
    elements = _element_strings(text)
    gtin_element = _only(elements, "01", "gtin")
    if gtin_element is None:
        raise InvalidUdi("gtin", "the UDI has no GTIN (AI 01)")
    if gtin_element.gtin is None:
        raise InvalidUdi("gtin", gtin_element.gtin_error or "not a GTIN")
    lot_element = _only(elements, "10", "lot")
    if lot_element is None:
        raise InvalidUdi("lot", "the UDI has no lot number (AI 10)")
    try:
        lot = parse_lot_number(lot_element.value)
    except InvalidValue as exc:
        raise InvalidUdi("lot", exc.reason) from None
    expiry = _only(elements, "17", "expiry")
    production = _only(elements, "11", "production_date")
    serial = _only(elements, "21", "serial")
    return Udi(
        gtin=gtin_element.gtin.as_gtin_14(),
        lot=lot,
        expiry=None if expiry is None else resolve_date("expiry", expiry.value, today),
        production_date=(
            None if production is None else resolve_date("production_date", production.value, today)
        ),
        serial=None if serial is None else serial.value,
    )


def resolve_date(field: str, yymmdd: str, today: date) -> date:
    """The full date of a GS1 ``YYMMDD`` value; day ``00`` means the month's last day.

    Raises:
        InvalidUdi: not six digits, or no such month or day.
    """
    if len(yymmdd) != 6 or not yymmdd.isdigit() or not yymmdd.isascii():
        raise InvalidUdi(field, f"{yymmdd!r} is not a YYMMDD date")
    two_digit_year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = today.year - today.year % 100
    difference = two_digit_year - today.year % 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    year = century + two_digit_year
    if not 1 <= month <= 12:
        raise InvalidUdi(field, f"{yymmdd!r} has no month {month:02d}")
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidUdi(field, f"{yymmdd!r}: {year}-{month:02d} has no day {day:02d}") from None


def _element_strings(text: str) -> list[GS1ElementString]:
    value = text.strip()
    if value.startswith("("):
        value = _scanned_form(value)
    if not value:
        raise InvalidUdi("udi", "empty")
    try:
        result = biip.parse(value)
    except (biip.BiipException, ValueError, LookupError) as exc:
        # biip raises these for a few truncated inputs (a lone "]", a cut symbology id).
        raise InvalidUdi("udi", f"unreadable: {exc}") from None
    if result.gs1_message is not None:
        return list(result.gs1_message.element_strings)
    if result.gs1_digital_link_uri is not None:
        return list(result.gs1_digital_link_uri.element_strings)
    reason = result.gs1_message_error or result.gs1_digital_link_uri_error or "not GS1 data"
    failed = _FAILED_AI.search(reason)
    raise InvalidUdi(_FIELDS.get(failed.group(1), "udi") if failed else "udi", reason)


def _scanned_form(bracketed: str) -> str:
    """``(01)X(10)Y`` as a scanner sends it: ``01X<GS>10Y``, so one parser reads both forms."""
    compact = "".join(bracketed.split())
    if not _BRACKETED.fullmatch(compact):
        raise InvalidUdi("udi", "the bracketed form is (AI)value(AI)value…, no other brackets")
    return GROUP_SEPARATOR.join(ai + data for ai, data in _BRACKETED_PART.findall(compact))


def _only(elements: list[GS1ElementString], ai: str, field: str) -> GS1ElementString | None:
    found = [element for element in elements if element.ai.ai == ai]
    if len({element.value for element in found}) > 1:
        raise InvalidUdi(field, f"AI ({ai}) appears with different values")
    return found[0] if found else None
