"""The one place where errors become HTTP answers: RFC 9457 ``application/problem+json``.

Every answer that is not a success is a problem document with a stable ``type`` URI per
error class, a ``title``, the ``status``, a ``detail`` for this occurrence, the
``instance`` (the request's path), the ``request_id`` and the error's own attributes.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Mapping
from decimal import Decimal
from http import HTTPStatus
from typing import Any, ClassVar
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import DataError, InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

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

PROBLEM_BASE = "https://ledger.example/problems/"
PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("ledger.api")


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error answer of this API is shaped."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem; stable per error class.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str = Field(description="The path of the request.")
    request_id: str | None = Field(default=None, description="The request's X-Request-ID.")


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


# Errors of the HTTP layer ----------------------------------------------------------------


class ApiProblem(Exception):
    """A request the HTTP layer refuses before (or instead of) the ledger seeing it."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **attributes: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.attributes = attributes
        self.headers: dict[str, str] = {}


class IdempotencyKeyMissing(ApiProblem):
    """Raised when a write comes without an ``Idempotency-Key`` header."""

    slug = "idempotency-key-missing"
    title = "Idempotency-Key header missing"


class IdempotencyKeyInvalid(ApiProblem):
    """Raised when the ``Idempotency-Key`` header is empty, too long or not printable."""

    slug = "idempotency-key-invalid"
    title = "Idempotency-Key header invalid"


class NotAuthenticated(ApiProblem):
    """Raised when a request needs an API key and has none, or one that is not valid."""

    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, *, invalid: bool) -> None:
        super().__init__(detail)
        challenge = 'Bearer realm="ledger"'
        self.headers["WWW-Authenticate"] = (
            challenge + ', error="invalid_token"' if invalid else challenge
        )


class NotPermitted(ApiProblem):
    """Raised when the API key's role may not do what the request asks."""

    status = 403
    slug = "forbidden"
    title = "Not permitted for this role"


class ResourceNotFound(ApiProblem):
    """Raised when the resource a request names is not in the ledger."""

    status = 404
    slug = "not-found"
    title = "Not found"


class ReadModelBehind(ApiProblem):
    """Raised when a read model has not reached the position a query asks for in time."""

    status = 503
    slug = "read-model-behind"
    title = "Read model not caught up"

    def __init__(self, detail: str, *, retry_after: int, **attributes: Any) -> None:
        super().__init__(detail, **attributes)
        self.headers["Retry-After"] = str(retry_after)


class BodyTooLarge(ApiProblem):
    """Raised when a request body is larger than the configured limit."""

    status = 413
    slug = "body-too-large"
    title = "Request body too large"


class JsonTooDeep(ApiProblem):
    """Raised when a request body nests arrays and objects deeper than the limit."""

    status = 422
    slug = "json-too-deep"
    title = "JSON nested too deeply"


class InvalidRange(ApiProblem):
    """Raised when positions or tree sizes asked for do not make a range the ledger can prove."""

    status = 422
    slug = "invalid-range"
    title = "Invalid range"


class ExportNotCovered(ApiProblem):
    """Raised when an audit export's events are not yet covered by a signed checkpoint."""

    status = 409
    slug = "not-checkpointed"
    title = "Not covered by a checkpoint yet"


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
    _log.warning("database unavailable: %s", error)
    return problem_response(
        scope,
        status=503,
        slug="database-unavailable",
        title="Database unavailable",
        detail="the ledger's database cannot be reached; try again shortly",
        headers={"Retry-After": "5"},
    )


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
    _log.warning("database busy: %s", error)
    return problem_response(
        scope,
        status=503,
        slug="database-busy",
        title="Database busy",
        detail="the ledger's database did not answer in time and the request was not "
        "carried out; try again shortly (a write with the same Idempotency-Key)",
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
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


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem+json answers for these statuses."""
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": HTTPStatus(status).phrase + " (RFC 9457 problem document)",
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for status in statuses
    }


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer every error above as problem+json."""

    async def on_api_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return api_problem_response(request.scope, exc)

    async def on_ledger_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LedgerError)
        return domain_problem_response(request.scope, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation_problem_response(request.scope, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return http_problem_response(request.scope, exc)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        return unavailable_problem_response(request.scope, exc)

    app.add_exception_handler(ApiProblem, on_api_problem)
    app.add_exception_handler(LedgerError, on_ledger_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    # psycopg_pool's PoolTimeout and PoolClosed are psycopg.OperationalErrors too.
    for unavailable in (psycopg.OperationalError, OperationalError, InterfaceError):
        app.add_exception_handler(unavailable, on_unavailable)

    async def on_unstorable(request: Request, exc: Exception) -> Response:
        return unstorable_problem_response(request.scope, exc)

    # Text the database cannot hold (a NUL character) or values out of its range: the
    # request is at fault, and the statement that refused it recorded nothing.
    for unstorable in (psycopg.DataError, DataError):
        app.add_exception_handler(unstorable, on_unstorable)

    async def on_busy(request: Request, exc: Exception) -> Response:
        return busy_problem_response(request.scope, exc)

    # Timeouts are told apart from an unreachable database: the more specific class wins.
    for busy in (DatabaseBusy, psycopg.errors.QueryCanceled, PoolTimeout):
        app.add_exception_handler(busy, on_busy)
