"""The app factory: `create_app(settings, store)` wires the routers, errors, CORS and metrics.

The store is opened by the caller (the CLI, or a test) and closed in the app's lifespan; the app
keeps nothing else but the endpoint's answer cache.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path
from starlette.middleware.cors import CORSMiddleware

from ..catalog import Catalog
from ..config import ServerSettings
from ..endpoint import Endpoint
from ..query import resolve
from ..dumps import DumpFiles
from ..reload import Reloader, ReloadState
from ..store import Store
from . import admin, errors, linked, meta, pages, queries, sparql
from . import dumps as dump_routes
from .compress import Compress
from .limits import ClientSlots, RequestLimits
from .methods import HeadAsGet
from .observe import Metrics, ObserveMiddleware

DESCRIPTION = """The SAPHIRe knowledge graph of European regions and personalised-medicine initiatives,
as a read-only SPARQL 1.1 endpoint. The default graph is the union of the named graphs (one per
curated file, plus the inferred graph and the VoID description)."""


def create_app(
    settings: ServerSettings,
    store: Store,
    reload: ReloadState | None = None,
    catalog: Catalog | None = None,
    reloader: Reloader | None = None,
    dumps: DumpFiles | None = None,
) -> FastAPI:
    endpoint = Endpoint(store, settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="saphire-kg",
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
        docs_url=None,  # (meta.api_docs: Swagger UI from this service, not a CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.endpoint = endpoint
    app.state.reload = reload
    app.state.metrics = metrics
    app.state.recent_queries = sparql.RecentQueries()
    app.state.client_slots = ClientSlots(settings.client_concurrency)
    app.state.started = time.monotonic()
    metrics.watch(lambda: _figures(endpoint, store, reload))
    app.include_router(sparql.router)
    app.include_router(meta.router)
    if catalog is not None:
        app.include_router(queries.router(catalog, store))
    resolved = resolve(catalog, store) if catalog is not None else None  # linked-data pages
    app.include_router(linked.router(resolved))
    app.include_router(pages.router(resolved))
    app.mount("/static/swagger-ui", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.include_router(dump_routes.router(dumps))
    if settings.admin_token:  # no token in the environment: no admin routes, read-only
        app.include_router(admin.router(settings.admin_token, reloader, dumps))
    errors.install(app)
    app.add_middleware(HeadAsGet)  # innermost: every other layer sees the HEAD
    app.add_middleware(sparql.QueryFastPath)  # CORS and metrics still apply
    # 414, 413, 429 before any route
    app.add_middleware(RequestLimits, settings=settings, slots=app.state.client_slots)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=False,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match"],
        expose_headers=[
            *("ETag", "Server-Timing", "Saphire-Dataset-Version", "Retry-After", "Allow"),
            *("Link", "Content-Location", "Content-Disposition"),  # linked data, dumps
        ],
        max_age=600,
    )
    app.add_middleware(ObserveMiddleware, metrics=metrics)
    app.add_middleware(sparql.CachedAnswerLane)  # it answers for all of the above
    app.add_middleware(Compress)  # outermost: the lane's answers are compressed too
    return app


def _figures(endpoint: Endpoint, store: Store, reload: ReloadState | None) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "version": store.version,
        "cache_hits": endpoint.cache.hits,
        "cache_misses": endpoint.cache.misses,
        "cache_entries": len(endpoint.cache),
        "cache_bytes": endpoint.cache.bytes,
    }
    stats = getattr(store, "stats", None)
    if stats is not None:
        figures.update(
            queries=stats.queries,
            timeouts=stats.timeouts,
            killed=stats.killed,
            overloaded=stats.overloaded,
            spawned=stats.spawned,
            workers_busy=stats.busy,
        )
        status = getattr(store, "status", None)
        if callable(status):
            figures["workers_alive"] = status()["alive"]
    if reload is not None:
        figures["reload_attempts"] = reload.attempts
        figures["reload_failing"] = 1 if reload.last_error else 0
    return figures
