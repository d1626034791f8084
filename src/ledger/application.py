"""The ``Ledger`` application: one method per use case, each saving its events atomically."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoder

from ledger.domain.errors import AlreadyRegistered
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.values import Gtin, PartyRole, RiskClass
from ledger.transcodings import DateAsISO, EnumAsValue, LedgerTranscoder

DOMAIN_ENUMS: tuple[type[Any], ...] = (RiskClass, PartyRole)


class Ledger(Application[UUID]):
    """The traceability ledger's application service."""

    name = "Ledger"

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON format with a faster encoder (see ``LedgerTranscoder``)."""
        transcoder = LedgerTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add the domain's dates and enums to the library's UUID, Decimal and datetime."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for enum_class in DOMAIN_ENUMS:
            transcoder.register(EnumAsValue(enum_class))

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Put the pending events of the given aggregates in the store, in one transaction.

        Same contract as the library's ``save``; the ledger's own aggregates skip the
        library's runtime protocol checks, which cost more than the rest of a save.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, Aggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            elif obj is not None:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def register_product(
        self,
        *,
        gtin: str,
        name: str,
        registration_certificate: str,
        risk_class: RiskClass,
        unit_of_use: str,
        storage_min_celsius: Decimal | None = None,
        storage_max_celsius: Decimal | None = None,
        serialised: bool = False,
        company_prefix_length: int = 7,
    ) -> UUID:
        """Register a product in the master data; its id derives from the GTIN."""
        product = Product.register(
            gtin=Gtin.parse(gtin),
            name=name,
            registration_certificate=registration_certificate,
            risk_class=risk_class,
            unit_of_use=unit_of_use,
            storage_min_celsius=storage_min_celsius,
            storage_max_celsius=storage_max_celsius,
            serialised=serialised,
            company_prefix_length=company_prefix_length,
        )
        self._save_new(product, kind="product", key=product.gtin)
        return product.id

    def register_party(
        self,
        *,
        code: str,
        name: str,
        role: PartyRole,
        region: str,
        recall_contact: str,
        grade: str | None = None,
    ) -> UUID:
        """Register a party (manufacturer, distributor, hospital ...) in the master data."""
        party = Party.register(
            code=code,
            name=name,
            role=role,
            region=region,
            recall_contact=recall_contact,
            grade=grade,
        )
        self._save_new(party, kind="party", key=party.code)
        return party.id

    def _save_new(self, aggregate: Product | Party, *, kind: str, key: str) -> None:
        try:
            self.save(aggregate)
        except IntegrityError as exc:
            # The first event of an id already exists: master data is registered once.
            raise AlreadyRegistered(kind, key) from exc
