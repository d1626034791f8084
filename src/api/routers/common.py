"""What the routers share: decimals as text, write routes and their answers, and their
documented problems."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any, TypeVar
from urllib.parse import quote
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from fastapi import Response
from pydantic import BaseModel, BeforeValidator, WithJsonSchema

from api.bootstrap import ReadPool
from api.deps import LedgerDep, WriteCaller
from api.keys import ApiKey, Role
from api.problems import ResourceNotFound, problem_responses
from ledger.application.commands import CommandOutcome
from ledger.application.ledger import Ledger

REPLAYED_HEADER = "Idempotent-Replayed"
DECIMAL_TEXT = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_DECIMAL = re.compile(DECIMAL_TEXT)
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay: the first answer to this Idempotency-Key, unchanged."},
    **problem_responses(400, 401, 403, 409, 413, 422),
}
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503)
AggregateT = TypeVar("AggregateT", bound=Aggregate)
RowT = TypeVar("RowT")


def _decimal_text(value: Any) -> Any:
    # Floats would lose digits on the way in, so decimals travel as strings.
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise ValueError('a decimal number written as a string, e.g. "2.5"')
    return value


DecimalText = Annotated[
    Decimal,
    BeforeValidator(_decimal_text),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_TEXT, "examples": ["2.0"]}),
]


def answer(
    result: CommandOutcome, response: Response, *, location: str | None = None
) -> dict[str, Any]:
    """A write's body: its outcome and positions; a replay is 200 with ``Idempotent-Replayed``."""
    if result.replayed:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    if location is not None:
        # Header values are Latin-1: a code with other letters travels percent-encoded.
        response.headers["Location"] = quote(location, safe="/")
    return {**result.outcome, "positions": list(result.positions)}


def aggregate(
    ledger: Ledger, aggregate_id: UUID, kind: type[AggregateT], *, name: str, key: str
) -> AggregateT:
    """The aggregate of ``kind`` under ``aggregate_id``; 404 if there is none."""
    found: Aggregate | None
    try:
        found = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        found = None
    if not isinstance(found, kind):
        raise ResourceNotFound(f"no {name} {key} is registered", kind=name, key=key)
    return found


class CommandBody(BaseModel):
    """A write's body whose fields are its use case's keyword arguments."""

    def arguments(self) -> dict[str, Any]:
        """The use case's keyword arguments (a body renames or converts fields here)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def command(
    use_case: str,
    body: type[CommandBody],
    doc: str,
    *,
    key: Any,
    name: str | None = None,
    path: Mapping[str, tuple[Any, str]] | None = None,
    check: Callable[[ApiKey, Any], None] | None = None,
    location: Callable[[Any, CommandOutcome], str] | None = None,
) -> Callable[..., dict[str, Any]]:
    """The endpoint of a write that runs one use case: the path's parameters and the body's
    arguments go to it; the answer is its outcome (``answer``).

    Args:
        use_case: the ledger's use case by its path, e.g. ``recalls.end_recall``.
        body: the body's model. doc: the route's one-line description.
        key: the dependency that admits the API key (its roles).
        name: the route's name (its operation id); by default the use case's.
        path: each path parameter's annotation, and the use case's argument it fills.
        check: raises when the key may not make this request (a partner's own party).
        location: the ``Location`` of what the write created.
    """
    run = attrgetter(use_case)
    path = path or {}

    def endpoint(**values: Any) -> dict[str, Any]:
        given, caller = values["body"], values["caller"]
        if check is not None:
            check(values["key"], given)
        from_path = {argument: values[parameter] for parameter, (_, argument) in path.items()}
        outcome: CommandOutcome = run(values["ledger"])(
            **from_path, **given.arguments(), caller=caller
        )
        where = location(given, outcome) if location else None
        return answer(outcome, values["response"], location=where)

    # FastAPI reads the body's model, the path and the dependencies from the signature.
    annotations = {
        **{parameter: kind for parameter, (kind, _) in path.items()},
        "body": body,
        "key": key,
        "caller": WriteCaller,
        "ledger": LedgerDep,
        "response": Response,
    }
    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, keyword, annotation=kind) for p, kind in annotations.items()],
        return_annotation=dict[str, Any],
    )
    endpoint.__name__ = endpoint.__qualname__ = name or use_case.rsplit(".", 1)[-1]
    endpoint.__doc__ = doc
    return endpoint


def customer_scope(key: ApiKey, customer: str | None) -> tuple[bool, str | None]:
    """Whether a query about ``customer`` may answer at all for this key, and the customer
    it is limited to: a partner sees its own party only."""
    if key.role is Role.PARTNER:
        return customer in (None, key.party), key.party
    return True, customer


def scoped_rows(
    key: ApiKey, customer: str | None, reads: ReadPool, query: Callable[..., Sequence[RowT]]
) -> Sequence[RowT]:
    """The rows ``query(cursor, customer=...)`` reads about ``customer`` (all customers when
    None) as far as this key may see them (``customer_scope``): none when it may not."""
    allowed, customer = customer_scope(key, customer)
    if not allowed:
        return []
    with reads.connection() as conn, conn.cursor() as cur:
        return query(cur, customer=customer)


def scoped_items(
    key: ApiKey, customer: str | None, reads: ReadPool, query: Callable[..., Sequence[Any]]
) -> dict[str, Any]:
    """A list's answer: the rows of ``scoped_rows``, each as JSON (``json_row``)."""
    return {"items": [json_row(vars(row)) for row in scoped_rows(key, customer, reads, query)]}


def json_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """A read model's row as JSON: text, whole numbers and nulls as they are, any other
    value (dates, decimals) as its text."""
    return {k: v if v is None or isinstance(v, int | str) else str(v) for k, v in values.items()}
