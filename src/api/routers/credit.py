"""``/v1/credit-accounts``, ``/v1/credit``, ``/v1/collection-tasks``, ``/v1/dunning-notices``:
credit profiles and limits (finance), the scorecard and limit proposals, the dunning sweep,
letters and collection tasks. Partners see only their own account."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.deps import LedgerDep, ReadsDep, WriteCaller, caught_up
from api.keys import ApiKey, Role
from api.problems import ResourceNotFound
from api.routers.common import (
    READ_PROBLEMS,
    WRITE_RESPONSES,
    CommandBody,
    DecimalText,
    command,
    scoped_items,
)
from api.routers.orders import Code, CreditReaderKey, FinanceKey, Reason, Reference
from ledger.application.credit import scorecard_view
from ledger.application.dunning import render_letter
from ledger.application.ledger import Ledger
from ledger.application.orders import account_view
from ledger.domain.credit.account import CreditAccount
from ledger.domain.credit.errors import UnknownCreditAccount
from projections.collections import Collections, credit_customers, list_notices, list_tasks
from projections.receivables import Receivables

router = APIRouter(tags=["credit"])
CustomerPath = Annotated[str, Path(max_length=64, description="The customer's party code.")]
CodeQuery = Annotated[str | None, Query(max_length=64)]
"""A party's code narrowing a list (none: every party the key may see)."""
_CaughtUp = Annotated[int | None, Depends(caught_up(Collections.name, Receivables.name))]
_RECORDED: dict[str, Any] = {"status_code": 201, "responses": WRITE_RESPONSES}
_CUSTOMER = {"customer": (CustomerPath, "customer")}


def today() -> date:
    """The current date (UTC): the default of reports as of a date."""
    return datetime.now(UTC).date()


class OpenAccount(CommandBody):
    """A customer's credit profile."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    currency: str = Field(min_length=3, max_length=3)
    grade: Literal["A", "B", "C", "D"]
    limit: DecimalText
    terms_days: StrictInt = Field(description="Net payment terms in days, e.g. 30 or 60.")
    tolerance_days: StrictInt = 0
    tolerance_amount: DecimalText = Decimal(0)
    prepay_before_ship: StrictBool | None = Field(
        default=None, description="Orders wait for prepayment; default: true for grade D."
    )
    collector: Code = "finance"
    reason: Reason


class ChangeProfile(CommandBody):
    """Profile fields to change (the others stay), and why."""

    model_config = ConfigDict(extra="forbid")

    grade: Literal["A", "B", "C", "D"] | None = None
    terms_days: StrictInt | None = None
    tolerance_days: StrictInt | None = None
    tolerance_amount: DecimalText | None = None
    prepay_before_ship: StrictBool | None = None
    collector: Code | None = None
    reason: Reason


class ChangeLimit(CommandBody):
    """A new credit limit, and why."""

    model_config = ConfigDict(extra="forbid")

    limit: DecimalText
    reason: Reason


class ProposeLimit(CommandBody):
    """Score the account as of a date and let the policy propose a limit."""

    model_config = ConfigDict(extra="forbid")

    as_of: date


class DecideProposal(CommandBody):
    """Finance's decision on a proposed limit."""

    model_config = ConfigDict(extra="forbid")

    accept: StrictBool
    reason: Reason


class Sweep(BaseModel):
    """Run the dunning sweep as of a date for every customer (or the ones named)."""

    model_config = ConfigDict(extra="forbid")

    as_of: date
    customers: list[Code] | None = Field(default=None, max_length=10000)


class UpdateTask(CommandBody):
    """A collection task's new status (and owner), with a note."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    task: Reference
    status: Literal["open", "in_progress", "promised", "escalated", "closed"]
    owner: Code | None = None
    note: str = Field(default="", max_length=500)
    updated_on: date


def account_of(ledger: Ledger, key: ApiKey, customer: str) -> CreditAccount:
    """The customer's account; 404 if there is none or a partner asks for another's."""
    try:
        account = ledger.credit_account(customer)
    except UnknownCreditAccount:
        account = None
    if account is None or (key.role is Role.PARTNER and account.customer != key.party):
        raise ResourceNotFound(
            f"no credit account for {customer}", kind="credit account", key=customer
        )
    return account


router.post("/v1/credit-accounts", **_RECORDED)(
    command("orders.open_credit_account", OpenAccount, key=FinanceKey, name="open_account",
            location=lambda body, _: f"/v1/credit-accounts/{body.customer}",
            doc="Open a customer's credit account (finance).")
)  # fmt: skip


@router.get("/v1/credit-accounts/{customer}", responses=READ_PROBLEMS)
def get_account(customer: CustomerPath, key: CreditReaderKey, ledger: LedgerDep) -> dict[str, Any]:
    """A credit account: profile, exposure, available credit, open tasks and proposals."""
    account = account_of(ledger, key, customer)
    return {
        **account_view(account),
        "tasks": account.tasks,
        "proposals": {name: str(limit) for name, limit in account.proposals.items()},
    }


router.post("/v1/credit-accounts/{customer}/profile", **_RECORDED)(
    command("orders.change_credit_profile", ChangeProfile, key=FinanceKey, path=_CUSTOMER,
            name="change_profile",
            doc="Change the grade, terms, tolerance, prepayment rule or collector (finance).")
)  # fmt: skip

router.post("/v1/credit-accounts/{customer}/limit", **_RECORDED)(
    command("orders.change_credit_limit", ChangeLimit, key=FinanceKey, path=_CUSTOMER,
            name="change_limit", doc="Set a new credit limit (finance).")
)  # fmt: skip


@router.get("/v1/credit-accounts/{customer}/scorecard", responses=READ_PROBLEMS)
def get_scorecard(
    customer: CustomerPath,
    key: CreditReaderKey,
    ledger: LedgerDep,
    as_of: Annotated[date | None, Query(description="Scored as of (default today).")] = None,
) -> dict[str, Any]:
    """The account's 0-100 risk score with each factor's points."""
    return scorecard_view(account_of(ledger, key, customer), as_of or today())


router.post("/v1/credit-accounts/{customer}/limit-proposals", **_RECORDED)(
    command("credit.propose_credit_limit", ProposeLimit, key=FinanceKey, path=_CUSTOMER,
            name="propose_limit",
            doc="Score the account and record the policy's limit proposal, if any (finance).")
)  # fmt: skip

router.post("/v1/credit-accounts/{customer}/limit-proposals/{proposal}/decision", **_RECORDED)(
    command("credit.decide_limit_change", DecideProposal, key=FinanceKey,
            path={**_CUSTOMER, "proposal": (Annotated[str, Path(max_length=64)], "proposal")},
            name="decide_proposal",
            doc="Accept (the limit changes) or reject a proposed limit (finance).")
)  # fmt: skip


@router.post("/v1/credit/sweep", **_RECORDED)
def sweep(
    body: Sweep,
    key: FinanceKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    reads: ReadsDep,
    response: Response,
) -> dict[str, Any]:
    """Send reminders and dunning notices due as of a date; levels already sent are skipped."""
    customers = body.customers
    if customers is None:
        with reads.connection() as conn, conn.cursor() as cur:
            customers = credit_customers(cur)
    results = ledger.credit.sweep_credit(customers=customers, as_of=body.as_of, caller=caller)
    notices = [
        {"customer": r.outcome["customer"], **notice}
        for r in results
        for notice in r.outcome["notices"]
    ]
    positions = [p for r in results for p in r.positions]
    response.status_code = 201
    return {"as_of": body.as_of.isoformat(), "notices": notices, "positions": positions}


@router.get("/v1/collection-tasks", responses=READ_PROBLEMS)
def get_tasks(
    key: CreditReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    customer: CodeQuery = None,
    owner: CodeQuery = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """List collection tasks by customer, owner and status (a partner sees its own)."""
    return scoped_items(key, customer, reads, partial(list_tasks, owner=owner, status=status))


router.post("/v1/collection-tasks/updates", **_RECORDED)(
    command("credit.update_collection_task", UpdateTask, key=FinanceKey, name="update_task",
            doc="Move a collection task on: status, owner, note (finance).")
)  # fmt: skip


@router.get("/v1/dunning-notices", responses=READ_PROBLEMS)
def get_notices(
    key: CreditReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    customer: CodeQuery = None,
) -> dict[str, Any]:
    """List dunning notices sent, latest first (a partner sees its own)."""
    return scoped_items(key, customer, reads, list_notices)


@router.get(
    "/v1/dunning-notices/{customer}/{invoice}/{level}/letter",
    responses=READ_PROBLEMS,
    response_class=PlainTextResponse,
)
def get_letter(
    customer: CustomerPath,
    invoice: Annotated[str, Path(max_length=64)],
    level: Annotated[str, Path(max_length=32)],
    key: CreditReaderKey,
    ledger: LedgerDep,
    language: Annotated[Literal["zh", "en"], Query()] = "zh",
    format: Annotated[Literal["txt", "html"], Query()] = "txt",
) -> Response:
    """The dunning letter of a notice sent, in Chinese or English, as text or HTML."""
    account = account_of(ledger, key, customer)
    notice = account.notice_sent(invoice, level)
    if notice is None:
        raise ResourceNotFound(
            f"no {level} notice was sent for {invoice}", kind="notice", key=f"{invoice}/{level}"
        )
    name = ledger.customer_name(account.customer)
    text = render_letter(
        notice, customer_name=name, currency=account.currency, language=language, fmt=format
    )
    if format == "html":
        return HTMLResponse(text)
    return PlainTextResponse(text)
