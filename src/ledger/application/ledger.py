"""The ``Ledger`` application: one method per use case, each saving its events atomically.

Here: master data, and changes of the status of a lot's stock (counts, quarantine, holds,
scrapping, temperature); the moves of lots' units are in ``ledger.movements``.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoder
from eventsourcing.utils import strtobool

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision
from ledger.application.credit import CreditOperations
from ledger.application.lots import StockMovements, arguments_of
from ledger.application.recalls import RecallOperations
from ledger.domain.errors import (
    AlreadyRegistered,
    ConcurrentUpdate,
    IdempotencyKeyReused,
    LedgerError,
)
from ledger.domain.lot.aggregate import Lot
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.recall.aggregate import RecoveryKind
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import Gtin, PartyRole, RiskClass, StockStatus, StorageRange
from ledger.store.commands import CommandAlreadyRecorded, CommandRecord, StoredCommand
from ledger.store.repository import AggregateRepository
from ledger.store.transcodings import DateAsISO, EnumAsValue, LedgerTranscoder

__all__ = ["SYSTEM", "Caller", "CommandOutcome", "Decision", "Ledger"]

DOMAIN_ENUMS: tuple[type[Any], ...] = (
    RiskClass,
    PartyRole,
    StockStatus,
    RecallLevel,
    Jurisdiction,
    RecoveryKind,
)

# Waits between attempts of a command that lost an optimistic-concurrency race: random
# (so that the losers of one race do not meet again) and growing, up to a ceiling.
_BACKOFF_SECONDS = 0.002
_BACKOFF_CEILING_SECONDS = 0.2
_TURN_STRIPES = 64


class Ledger(CreditOperations, RecallOperations, StockMovements, Application[UUID]):
    """The traceability ledger's application service.

    Master data use cases are here; the stock movements of lots come from ``StockMovements``.
    """

    name = "Ledger"
    # Aggregates with long histories (a lot moved thousands of times) are kept in memory
    # and fast-forwarded with their newer events on load, instead of being replayed from
    # their first event by every command.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._saved_listeners: list[Callable[[int], None]] = []
        # Commands on one busy aggregate (orders on one credit account) take turns inside
        # this process instead of racing and retrying; other processes still race.
        self._turns = tuple(threading.Lock() for _ in range(_TURN_STRIPES))
        super().__init__(env)

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, with loads of one cached aggregate serialised."""
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return AggregateRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

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

        Same contract as the library's ``save``. For the ledger's own aggregates (no
        snapshots, no aggregate cache) the events go straight to the event store, skipping
        the library's runtime protocol checks and bookkeeping, which cost more than the
        rest of a one-event command on the client.
        """
        events: list[DomainEventProtocol[UUID]] = []
        for obj in objs:
            if isinstance(obj, Aggregate):
                events.extend(obj.collect_events())
            elif obj is not None:
                return self._save_with_library(*objs, **kwargs)
        if self.snapshotting_intervals or (
            self.repository.cache and not self.repository.fastforward
        ):
            return self._save_with_library(*objs, **kwargs)
        recordings = self.events.put(events, **kwargs)
        self._notify(recordings)
        return recordings

    def _save_with_library(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def on_saved(self, listener: Callable[[int], None]) -> None:
        """Call ``listener`` with the last position after every save that appended events.

        Used by in-process followers (read models) to wake at once instead of polling.
        """
        self._saved_listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            for listener in self._saved_listeners:
                listener(recordings[-1].notification.id)

    # Master data -------------------------------------------------------------------------

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
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Register a product in the master data; its id derives from the GTIN."""
        arguments: dict[str, Any] = {
            "gtin": gtin,
            "name": name,
            "registration_certificate": registration_certificate,
            "risk_class": risk_class,
            "unit_of_use": unit_of_use,
            "storage_min_celsius": storage_min_celsius,
            "storage_max_celsius": storage_max_celsius,
            "serialised": serialised,
            "company_prefix_length": company_prefix_length,
        }

        def decide() -> Decision:
            product = Product.register(**{**arguments, "gtin": Gtin.parse(gtin)})
            return [product], {"product_id": str(product.id), "gtin": product.gtin}

        return self._execute(
            "register_product",
            arguments,
            caller,
            decide,
            on_duplicate=lambda: AlreadyRegistered("product", Gtin.parse(gtin).value),
        )

    def register_party(
        self,
        *,
        code: str,
        name: str,
        role: PartyRole,
        region: str,
        recall_contact: str,
        grade: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Register a party (manufacturer, distributor, hospital …) in the master data."""
        arguments: dict[str, Any] = {
            "code": code,
            "name": name,
            "role": role,
            "region": region,
            "recall_contact": recall_contact,
            "grade": grade,
        }

        def decide() -> Decision:
            party = Party.register(**arguments)
            return [party], {"party_id": str(party.id), "code": party.code}

        return self._execute(
            "register_party",
            arguments,
            caller,
            decide,
            on_duplicate=lambda: AlreadyRegistered("party", code.strip()),
        )

    # Stock status of lots ----------------------------------------------------------------

    def adjust_stock(
        self,
        *,
        location: str,
        change: int,
        reason: str,
        occurred_at: datetime,
        status: StockStatus = StockStatus.AVAILABLE,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Correct a balance after a stock count (``change`` positive or negative)."""
        return self._on_lot("adjust_stock", arguments_of(locals()), caller, Lot.adjust)

    def quarantine(
        self,
        *,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Put available units at a location in quarantine."""
        return self._on_lot("quarantine", arguments_of(locals()), caller, Lot.quarantine)

    def release_quarantine(
        self,
        *,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Release quarantined units (into hold while the lot is on hold)."""
        arguments = arguments_of(locals())
        return self._on_lot("release_quarantine", arguments, caller, Lot.release_quarantine)

    def hold(
        self,
        *,
        hold: str,
        reason: str,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Put a lot on hold (e.g. under a recall id): none of its units may leave."""
        return self._on_lot("hold", arguments_of(locals()), caller, Lot.hold)

    def release_hold(
        self,
        *,
        hold: str,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Lift a hold; held units become available once no hold remains open."""
        return self._on_lot("release_hold", arguments_of(locals()), caller, Lot.release_hold)

    def scrap(
        self,
        *,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        status: StockStatus = StockStatus.QUARANTINE,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Destroy or write off quarantined (or available) units."""
        return self._on_lot("scrap", arguments_of(locals()), caller, Lot.scrap)

    def record_temperature(
        self,
        *,
        celsius: Decimal,
        occurred_at: datetime,
        location: str | None = None,
        shipment: str | None = None,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record a temperature reading where a lot is kept or carried; outside the product's
        storage range, its available units there are quarantined."""

        def storage(lot: Lot) -> dict[str, Any]:
            product = self._product(Gtin(lot.gtin))
            return {
                "storage": StorageRange(product.storage_min_celsius, product.storage_max_celsius)
            }

        arguments = arguments_of(locals())
        del arguments["storage"]
        return self._on_lot(
            "record_temperature", arguments, caller, Lot.record_temperature, context=storage
        )

    # Command execution -------------------------------------------------------------------

    def _execute(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        decide: Callable[[], Decision],
        *,
        on_duplicate: Callable[[], LedgerError] | None = None,
        retries: int = 0,
        one_at_a_time: UUID | None = None,
    ) -> CommandOutcome:
        """Decide, then save the decision's events with the command's idempotency record.

        A request whose key is already recorded gets the first answer back, whatever the
        ledger would decide now; the same key with different arguments is refused.

        Args:
            on_duplicate: the error to raise when an event's (aggregate, version) already
                exists, for commands that create an aggregate only once (registrations).
            retries: for commands that change existing aggregates: how many times to decide
                again on fresh state after losing such a race, before ``ConcurrentUpdate``.
            one_at_a_time: an aggregate the command always changes: this process runs such
                commands one at a time per aggregate, so they do not lose races to each other.
        """
        key = caller.idempotency_key
        turn = (
            self._turns[hash(one_at_a_time) % _TURN_STRIPES]
            if one_at_a_time is not None
            else contextlib.nullcontext()
        )
        try:
            with turn:
                outcome, recordings = self._decide_and_save(
                    command, arguments, caller, decide, on_duplicate=on_duplicate, retries=retries
                )
        except (LedgerError, CommandAlreadyRecorded):
            if key is None:
                raise
            earlier = self.find_command(caller, key)
            if earlier is None:
                raise
            return self._replay(earlier, command, arguments, key)
        return CommandOutcome(outcome, tuple(r.notification.id for r in recordings))

    def _decide_and_save(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        decide: Callable[[], Decision],
        *,
        on_duplicate: Callable[[], LedgerError] | None,
        retries: int,
    ) -> tuple[dict[str, Any], list[Recording[UUID]]]:
        attempt = 0
        while True:
            aggregates, outcome = decide()
            record = None
            if caller.idempotency_key is not None:
                record = CommandRecord(
                    scope=caller.scope,
                    idempotency_key=caller.idempotency_key,
                    command=command,
                    request_hash=self._request_hash(command, arguments),
                    outcome=outcome,
                    actor=caller.actor,
                )
            try:
                return outcome, self.save(*aggregates, command=record)
            except IntegrityError as exc:
                # An event's (aggregate, version) already exists: the decision raced another.
                if on_duplicate is not None:
                    raise on_duplicate() from exc
                attempt += 1
                if attempt > retries:
                    raise ConcurrentUpdate(command, attempt) from exc
            ceiling = min(_BACKOFF_CEILING_SECONDS, _BACKOFF_SECONDS * 2**attempt)
            time.sleep(random.uniform(0, ceiling))

    def find_command(self, caller: Caller, idempotency_key: str) -> StoredCommand | None:
        """The command recorded earlier under this caller's key, if any."""
        recorder = cast(Any, self.recorder)
        found: StoredCommand | None = recorder.find_command(caller.scope, idempotency_key)
        return found

    def _replay(
        self, earlier: StoredCommand, command: str, arguments: dict[str, Any], key: str
    ) -> CommandOutcome:
        if earlier.request_hash != self._request_hash(command, arguments):
            raise IdempotencyKeyReused(key, earlier.command)
        return CommandOutcome(earlier.outcome, earlier.positions, replayed=True)

    def _request_hash(self, command: str, arguments: dict[str, Any]) -> bytes:
        transcoder = cast(LedgerTranscoder, self.mapper.transcoder)
        canonical = transcoder.canonical({"command": command, "arguments": arguments})
        return hashlib.sha256(canonical).digest()
