"""What the ledger's parts per area share: the ledger they run their use cases on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger


class LedgerPart:
    """One area's use cases of the ledger (``ledger.lots``, ``ledger.orders`` …), run on the
    ledger they belong to."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
