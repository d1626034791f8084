"""The one place where errors become HTTP answers: RFC 9457 ``application/problem+json``.

Every answer that is not a success is a problem document with a stable ``type`` URI per
error class, a ``title``, the ``status``, a ``detail`` for this occurrence, the
``instance`` (the request's path), the ``request_id`` and the error's own attributes.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import DataError, InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from api.problems import PROBLEM_BASE, PROBLEM_JSON, ApiProblem
from ledger.domain.credit.errors import (
    NothingPending,
    OrderNotInState,
    OverAllocation,
    ReferenceAlreadyBooked,
    SameApprover,
)
from ledger.domain.errors import (
    AlreadyRegistered,
    ConcurrentUpdate,
    IdempotencyKeyReused,
    InvalidGtin,
    InvalidUdi,
    InvalidValue,
    LedgerError,
    UnknownParty,
    UnknownProduct,
)
from ledger.domain.lot.errors import (
    DuplicateSerial,
    ExceedsConsigneeHolding,
    ExceedsInTransit,
    InsufficientStock,
    LotExpired,
    LotFactsConflict,
    LotOnHold,
    LotQuarantined,
    NoSuchHold,
    NothingInTransit,
    NotTheConsignee,
    ReferenceAlreadyUsed,
    UnknownLot,
)
from ledger.domain.recall.errors import (
    AlreadyAcknowledged,
    NoNoticeSent,
    NoticeAlreadySent,
    RecallNotOpen,
    RecallNotResolved,
    UnknownRecall,
)
from ledger.store.errors import DatabaseBusy

_log = logging.getLogger("ledger.api")


# Domain errors ---------------------------------------------------------------------------

# A domain error's status when it is not 422 (a rule refused the request as sent): 409 when
# the request conflicts with what the ledger has already recorded (the stock as it stands,
# references used). Unknown products, parties and lots named in a body stay 422: the
# request is at fault, not its URL. Every domain error gets its own problem type from its
# class name, listed here or not.
_DOMAIN_STATUS: dict[type[LedgerError], int] = {
    UnknownRecall: 404,
    RecallNotOpen: 409,
    NoticeAlreadySent: 409,
    NoNoticeSent: 409,
    AlreadyAcknowledged: 409,
    RecallNotResolved: 409,
    AlreadyRegistered: 409,
    IdempotencyKeyReused: 409,
    ReferenceAlreadyUsed: 409,
    DuplicateSerial: 409,
    LotFactsConflict: 409,
    ConcurrentUpdate: 409,
    InsufficientStock: 409,
    LotOnHold: 409,
    LotExpired: 409,
    LotQuarantined: 409,
    NothingInTransit: 409,
    ExceedsInTransit: 409,
    ExceedsConsigneeHolding: 409,
    NotTheConsignee: 409,
    NoSuchHold: 409,
    OrderNotInState: 409,
    OverAllocation: 409,
    ReferenceAlreadyBooked: 409,
    NothingPending: 409,
    SameApprover: 409,
}
_DOMAIN_TITLES: dict[type[LedgerError], str] = {
    InvalidGtin: "Invalid GTIN",
    InvalidUdi: "Invalid UDI",
    InvalidValue: "Invalid value",
    AlreadyRegistered: "Already registered",
    IdempotencyKeyReused: "Idempotency key reused with a different request",
    UnknownProduct: "Unknown product",
    UnknownParty: "Unknown party",
    UnknownLot: "Unknown lot",
}
# The request field a domain error is about, when the error does not carry it itself.
_DOMAIN_FIELDS: dict[type[LedgerError], str] = {InvalidGtin: "gtin"}


def _slug(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def _title(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).capitalize()


def _lookup(table: Mapping[type[LedgerError], Any], error: LedgerError) -> Any:
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return None


# Rendering -------------------------------------------------------------------------------


_INT64 = range(-(2**63), 2**63)


def _json_ready(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT64:
        return str(value)  # the JSON encoder takes 64-bit integers only; echoed input may not fit
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, enum.Enum):
        return _json_ready(value.value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_ready(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    return str(value)


def problem_response(
    scope: Scope,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    attributes: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The problem+json answer to the request of ``scope``."""
    document: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope.get("root_path", "") + scope.get("path", ""),
        "request_id": scope.get("state", {}).get("request_id"),
    }
    for key, value in (attributes or {}).items():
        document.setdefault(key, _json_ready(value))
    return Response(
        orjson.dumps(document), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def api_problem_response(scope: Scope, problem: ApiProblem) -> Response:
    """The answer to a request the HTTP layer refused."""
    return problem_response(
        scope,
        status=problem.status,
        slug=problem.slug,
        title=problem.title,
        detail=problem.detail,
        attributes=problem.attributes,
        headers=problem.headers,
    )


def domain_problem_response(scope: Scope, error: LedgerError) -> Response:
    """The answer to a command the ledger refused: one ``type`` per error class."""
    name = type(error).__name__
    attributes = {key: value for key, value in vars(error).items() if not key.startswith("_")}
    field = _lookup(_DOMAIN_FIELDS, error)
    if field is not None:
        attributes.setdefault("field", field)
    return problem_response(
        scope,
        status=_lookup(_DOMAIN_STATUS, error) or 422,
        slug=_slug(name),
        title=_lookup(_DOMAIN_TITLES, error) or _title(name),
        detail=str(error),
        attributes=attributes,
    )


def validation_problem_response(scope: Scope, error: RequestValidationError) -> Response:
    """The answer to a request whose JSON, parameters or body fields are not acceptable."""
    errors = list(error.errors())
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        reason = (malformed.get("ctx") or {}).get("error", "JSON decode error")
        position = malformed["loc"][-1] if malformed.get("loc") else None
        return problem_response(
            scope,
            status=422,
            slug="malformed-json",
            title="Malformed JSON",
            detail=f"the request body is not valid JSON: {reason} at character {position}",
            attributes={"position": position},
        )
    fields = [
        {
            "field": ".".join(str(part) for part in e["loc"][1:]) or e["loc"][0],
            "location": e["loc"][0] if e["loc"] else None,
            "message": e["msg"],
            "type": e["type"],
        }
        for e in errors
    ]
    first = fields[0] if fields else {"field": None, "message": "invalid request"}
    return problem_response(
        scope,
        status=422,
        slug="invalid-request",
        title="Invalid request",
        detail=f"{first['field']}: {first['message']}",
        attributes={"field": first["field"], "errors": fields},
    )


def http_problem_response(scope: Scope, error: HTTPException) -> Response:
    """The answer for routing errors (no such path, method not allowed) and the like."""
    phrase = HTTPStatus(error.status_code).phrase
    detail = error.detail
    if error.status_code == 404:
        detail = f"there is no resource at {scope.get('path', '')}"
    elif error.status_code == 405:
        detail = f"{scope.get('method')} is not allowed on {scope.get('path', '')}"
    return problem_response(
        scope,
        status=error.status_code,
        slug=_slug(phrase.replace(" ", "")),
        title=phrase,
        detail=str(detail),
        headers=error.headers,
    )


def unavailable_problem_response(scope: Scope, error: Exception) -> Response:
    """The answer when the database cannot be reached while serving a request."""
    detail = "the ledger's database cannot be reached; try again shortly"
    return _retry_later(scope, error, "Database unavailable", detail, seconds=5)


def unstorable_problem_response(scope: Scope, error: Exception) -> Response:
    """The answer when the database refuses a value of the request (e.g. a NUL character)."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return problem_response(
        scope,
        status=422,
        slug="unstorable-value",
        title="Value the ledger cannot store",
        detail=f"a value of the request cannot be stored or compared: {reason}",
    )


BUSY_RETRY_AFTER_SECONDS = 1


def busy_problem_response(scope: Scope, error: Exception) -> Response:
    """The answer when a statement or the wait for a connection ran past its limit."""
    detail = (
        "the ledger's database did not answer in time and the request was not carried out;"
        " try again shortly (a write with the same Idempotency-Key)"
    )
    return _retry_later(scope, error, "Database busy", detail, seconds=BUSY_RETRY_AFTER_SECONDS)


def _retry_later(
    scope: Scope, error: Exception, title: str, detail: str, *, seconds: int
) -> Response:
    """A 503 the client may retry after ``seconds``; its cause is logged, not shown."""
    name = title.lower()
    _log.warning("%s: %s", name, error)
    return problem_response(
        scope,
        status=503,
        slug=name.replace(" ", "-"),
        title=title,
        detail=detail,
        headers={"Retry-After": str(seconds)},
    )


def internal_error_response(scope: Scope) -> Response:
    """The answer to an unexpected failure; the cause is logged, not shown."""
    return problem_response(
        scope,
        status=500,
        slug="internal-error",
        title="Internal server error",
        detail="the request failed unexpectedly; quote its request_id when reporting it",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer every error above as problem+json."""
    answers: tuple[tuple[tuple[type[Exception], ...], Callable[[Scope, Any], Response]], ...] = (
        ((ApiProblem,), api_problem_response),
        ((LedgerError,), domain_problem_response),
        ((RequestValidationError,), validation_problem_response),
        ((HTTPException,), http_problem_response),
        # psycopg_pool's PoolTimeout and PoolClosed are psycopg.OperationalErrors too.
        (
            (psycopg.OperationalError, OperationalError, InterfaceError),
            unavailable_problem_response,
        ),
        # Text the database cannot hold (a NUL character) or values out of its range: the
        # request is at fault, and the statement that refused it recorded nothing.
        ((psycopg.DataError, DataError), unstorable_problem_response),
        # Timeouts are told apart from an unreachable database: the more specific class wins.
        ((DatabaseBusy, psycopg.errors.QueryCanceled, PoolTimeout), busy_problem_response),
    )
    for kinds, render in answers:
        for kind in kinds:
            app.add_exception_handler(kind, _handler(render))


def _handler(
    render: Callable[[Scope, Any], Response],
) -> Callable[[Request, Exception], Coroutine[Any, Any, Response]]:
    async def answer(request: Request, exc: Exception) -> Response:
        return render(request.scope, exc)

    return answer
