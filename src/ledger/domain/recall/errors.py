"""The rules a recall's steps can break."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.domain.errors import LedgerError


class RecallNotOpen(LedgerError):
    """The recall has ended or closed; this step belongs to an open (or ended) recall."""

    def __init__(self, number: str, status: str, step: str) -> None:
        super().__init__(f"recall {number} is {status}: cannot {step}")
        self.number, self.status, self.step = number, status, step


class NoticeAlreadySent(LedgerError):
    """A consignee gets one notice per recall (reminders are tasks, not new notices)."""

    def __init__(self, number: str, consignee: str) -> None:
        super().__init__(f"recall {number}: a notice was already sent to {consignee}")
        self.number, self.consignee = number, consignee


class NoNoticeSent(LedgerError):
    """An acknowledgement needs the notice it acknowledges."""

    def __init__(self, number: str, consignee: str) -> None:
        super().__init__(f"recall {number}: no notice was sent to {consignee}")
        self.number, self.consignee = number, consignee


class AlreadyAcknowledged(LedgerError):
    """The consignee's acknowledgement is already recorded."""

    def __init__(self, number: str, consignee: str) -> None:
        super().__init__(f"recall {number}: {consignee} has already acknowledged")
        self.number, self.consignee = number, consignee


class RecallNotResolved(LedgerError):
    """Close-out needs every consignee resolved, or an explained exception."""

    def __init__(self, number: str, unresolved: Sequence[str]) -> None:
        names = ", ".join(unresolved[:10]) + (" …" if len(unresolved) > 10 else "")
        super().__init__(
            f"recall {number} cannot close: {len(unresolved)} consignee(s) neither resolved "
            f"nor excepted: {names}"
        )
        self.number, self.unresolved = number, list(unresolved)


class UnknownRecall(LedgerError):
    """No recall has this number."""

    def __init__(self, number: str) -> None:
        super().__init__(f"no recall numbered {number!r}")
        self.number = number
