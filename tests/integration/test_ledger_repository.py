"""The ledger loads aggregates through the repository that serialises cached loads."""

from __future__ import annotations

from ledger.application.ledger import Ledger
from ledger.store.repository import AggregateRepository


def test_the_ledger_loads_through_the_serialised_repository(ledger: Ledger) -> None:
    assert isinstance(ledger.repository, AggregateRepository)
    assert ledger.repository.cache is not None  # the cache the serialisation protects
