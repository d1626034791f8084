"""What the ledger's parts per area share: the ledger they run their use cases on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger


class LedgerPart:
    """The use cases of one area (``ledger.orders``, ``ledger.recalls`` …), run on the
    ``Ledger`` they are part of: it finds the aggregates, runs the commands and saves."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
