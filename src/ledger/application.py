"""The ``Ledger`` application: one method per use case, each saving its events atomically."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoder

from ledger.domain.errors import AlreadyRegistered, IdempotencyKeyReused, LedgerError
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.values import Gtin, PartyRole, RiskClass
from ledger.store.commands import CommandAlreadyRecorded, CommandRecord, StoredCommand
from ledger.transcodings import DateAsISO, EnumAsValue, LedgerTranscoder

DOMAIN_ENUMS: tuple[type[Any], ...] = (RiskClass, PartyRole)


@dataclass(frozen=True)
class Caller:
    """Who sends a command, and the idempotency key of this request.

    Attributes:
        actor: who makes the write (an API key's name, ``cli`` …); recorded with it.
        scope: the namespace of the caller's idempotency keys (usually the API key's id).
        idempotency_key: the client's key; a repeat returns the first answer.
    """

    actor: str = "system"
    scope: str = "ledger"
    idempotency_key: str | None = None


SYSTEM = Caller()


@dataclass(frozen=True)
class CommandOutcome:
    """A command's answer.

    Attributes:
        outcome: what the command decided, JSON-ready (ids as strings).
        positions: positions of the events it appended, in order (empty if none).
        replayed: True when this is the stored answer to an earlier request with the same
            idempotency key, and nothing was appended now.
    """

    outcome: dict[str, Any]
    positions: tuple[int, ...]
    replayed: bool = False

    @property
    def last_position(self) -> int | None:
        """The position a reader must reach to see this command's effects."""
        return self.positions[-1] if self.positions else None


Decision = tuple[Sequence[Aggregate], dict[str, Any]]


class Ledger(Application[UUID]):
    """The traceability ledger's application service."""

    name = "Ledger"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._saved_listeners: list[Callable[[int], None]] = []
        super().__init__(env)

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
        if self.snapshotting_intervals or self.repository.cache:
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

    # Command execution -------------------------------------------------------------------

    def _execute(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        decide: Callable[[], Decision],
        *,
        on_duplicate: Callable[[], LedgerError],
    ) -> CommandOutcome:
        """Decide, then save the decision's events with the command's idempotency record.

        A request whose key is already recorded gets the first answer back, whatever the
        ledger would decide now; the same key with different arguments is refused.
        """
        key = caller.idempotency_key
        record: CommandRecord | None = None
        try:
            aggregates, outcome = decide()
            if key is not None:
                record = CommandRecord(
                    scope=caller.scope,
                    idempotency_key=key,
                    command=command,
                    request_hash=self._request_hash(command, arguments),
                    outcome=outcome,
                    actor=caller.actor,
                )
            try:
                recordings = self.save(*aggregates, command=record)
            except IntegrityError as exc:
                # An event's (aggregate, version) already exists: the decision raced another.
                raise on_duplicate() from exc
        except (LedgerError, CommandAlreadyRecorded):
            if key is None:
                raise
            earlier = self.find_command(caller, key)
            if earlier is None:
                raise
            return self._replay(earlier, command, arguments, key)
        return CommandOutcome(outcome, tuple(r.notification.id for r in recordings))

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
