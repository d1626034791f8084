"""The ``Ledger``: the application that runs the ledger's commands and saves their events.

A command decides on fresh state and is saved with its idempotency record in one
transaction; a decision that lost an optimistic-concurrency race is decided again, up to
its retries. The use cases are grouped by area and composed here: ``master_data``,
``lots``, ``channel``, ``orders``, ``credit`` and ``recalls``.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoder
from eventsourcing.utils import strtobool

from ledger.application.channel import Channel
from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision
from ledger.application.credit import Credit
from ledger.application.lots import Lots
from ledger.application.master_data import MasterData
from ledger.application.orders import Orders
from ledger.application.recalls import Recalls
from ledger.domain.credit.account import CreditAccount, credit_account_id
from ledger.domain.credit.errors import UnknownCreditAccount, UnknownOrder
from ledger.domain.errors import (
    ConcurrentUpdate,
    IdempotencyKeyReused,
    LedgerError,
    UnknownParty,
    UnknownProduct,
)
from ledger.domain.order import SalesOrder, order_id
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.recall.aggregate import RecoveryKind
from ledger.domain.recall.rules import Jurisdiction, RecallLevel, WorkingCalendar
from ledger.domain.values import (
    Gtin,
    PartyRole,
    RiskClass,
    StockStatus,
    parse_text,
    party_id,
    product_id,
)
from ledger.store.idempotency import CommandAlreadyRecorded, CommandRecord, StoredCommand
from ledger.store.repository import AggregateRepository
from ledger.store.transcodings import DateAsISO, EnumAsValue, LedgerTranscoder

__all__ = ["SYSTEM", "Caller", "CommandOutcome", "Decision", "Ledger"]

AggregateT = TypeVar("AggregateT", bound=Aggregate)

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


@dataclass(frozen=True)
class _Request:
    """A command as its idempotency record knows it: its name, who sent it, and the hash
    of its arguments (when the caller sent an idempotency key, else None)."""

    command: str
    caller: Caller
    request_hash: bytes | None

    def record(self, outcome: dict[str, Any]) -> CommandRecord | None:
        """The idempotency record saved with the command's events, if it has a key."""
        key = self.caller.idempotency_key
        if key is None or self.request_hash is None:
            return None
        return CommandRecord(
            scope=self.caller.scope,
            idempotency_key=key,
            command=self.command,
            request_hash=self.request_hash,
            outcome=outcome,
            actor=self.caller.actor,
        )

    def replay(self, earlier: StoredCommand, key: str) -> CommandOutcome:
        """The first answer under ``key`` again, if it was given to this same request."""
        if earlier.request_hash != self.request_hash:
            raise IdempotencyKeyReused(key, earlier.command)
        return CommandOutcome(earlier.outcome, earlier.positions, replayed=True)


class Ledger(Application[UUID]):
    """The traceability ledger's application.

    Attributes:
        master_data: registering products and parties.
        lots: receipts, moves in our warehouses and changes of status of lots.
        channel: shipments of lots to customers, and what customers report back.
        orders: credit accounts and sales orders with their credit check.
        credit: cash, credit notes, write-offs, dunning and credit limits.
        recalls: recalls, from initiation to close-out.
    """

    name = "Ledger"
    # Aggregates with long histories (a lot moved thousands of times) are kept in memory
    # and fast-forwarded with their newer events on load, instead of being replayed from
    # their first event by every command.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        """The application on the store the environment names (the library's settings).

        Args:
            calendar: the working days recall deadlines count (holidays in the settings).
        """
        self._saved_listeners: list[Callable[[int], None]] = []
        # Commands on one busy aggregate (orders on one credit account) take turns inside
        # this process instead of racing and retrying; other processes still race.
        self._turns = tuple(threading.Lock() for _ in range(_TURN_STRIPES))
        super().__init__(env)
        self.master_data = MasterData(self)
        self.lots = Lots(self)
        self.channel = Channel(self)
        self.orders = Orders(self)
        self.credit = Credit(self)
        self.recalls = Recalls(self, calendar or WorkingCalendar())

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

    # Finding aggregates ------------------------------------------------------------------

    def find(self, identifier: UUID, kind: type[AggregateT]) -> AggregateT | None:
        """The aggregate of ``kind`` under ``identifier``, or None if there is none."""
        try:
            found: Aggregate = self.repository.get(identifier)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def load(
        self, identifier: UUID, kind: type[AggregateT], missing: Callable[[], LedgerError]
    ) -> AggregateT:
        """The aggregate of ``kind`` under ``identifier``; raises ``missing()`` if none."""
        found = self.find(identifier, kind)
        if found is None:
            raise missing()
        return found

    def product(self, gtin: Gtin) -> Product:
        """A registered product.

        Raises:
            UnknownProduct: no product has that GTIN.
        """
        return self.load(product_id(gtin), Product, lambda: UnknownProduct(gtin.value))

    def party(self, code: str) -> Party:
        """A registered party.

        Raises:
            UnknownParty: no party has that code.
        """
        code = parse_text("party", code)
        return self.load(party_id(code), Party, lambda: UnknownParty(code))

    def customer_name(self, customer: str) -> str:
        """The registered name of a customer (for letters and reports).

        Raises:
            UnknownParty: no party has that code.
        """
        return self.party(customer).name

    def credit_account(self, customer: str) -> CreditAccount:
        """The customer's credit account.

        Raises:
            UnknownCreditAccount: the customer has none.
        """
        customer = parse_text("customer", customer)
        return self.load(
            credit_account_id(customer), CreditAccount, lambda: UnknownCreditAccount(customer)
        )

    def sales_order(self, order: str) -> SalesOrder:
        """A placed sales order.

        Raises:
            UnknownOrder: no order has that number.
        """
        number = parse_text("order", order)
        return self.load(order_id(number), SalesOrder, lambda: UnknownOrder(number))

    # Command execution -------------------------------------------------------------------

    def execute(
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
        request = _Request(
            command, caller, None if key is None else self._request_hash(command, arguments)
        )
        turn = (
            self._turns[hash(one_at_a_time) % _TURN_STRIPES]
            if one_at_a_time is not None
            else contextlib.nullcontext()
        )
        try:
            with turn:
                outcome, recordings = self._decide_and_save(
                    request, decide, on_duplicate=on_duplicate, retries=retries
                )
        except (LedgerError, CommandAlreadyRecorded):
            if key is None:
                raise
            earlier = self.find_command(caller, key)
            if earlier is None:
                raise
            return request.replay(earlier, key)
        return CommandOutcome(outcome, tuple(r.notification.id for r in recordings))

    def _decide_and_save(
        self,
        request: _Request,
        decide: Callable[[], Decision],
        *,
        on_duplicate: Callable[[], LedgerError] | None,
        retries: int,
    ) -> tuple[dict[str, Any], list[Recording[UUID]]]:
        attempt = 0
        while True:
            aggregates, outcome = decide()
            try:
                return outcome, self.save(*aggregates, command=request.record(outcome))
            except IntegrityError as exc:
                # An event's (aggregate, version) already exists: the decision raced another.
                if on_duplicate is not None:
                    raise on_duplicate() from exc
                attempt += 1
                if attempt > retries:
                    raise ConcurrentUpdate(request.command, attempt) from exc
            ceiling = min(_BACKOFF_CEILING_SECONDS, _BACKOFF_SECONDS * 2**attempt)
            time.sleep(random.uniform(0, ceiling))

    def find_command(self, caller: Caller, idempotency_key: str) -> StoredCommand | None:
        """The command recorded earlier under this caller's key, if any."""
        recorder = cast(Any, self.recorder)
        found: StoredCommand | None = recorder.find_command(caller.scope, idempotency_key)
        return found

    def _request_hash(self, command: str, arguments: dict[str, Any]) -> bytes:
        transcoder = cast(LedgerTranscoder, self.mapper.transcoder)
        canonical = transcoder.canonical({"command": command, "arguments": arguments})
        return hashlib.sha256(canonical).digest()
