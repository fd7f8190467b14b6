"""`/sparql`: the SPARQL 1.1 Query Protocol (read-only), and the service description at its URL.

GET, HEAD and POST (form or `application/sparql-query`) with `default-graph-uri` and
`named-graph-uri`. Answers carry an ETag (dataset version + query + dataset + format), are
revalidated with `If-None-Match` without evaluating anything, and say how long they took in
`Server-Timing`. A GET without a query describes the service: RDF by content negotiation, the
query page for a browser.

`QueryFastPath` answers GET and HEAD queries before FastAPI's routing and dependency solving
(about half a millisecond a request, as much as a cached answer costs otherwise) with the same
request parser, the same answer function and the same error handler as the routes; anything else
(POST, no query, an app whose dependencies a test overrides) goes on to the routes. Answers
are awaited on the event loop: a cached one at once, an evaluation by the worker pool's
`query_async` (a thread only for a remote store, or to join an identical request).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import ServerSettings
from ..endpoint import Endpoint, Prepared, QueryRequest
from ..errors import SaphireError
from ..negotiate import DESCRIPTIONS, HTML, JSON_LD, negotiate
from .deps import ProtocolRequest, get_endpoint, get_settings, protocol_request
from .errors import domain_error
from .page import query_page

router = APIRouter(tags=["SPARQL"])

_PARAMETERS = [
    {
        "name": "query",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "The SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE). Without it, GET "
        "returns the service description (or the query page for a browser).",
    },
    {
        "name": "default-graph-uri",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "style": "form",
        "explode": True,
        "description": "Graphs whose merge is the default graph "
        "(default: the union of all named graphs).",
    },
    {
        "name": "named-graph-uri",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "style": "form",
        "explode": True,
        "description": "The named graphs the query may use (default: all).",
    },
]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The complete result, in the negotiated format.",
        "content": {
            m: {}
            for m in (
                "application/sparql-results+json",
                "application/sparql-results+xml",
                "text/csv",
                "text/tab-separated-values",
                "text/turtle",
                "application/n-triples",
                "application/n-quads",
                "application/trig",
                "application/rdf+xml",
                "application/ld+json",
                "text/html",
            )
        },
    },
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    400: {"description": "Malformed request or query (syntax errors give line:column)."},
    403: {"description": "Update, or SERVICE to an endpoint that is not on the allow-list."},
    406: {"description": "No acceptable result format."},
    413: {"description": "Request body or query too large."},
    415: {"description": "POST body neither a form nor application/sparql-query."},
    503: {
        "description": "Timeout (the query was stopped), overloaded, or store unavailable; "
        "see Retry-After."
    },
    507: {"description": "The result is larger than the limit."},
}


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def _cache_headers(settings: ServerSettings, etag: str, version: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.max_age}",
        "Vary": "Accept",
        "Saphire-Dataset-Version": version,
    }


async def _answer(
    request: Request, endpoint: Endpoint, settings: ServerSettings, parsed: ProtocolRequest
) -> Response:
    if parsed.query is None:
        return await run_in_threadpool(_describe, request, endpoint, settings)
    return await _query(request, endpoint, settings, parsed.query)


async def _query(
    request: Request, endpoint: Endpoint, settings: ServerSettings, query: QueryRequest
) -> Response:
    started = time.perf_counter()
    prepared = endpoint.prepare(query)
    return await _respond(request, endpoint, settings, prepared, started)


async def _respond(
    request: Request,
    endpoint: Endpoint,
    settings: ServerSettings,
    prepared: Prepared,
    started: float,
) -> Response:
    """The answer to a prepared query (`started`: when reading the request began)."""
    prepare_ms = (time.perf_counter() - started) * 1000
    headers = _cache_headers(settings, prepared.etag, prepared.version)
    if _not_modified(request, prepared.etag):
        headers["Server-Timing"] = f"prepare;dur={prepare_ms:.2f}, cache;desc=revalidated"
        return Response(status_code=304, headers=headers)
    answer = endpoint.cached(prepared) or await endpoint.compute_async(prepared)
    headers["Server-Timing"] = f"prepare;dur={prepare_ms:.2f}, " + (
        "cache;desc=hit"
        if answer.cached
        else f"exec;dur={answer.seconds * 1000:.2f}, cache;desc=miss"
    )
    return Response(answer.body, media_type=answer.format.content_type, headers=headers)


def _describe(request: Request, endpoint: Endpoint, settings: ServerSettings) -> Response:
    fmt = negotiate(request.headers.get("accept"), DESCRIPTIONS)
    url = str(request.url.replace(query="", fragment=""))
    if fmt is HTML:
        dataset = endpoint.dataset()
        jsonld, _ = endpoint.service_description(url, JSON_LD)
        page = query_page(url, dataset, endpoint.limits, jsonld.decode("utf-8"))
        return Response(
            page,
            media_type=HTML.content_type,
            headers={"Vary": "Accept", "Cache-Control": "no-cache"},
        )
    body, etag = endpoint.service_description(url, fmt)
    headers = _cache_headers(settings, etag, endpoint.store.version)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=fmt.content_type, headers=headers)


@router.head("/sparql", include_in_schema=False)
@router.get(
    "/sparql",
    summary="SPARQL query (GET), or the service description",
    responses=_RESPONSES,
    openapi_extra={"parameters": _PARAMETERS},
)
async def sparql_get(
    request: Request,
    parsed: Annotated[ProtocolRequest, Depends(protocol_request)],
    endpoint: Annotated[Endpoint, Depends(get_endpoint)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> Response:
    return await _answer(request, endpoint, settings, parsed)


@router.post(
    "/sparql",
    summary="SPARQL query (POST form or application/sparql-query)",
    responses=_RESPONSES,
    openapi_extra={
        "parameters": _PARAMETERS[1:],
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": {"type": "string"}},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["query"],
                    }
                },
            },
        },
    },
)
async def sparql_post(
    request: Request,
    parsed: Annotated[ProtocolRequest, Depends(protocol_request)],
    endpoint: Annotated[Endpoint, Depends(get_endpoint)],
    settings: Annotated[ServerSettings, Depends(get_settings)],
) -> Response:
    return await _answer(request, endpoint, settings, parsed)


class QueryFastPath:
    """GET/HEAD `/sparql?query=…` without FastAPI's routing and dependencies (module doc).

    A check every query must pass belongs in `protocol_request` or in a middleware, which both
    paths go through, not in a dependency of the routes alone.

    A GET's query string and Accept header decide its prepared query entirely (the protocol
    parse, the screening, the format, the ETag: pure functions of them, the settings and the
    dataset version), so the last `RECENT` prepared ones are kept by those two and reused while
    the version holds: a repeated query skips parsing, which was half of a cached answer's cost.
    Only queries that prepared without error are kept.
    """

    RECENT = 512

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._recent: OrderedDict[tuple[bytes, bytes | None], Prepared] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope.get("app")
        if (
            scope["type"] != "http"
            or scope["path"] != "/sparql"
            or scope["method"] not in ("GET", "HEAD")
            or not scope.get("query_string")
            or app is None
            or app.dependency_overrides
        ):
            await self.app(scope, receive, send)
            return
        scope["route"] = _GET_ROUTE  # what routing would have set (metrics label by route)
        started = time.perf_counter()
        request = Request(scope, receive)
        settings: ServerSettings = app.state.settings
        endpoint: Endpoint = app.state.endpoint
        key = (scope["query_string"], _accept(scope))
        try:
            prepared = self._recent.get(key)
            if prepared is None or prepared.version != endpoint.store.version:
                parsed = await protocol_request(request, settings)
                if parsed.query is None:
                    await self.app(scope, receive, send)
                    return
                prepared = endpoint.prepare(parsed.query)
                self._remember(key, prepared)
            response = await _respond(request, endpoint, settings, prepared, started)
        except SaphireError as exc:
            response = await domain_error(request, exc)
        await response(scope, receive, send)

    def _remember(self, key: tuple[bytes, bytes | None], prepared: Prepared) -> None:
        self._recent[key] = prepared
        if len(self._recent) > self.RECENT:
            self._recent.popitem(last=False)


def _accept(scope: Scope) -> bytes | None:
    """The (first) Accept header, as `request.headers.get` reads it."""
    for name, value in scope["headers"]:
        if name == b"accept":
            return value
    return None


_GET_ROUTE = next(
    r
    for r in router.routes
    if getattr(r, "path", None) == "/sparql" and "GET" in getattr(r, "methods", ())
)
