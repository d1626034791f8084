"""The bundle's human-readable report: one self-contained HTML page (no scripts, no fonts or
styles fetched from elsewhere) with the recall's summary, lots, consignees, timeline and
effectiveness."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ledger.integrity.checkpoints import StoredCheckpoint

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:0 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}"
    "th{background:#eee}code{font-size:.9em}"
)
_SUMMARY_FIELDS = ("id", "number", "level", "status", "reason", "jurisdiction", "initiated_at")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Mapping) and set(value) == {"_type_", "_data_"}:
        return escape(str(value["_data_"]))
    return escape(json.dumps(value, sort_keys=True, ensure_ascii=False))


def _pairs(document: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{_text(v)}</td></tr>" for k, v in document.items()
    )
    return f"<table>{rows}</table>"


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    head = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_text(row.get(column))}</td>" for column in columns) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _rows(value: Any) -> list[Mapping[str, Any]]:
    """A list of table rows from a list of objects, or of plain values, or an object."""
    if isinstance(value, Mapping):
        return [{"key": key, "value": item} for key, item in value.items()]
    if isinstance(value, list):
        return [item if isinstance(item, Mapping) else {"value": item} for item in value]
    return []


def render(
    recall: Mapping[str, Any],
    impact: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    checkpoint: StoredCheckpoint,
) -> str:
    """The report of a recall from its summary, impact list and the events they rest on."""
    summary = {key: recall[key] for key in _SUMMARY_FIELDS if key in recall}
    summary.update({key: value for key, value in recall.items() if key.endswith("_by")})
    consignees = _rows(impact.get("consignees"))
    timeline = [
        {"position": r["position"], "recorded at": r["recorded_at"],
         "event": str(r["type"]).rpartition(":")[2], "aggregate": r["aggregate_id"],
         "version": r["aggregate_version"]}
        for r in records
    ]  # fmt: skip
    title = f"Recall {recall.get('number') or recall.get('id') or ''}".strip()
    sections = [
        ("Summary", _pairs(summary)),
        ("Lots", _table(_rows(impact.get("lots") or recall.get("lots")))),
        (f"Consignees ({len(consignees)})", _table(consignees)),
        ("Notices and steps", _table(_rows(recall.get("steps") or recall.get("notices")))),
        (f"Timeline ({len(timeline)} events)", _table(timeline)),
        ("Effectiveness", _table(_rows(impact.get("totals") or recall.get("effectiveness")))),
        (
            "Evidence",
            _pairs(
                {
                    "checkpoint tree size": checkpoint.tree_size,
                    "root hash": checkpoint.root_hash.hex(),
                    "signed by": checkpoint.origin,
                    "verifier key": checkpoint.verifier_key,
                    "to verify": "python3 verify_bundle.py (in the unzipped directory)",
                }
            ),
        ),
    ]
    body = "".join(f"<h2>{escape(name)}</h2>{html}" for name, html in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
