"""Dunning letters: a notice rendered from its template, in Chinese or English, as plain
text or HTML (templates in ``ledger/templates``, ``string.Template`` placeholders)."""

from __future__ import annotations

import html
import importlib.resources
import json
from dataclasses import asdict
from functools import cache
from string import Template

from ledger.domain.credit.receivables import DunningNotice
from ledger.domain.errors import InvalidValue

LANGUAGES = ("zh", "en")
FORMATS = ("txt", "html")
_TEMPLATES = importlib.resources.files("ledger") / "templates"


@cache
def _wording() -> dict[str, dict[str, dict[str, str]]]:
    """Subjects and messages per language and kind of letter."""
    loaded: dict[str, dict[str, dict[str, str]]] = json.loads(
        (_TEMPLATES / "dunning_messages.json").read_text(encoding="utf-8")
    )
    return loaded


def _kind(level: str, days_overdue: int) -> str:
    if level.startswith("due-in-"):
        return "reminder"
    if level == "due":
        return "due"
    return "final" if days_overdue >= 60 else "overdue"


def render_letter(
    notice: DunningNotice,
    *,
    customer_name: str,
    currency: str,
    language: str = "zh",
    fmt: str = "txt",
) -> str:
    """The letter for a notice to the named customer, amounts in the account's ``currency``;
    HTML escapes every fact it puts in.

    Raises:
        InvalidValue: a language or format the templates do not cover.
    """
    if language not in LANGUAGES:
        raise InvalidValue("language", f"one of {', '.join(LANGUAGES)}")
    if fmt not in FORMATS:
        raise InvalidValue("format", f"one of {', '.join(FORMATS)}")
    kind = _kind(notice.level, notice.days_overdue)
    facts = {**asdict(notice), "customer_name": customer_name, "currency": currency}
    values = {key: str(value) for key, value in facts.items()}
    wording = _wording()[language]
    values["subject"] = wording["subject"][kind]
    values["message"] = wording["message"][kind].format(days=abs(notice.days_overdue))
    if fmt == "html":
        values = {key: html.escape(value) for key, value in values.items()}
    source = _TEMPLATES / f"dunning.{language}.{fmt}"
    return Template(source.read_text(encoding="utf-8")).substitute(values)
