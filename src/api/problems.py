"""The problems the HTTP layer itself raises (a missing key, a role not permitted, a body
too large …), and the problem document every error answer is shaped as."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_BASE = "https://ledger.example/problems/"
PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error answer of this API is shaped."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem; stable per error class.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    instance: str = Field(description="The path of the request.")
    request_id: str | None = Field(default=None, description="The request's X-Request-ID.")


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


class ApiProblem(Exception):
    """A request the HTTP layer refuses before (or instead of) the ledger seeing it.

    Each kind states its status, its problem type's slug and its title in its class line.
    """

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init_subclass__(cls, *, status: int = 400, slug: str, title: str) -> None:
        super().__init_subclass__()
        cls.status, cls.slug, cls.title = status, slug, title

    def __init__(self, detail: str, **attributes: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.attributes = attributes
        self.headers: dict[str, str] = {}


class IdempotencyKeyMissing(
    ApiProblem, slug="idempotency-key-missing", title="Idempotency-Key header missing"
):
    """Raised when a write comes without an ``Idempotency-Key`` header."""


class IdempotencyKeyInvalid(
    ApiProblem, slug="idempotency-key-invalid", title="Idempotency-Key header invalid"
):
    """Raised when the ``Idempotency-Key`` header is empty, too long or not printable."""


class NotAuthenticated(
    ApiProblem, status=401, slug="unauthenticated", title="Authentication required"
):
    """Raised when a request needs an API key and has none, or one that is not valid."""

    def __init__(self, detail: str, *, invalid: bool) -> None:
        super().__init__(detail)
        challenge = 'Bearer realm="ledger"'
        self.headers["WWW-Authenticate"] = (
            challenge + ', error="invalid_token"' if invalid else challenge
        )


class NotPermitted(ApiProblem, status=403, slug="forbidden", title="Not permitted for this role"):
    """Raised when the API key's role may not do what the request asks."""


class ResourceNotFound(ApiProblem, status=404, slug="not-found", title="Not found"):
    """Raised when the resource a request names is not in the ledger."""


class ReadModelBehind(
    ApiProblem, status=503, slug="read-model-behind", title="Read model not caught up"
):
    """Raised when a read model has not reached the position a query asks for in time."""

    def __init__(self, detail: str, *, retry_after: int, **attributes: Any) -> None:
        super().__init__(detail, **attributes)
        self.headers["Retry-After"] = str(retry_after)


class BodyTooLarge(ApiProblem, status=413, slug="body-too-large", title="Request body too large"):
    """Raised when a request body is larger than the configured limit."""


class JsonTooDeep(ApiProblem, status=422, slug="json-too-deep", title="JSON nested too deeply"):
    """Raised when a request body nests arrays and objects deeper than the limit."""


class InvalidRange(ApiProblem, status=422, slug="invalid-range", title="Invalid range"):
    """Raised when positions or tree sizes asked for do not make a range the ledger can prove."""


class ExportNotCovered(
    ApiProblem, status=409, slug="not-checkpointed", title="Not covered by a checkpoint yet"
):
    """Raised when an audit export's events are not yet covered by a signed checkpoint."""
