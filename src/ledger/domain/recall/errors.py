"""The rules a recall's steps can break."""

from __future__ import annotations

from ledger.domain.errors import LedgerError


class RecallNotOpen(LedgerError):
    """The recall has ended or closed; this step belongs to an open (or ended) recall."""

    number: str
    status: str
    step: str
    message = "recall {number} is {status}: cannot {step}"


class NoticeAlreadySent(LedgerError):
    """A consignee gets one notice per recall (reminders are tasks, not new notices)."""

    number: str
    consignee: str
    message = "recall {number}: a notice was already sent to {consignee}"


class NoNoticeSent(LedgerError):
    """An acknowledgement needs the notice it acknowledges."""

    number: str
    consignee: str
    message = "recall {number}: no notice was sent to {consignee}"


class AlreadyAcknowledged(LedgerError):
    """The consignee's acknowledgement is already recorded."""

    number: str
    consignee: str
    message = "recall {number}: {consignee} has already acknowledged"


class RecallNotResolved(LedgerError):
    """Close-out needs every consignee resolved, or an explained exception."""

    number: str
    unresolved: list[str]

    def describe(self) -> str:
        """The message, with the count and the first ten consignees named."""
        unresolved = self.unresolved
        names = ", ".join(unresolved[:10]) + (" …" if len(unresolved) > 10 else "")
        return (
            f"recall {self.number} cannot close: {len(unresolved)} consignee(s) neither "
            f"resolved nor excepted: {names}"
        )


class UnknownRecall(LedgerError):
    """No recall has this number."""

    number: str
    message = "no recall numbered {number!r}"
