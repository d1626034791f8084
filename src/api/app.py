"""The HTTP API's application factory: routers, error handling, limits, and the docs page."""

from __future__ import annotations

import gc
import importlib.resources
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Services, open_services
from api.credit_sweeper import start_credit_sweeper
from api.errors import install_error_handlers
from api.middleware import RequestBoundary
from api.routers import (
    audit,
    credit,
    events,
    evidence,
    health,
    lots,
    master_data,
    movements,
    orders,
    recalls,
    receivables,
    stock,
)
from ledger.integrity.checkpointer import configured_signing_key, start_checkpointer
from ledger.settings import Settings
from ledger.store.database import Database

TITLE = "Medical-device traceability ledger"
DOCS_ASSETS = "/docs/assets"
FOLLOWER_JOIN_SECONDS = 10.0
DESCRIPTION = """\
Every stock movement, lot transfer, credit decision and recall step is an immutable,
hash-chained event. Authenticate with an API key (`Authorization: Bearer ldg_…`);
every write needs an `Idempotency-Key` header. Errors are RFC 9457 problem documents.
"""
_ROOT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
<ul><li><a href="docs">API documentation</a></li>
<li><a href="openapi.json">OpenAPI description</a></li>
<li><a href="v1/health">Health</a></li></ul>
</body></html>
"""


def _version() -> str:
    try:
        return version("medical-device-ledger")
    except PackageNotFoundError:
        return "0"


def _lifespan(
    settings: Settings, database: Database | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Build the services and follow the events into the read models while the app runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services: Services = await run_in_threadpool(open_services, settings, database)
        app.state.services = services
        stop = threading.Event()
        follower = threading.Thread(
            target=services.projections.run, args=(stop,), name="ledger-projections", daemon=True
        )
        follower.start()
        # Checkpoints are signed in a thread of their own, when a signing key is configured.
        app.state.checkpoint_key = configured_signing_key(settings)
        stop_checkpoints = start_checkpointer(settings, services.database, services.ledger.on_saved)
        stop_sweeps = start_credit_sweeper(services, stop, settings)  # dunning, daily by default
        # What exists now (modules, routes, schemas) lives as long as the process: frozen,
        # it is left out of full collections, which otherwise stall requests for tens of ms.
        # Collected first, so that no garbage is frozen with it.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            services.projections.wake()
            await run_in_threadpool(follower.join, FOLLOWER_JOIN_SECONDS)
            if stop_checkpoints is not None:
                await run_in_threadpool(stop_checkpoints)
            if stop_sweeps is not None:
                await run_in_threadpool(stop_sweeps)
            await run_in_threadpool(services.close)

    return lifespan


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """The HTTP API; nothing is connected until the app starts.

    Args:
        settings: the ledger's settings, the API's limits among them (read from the
            environment when omitted).
        database: an already migrated database to use; when omitted, the app reaches (or
            starts) the one in ``settings`` and migrates it on start.
    """
    settings = settings or Settings()
    app = FastAPI(
        title=TITLE,
        version=_version(),
        description=DESCRIPTION,
        lifespan=_lifespan(settings, database),
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(
        RequestBoundary,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
    routers = (
        health,
        events,
        master_data,
        stock,
        lots,
        movements,
        audit,
        orders,
        credit,
        receivables,
        evidence,
        recalls,
    )
    for router in (module.router for module in routers):
        app.include_router(router)
    _add_pages(app)
    return app


def _add_pages(app: FastAPI) -> None:
    """The root page and the docs page, whose assets the app serves itself (no CDN)."""
    assets = importlib.resources.files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/", include_in_schema=False)
    async def root() -> HTMLResponse:
        return HTMLResponse(_ROOT_PAGE.format(title=TITLE))

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root_path}{app.openapi_url}",
            title=f"{TITLE} - API documentation",
            swagger_js_url=f"{root_path}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root_path}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root_path}{DOCS_ASSETS}/favicon.png",
            # The default validator badge would call an outside service.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )
