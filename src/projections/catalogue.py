"""The catalogue read model: products and parties of the master data, for listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eventsourcing.utils import get_topic
from psycopg import Cursor, sql

from ledger.domain.party import PartyRegistered
from ledger.domain.product import ProductRegistered
from projections.model import PositionedEvent, ReadModel, insert_rows, replacing

_PRODUCT_COLUMNS = (
    "product_id",
    "gtin",
    "name",
    "registration_certificate",
    "risk_class",
    "storage_min_celsius",
    "storage_max_celsius",
    "unit_of_use",
    "serialised",
    "company_prefix_length",
    "registered_at",
    "position",
)
_PARTY_COLUMNS = (
    "party_id",
    "code",
    "name",
    "role",
    "region",
    "grade",
    "recall_contact",
    "registered_at",
    "position",
)


@dataclass
class CatalogueChanges:
    """Rows to upsert, keyed by aggregate id (the last event of a page wins)."""

    products: dict[Any, tuple[Any, ...]] = field(default_factory=dict)
    parties: dict[Any, tuple[Any, ...]] = field(default_factory=dict)


class Catalogue(ReadModel[CatalogueChanges]):
    """Products and parties as registered, one row each."""

    name: ClassVar[str] = "catalogue"
    tables: ClassVar[tuple[str, ...]] = ("catalogue_products", "catalogue_parties")
    topics: ClassVar[frozenset[str]] = frozenset(
        {get_topic(ProductRegistered), get_topic(PartyRegistered)}
    )

    def fold(self, events: Sequence[PositionedEvent]) -> CatalogueChanges:
        """One row per product and party registered in ``events``."""
        changes = CatalogueChanges()
        for item in events:
            event = item.event
            if isinstance(event, ProductRegistered):
                changes.products[event.originator_id] = (
                    event.originator_id,
                    event.gtin,
                    event.name,
                    event.registration_certificate,
                    event.risk_class.value,
                    event.storage_min_celsius,
                    event.storage_max_celsius,
                    event.unit_of_use,
                    event.serialised,
                    event.company_prefix_length,
                    event.timestamp,
                    item.position,
                )
            elif isinstance(event, PartyRegistered):
                changes.parties[event.originator_id] = (
                    event.originator_id,
                    event.code,
                    event.name,
                    event.role.value,
                    event.region,
                    event.grade,
                    event.recall_contact,
                    event.timestamp,
                    item.position,
                )
        return changes

    def write(
        self, cursor: Cursor[Any], changes: CatalogueChanges, tables: Mapping[str, str]
    ) -> None:
        """Upsert the changed rows."""
        for table, columns, rows in (
            ("catalogue_products", _PRODUCT_COLUMNS, changes.products.values()),
            ("catalogue_parties", _PARTY_COLUMNS, changes.parties.values()),
        ):
            insert_rows(
                cursor, tables[table], columns=columns, rows=list(rows), conflict=replacing(columns)
            )


def list_products(cursor: Cursor[Any], *, limit: int = 100, after_gtin: str = "") -> list[Any]:
    """Products ordered by GTIN, a page at a time."""
    return cursor.execute(
        sql.SQL("SELECT {} FROM catalogue_products WHERE gtin > %s ORDER BY gtin LIMIT %s").format(
            sql.SQL(", ").join(map(sql.Identifier, _PRODUCT_COLUMNS))
        ),
        (after_gtin, limit),
    ).fetchall()


def list_parties(
    cursor: Cursor[Any], *, role: str | None = None, limit: int = 100, after_code: str = ""
) -> list[Any]:
    """Parties ordered by code, optionally of one role, a page at a time."""
    return cursor.execute(
        sql.SQL(
            "SELECT {} FROM catalogue_parties WHERE code > %s AND (%s::text IS NULL OR role = %s)"
            " ORDER BY code LIMIT %s"
        ).format(sql.SQL(", ").join(map(sql.Identifier, _PARTY_COLUMNS))),
        (after_code, role, role, limit),
    ).fetchall()
