"""Dependencies of the routes, as ``Annotated`` aliases: services, the caller, its rights."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.bootstrap import ReadPool, Services
from api.keys import READ_ONLY_ROLES, ApiKey, Role, authenticate
from api.problems import (
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    NotAuthenticated,
    NotPermitted,
    ReadModelBehind,
)
from ledger.application.commands import Caller
from ledger.application.ledger import Ledger
from projections.runner import Projections

MAX_IDEMPOTENCY_KEY_LENGTH = 255
READ_WAIT_SECONDS = 5.0
"""How long a query with ``min_position`` waits for its read models before a 503."""
RETRY_AFTER_SECONDS = 1
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key, `ldg_<id>_<secret>`, as issued by `ledger keys create`.",
)


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


async def _ledger(services: ServicesDep) -> Ledger:
    return services.ledger


async def _reads(services: ServicesDep) -> ReadPool:
    return services.reads


async def _projections(services: ServicesDep) -> Projections:
    return services.projections


LedgerDep = Annotated[Ledger, Depends(_ledger)]
ReadsDep = Annotated[ReadPool, Depends(_reads)]
ProjectionsDep = Annotated[Projections, Depends(_projections)]


def caught_up(*models: str) -> Callable[..., Coroutine[Any, Any, int | None]]:
    """A dependency waiting, when the query gives ``min_position``, until ``models`` have
    folded the events up to it (read-your-writes); 503 with Retry-After if they do not."""

    async def wait_for_models(
        projections: ProjectionsDep,
        min_position: Annotated[
            int | None,
            Query(
                ge=0,
                description="Answer only once the read model has folded the events up to this "
                "position (e.g. the last of a write's `positions`).",
            ),
        ] = None,
    ) -> int | None:
        if min_position is None:
            return None
        for model in models:
            reached = await run_in_threadpool(
                projections.wait_for, model, min_position, timeout=READ_WAIT_SECONDS
            )
            if not reached:
                raise ReadModelBehind(
                    f"the {model} read model has not reached position {min_position} yet",
                    retry_after=RETRY_AFTER_SECONDS,
                    read_model=model,
                    min_position=min_position,
                )
        return min_position

    return wait_for_models


def _authenticated_key(
    request: Request,
    reads: ReadsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise NotAuthenticated(
            "this request needs an API key: send 'Authorization: Bearer <key>'", invalid=False
        )
    with reads.connection() as conn:
        key = authenticate(conn, credentials.credentials)
    if key is None:
        raise NotAuthenticated("the API key is not valid or has been revoked", invalid=True)
    request.state.api_key_id = key.id
    if key.role in READ_ONLY_ROLES and request.method not in _SAFE_METHODS:
        raise NotPermitted(f"{key.role} keys are read-only", role=key.role)
    return key


def allow(*roles: Role) -> Callable[..., Coroutine[Any, Any, ApiKey]]:
    """A dependency giving the request's API key if its role is one of ``roles``."""
    allowed = frozenset(roles)

    async def key_with_role(key: Annotated[ApiKey, Depends(_authenticated_key)]) -> ApiKey:
        if key.role not in allowed:
            raise NotPermitted(
                f"a {key.role} key may not do this; allowed: "
                + ", ".join(sorted(role.value for role in allowed)),
                role=key.role,
                allowed_roles=sorted(role.value for role in allowed),
            )
        return key

    return key_with_role


AnyKey = Annotated[ApiKey, Depends(allow(*Role))]
"""Any valid key: master data, stock and lots are visible to every role (partners: their own)."""
OperatorKey = Annotated[ApiKey, Depends(allow(Role.OPERATOR))]
"""A key that may record master data and movements."""
EventReaderKey = Annotated[
    ApiKey, Depends(allow(Role.OPERATOR, Role.FINANCE, Role.AUDITOR, Role.REGULATOR))
]
"""A key that may browse the whole event log (partners may not: it is not per party yet)."""
ReporterKey = Annotated[ApiKey, Depends(allow(Role.OPERATOR, Role.PARTNER))]
"""A key that may report uses and sales: the operator, or a partner for its own party."""


async def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Required on every write: the client's unique key for this request "
            "(up to 255 printable ASCII characters). Repeating it repeats the first answer "
            "and records nothing new.",
        ),
    ] = None,
) -> str:
    if idempotency_key is None:
        raise IdempotencyKeyMissing("every write needs an 'Idempotency-Key' header")
    if not idempotency_key.strip():
        raise IdempotencyKeyInvalid("the Idempotency-Key header is empty")
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise IdempotencyKeyInvalid(
            f"the Idempotency-Key header is longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters",
            max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        )
    if not all(" " <= char <= "~" for char in idempotency_key):
        raise IdempotencyKeyInvalid(
            "the Idempotency-Key header may hold printable ASCII characters only"
        )
    return idempotency_key


async def _caller(
    key: Annotated[ApiKey, Depends(_authenticated_key)],
    idempotency_key: Annotated[str, Depends(_idempotency_key)],
) -> Caller:
    return Caller(actor=key.name, scope=key.id, idempotency_key=idempotency_key)


WriteCaller = Annotated[Caller, Depends(_caller)]
"""Who writes (the key's name), the scope of its keys (the key's id) and the request's key."""
