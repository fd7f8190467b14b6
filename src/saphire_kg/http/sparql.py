"""`/sparql`: the SPARQL 1.1 Query Protocol (read-only), and the service description at its URL.

GET, HEAD and POST (form or `application/sparql-query`) with `default-graph-uri` and
`named-graph-uri`. Answers carry an ETag (dataset version + query + dataset + format), are
revalidated with `If-None-Match` without evaluating anything (but `*`, which holds only for an
answer that exists), and say how long they took in `Server-Timing`. A volatile query's answer
(NOW(), RAND(), UUID(), STRUUID(), or a SERVICE call: `screen.volatile`) is evaluated every
time and sent with `Cache-Control: no-store` and no ETag. A GET without a query
describes the service: RDF by content negotiation, the query page for a browser.

`QueryFastPath` answers GET and HEAD queries before FastAPI's routing and dependency solving
(about half a millisecond a request, as much as a cached answer costs otherwise) with the same
request parser, the same answer function and the same error handler as the routes; anything else
(POST, no query, an app whose dependencies a test overrides) goes on to the routes. Answers
are awaited on the event loop: a cached one at once, an evaluation by the worker pool's
`query_async` (a thread only for a remote store, or to join an identical request).

`CachedAnswerLane`, the outermost layer, answers a GET that has been answered before and whose
answer is still cached, before any other layer runs: the same status, headers and body, and the
same metrics and access-log line, for half the work (a repeated query from a script or a
page costs little more than the HTTP server itself). It steps aside for anything another layer
would change: an `Origin` (CORS), `If-None-Match` (304), a request body, an over-long URL, a
client at its concurrency limit (429); while it sends, the answer holds one of the client's
slots like any request.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import ServerSettings
from ..endpoint import Answer, Endpoint, Prepared, QueryRequest
from ..errors import SaphireError
from ..negotiate import DESCRIPTIONS, HTML, JSON_LD, negotiate
from ..screen import might_read_slowly
from .deps import FORMAT_OPENAPI, ProtocolRequest, get_endpoint, get_settings, protocol_request
from .errors import domain_error, error_response
from .limits import ClientSlots, client_of, url_bytes
from .methods import join_repeated, unmodified
from .observe import record
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
    FORMAT_OPENAPI,
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
    prepared = await _prepare(endpoint, query)
    return await respond(request, endpoint, settings, prepared, started)


async def _prepare(endpoint: Endpoint, query: QueryRequest) -> Prepared:
    """`endpoint.prepare`, in a thread when screening may take long (`might_read_slowly`): one
    query must not hold up the others on the event loop."""
    if might_read_slowly(query.query):
        return await run_in_threadpool(endpoint.prepare, query)
    return endpoint.prepare(query)


async def respond(
    request: Request,
    endpoint: Endpoint,
    settings: ServerSettings,
    prepared: Prepared,
    started: float,
) -> Response:
    """The answer to a prepared query (`started`: when reading the request began)."""
    prepare_ms = (time.perf_counter() - started) * 1000
    etag = None if prepared.screened.volatile else prepared.etag  # (the next answer may differ)
    if etag is None:
        headers = {"Cache-Control": "no-store", "Vary": "Accept"}
        headers["Saphire-Dataset-Version"] = prepared.version
    else:
        headers = _cache_headers(settings, etag, prepared.version)
    status = unmodified(request, etag, exists=False)
    if status is not None:
        headers["Server-Timing"] = f"prepare;dur={prepare_ms:.2f}, cache;desc=revalidated"
        return _unmodified_response(request, status, headers)
    answer = endpoint.cached(prepared) or await _computed_unless_gone(request, endpoint, prepared)
    if answer is None:
        return Response(status_code=CLIENT_GONE)  # (sent to nobody; the access log has it)
    headers["Server-Timing"] = f"prepare;dur={prepare_ms:.2f}, " + (
        "cache;desc=hit"
        if answer.cached
        else f"exec;dur={answer.seconds * 1000:.2f}, cache;desc=miss"
    )
    status = unmodified(request, etag)  # `*`: the answer exists
    if status is not None:
        return _unmodified_response(request, status, headers)
    return Response(answer.body, media_type=answer.format.content_type, headers=headers)



WATCH_AFTER_SECONDS = 0.02
"""How long an evaluation runs before its client's connection is watched: if the client goes
away, the evaluation is cancelled (and its worker killed). A quicker one costs no watcher."""
CLIENT_GONE = 499  # (nginx's "client closed request": what the access log and metrics show)


async def _computed_unless_gone(
    request: Request, endpoint: Endpoint, prepared: Prepared
) -> Answer | None:
    """The evaluated answer; None when the client disconnected first (the evaluation is then
    cancelled: a query nobody waits for does not keep a worker until its deadline)."""
    loop = asyncio.get_running_loop()
    this = asyncio.current_task()
    gone = False

    async def watch() -> None:
        nonlocal gone
        message = await request.receive()
        while message["type"] == "http.request" and message.get("more_body"):
            message = await request.receive()  # the rest of a body nobody read
        if message["type"] == "http.request":
            message = await request.receive()  # after the body: blocks until the client goes
        if message["type"] == "http.disconnect" and this is not None:
            gone = True
            this.cancel()

    watcher: list[asyncio.Task] = []
    timer = loop.call_later(WATCH_AFTER_SECONDS, lambda: watcher.append(loop.create_task(watch())))
    try:
        return await endpoint.compute_async(prepared)
    except asyncio.CancelledError:
        if not gone or this is None or this.cancelling() > 1:
            raise  # (also cancelled otherwise: the server is stopping)
        this.uncancel()
        return None
    finally:
        timer.cancel()
        for task in watcher:
            task.cancel()


def _unmodified_response(request: Request, status: int, headers: dict[str, str]) -> Response:
    """304, or 412 (with a body that says why) for a POST whose If-None-Match holds."""
    if status == 304:
        return Response(status_code=304, headers=headers)
    response = error_response(
        request,
        412,
        "If-None-Match holds (the answer is the one the client has); a POST is not answered "
        "with 304: revalidate with GET",
    )
    response.headers.update(headers)
    return response


def _describe(request: Request, endpoint: Endpoint, settings: ServerSettings) -> Response:
    fmt = negotiate(request.headers.get("accept"), DESCRIPTIONS)
    url = str(request.url.replace(query="", fragment=""))
    if fmt is HTML:
        dataset = endpoint.dataset()
        jsonld, _ = endpoint.service_description(url, JSON_LD)
        page = query_page(url, dataset, endpoint.limits, jsonld.decode("utf-8"))
        if unmodified(request, None) is not None:
            return Response(status_code=304, headers={"Vary": "Accept", "Cache-Control": "no-cache"})
        return Response(
            page,
            media_type=HTML.content_type,
            headers={"Vary": "Accept", "Cache-Control": "no-cache"},
        )
    body, etag = endpoint.service_description(url, fmt)
    headers = _cache_headers(settings, etag, endpoint.store.version)
    if unmodified(request, etag) is not None:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=fmt.content_type, headers=headers)


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
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
        recent: RecentQueries = app.state.recent_queries
        key = (scope["query_string"], _accept(scope))
        try:
            found = recent.get(key, endpoint.store.version)
            if found is not None:
                prepared = found.prepared
            else:
                parsed = await protocol_request(request, settings)
                if parsed.query is None:
                    await self.app(scope, receive, send)
                    return
                prepared = await _prepare(endpoint, parsed.query)
                recent.put(key, prepared)
            response = await respond(request, endpoint, settings, prepared, started)
        except SaphireError as exc:
            response = await domain_error(request, exc)
        await response(scope, receive, send)


@dataclass
class _Recent:
    prepared: Prepared
    # the headers the whole stack sent with its 200 answer, but Content-Length and Server-Timing
    headers: list[tuple[bytes, bytes]] | None = None


class RecentQueries:
    """The last `size` GET queries prepared without error, by query string and Accept header.

    Those two decide a GET's prepared query entirely (the protocol parse, the screening, the
    format, the ETag: pure functions of them, the settings and the dataset version), so a
    repeated query skips parsing, which was half of a cached answer's cost; an entry holds
    while the dataset version does. Once answered, an entry also keeps the headers that went
    with its answer, for `CachedAnswerLane` to send again.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[tuple[bytes, bytes | None], _Recent] = OrderedDict()

    def get(self, key: tuple[bytes, bytes | None], version: str) -> _Recent | None:
        found = self._items.get(key)
        return found if found is not None and found.prepared.version == version else None

    def put(self, key: tuple[bytes, bytes | None], prepared: Prepared) -> None:
        self._items[key] = _Recent(prepared)
        if len(self._items) > self.size:
            self._items.popitem(last=False)

    def answered(self, key: tuple[bytes, bytes | None], headers: list[tuple[bytes, bytes]]) -> None:
        """The 200 answer to `key` went out with `headers` (as the client got them)."""
        found = self._items.get(key)
        if found is None or found.headers is not None:
            return
        version = dict(headers).get(b"saphire-dataset-version", b"").decode("latin-1")
        if found.prepared.version == version:
            found.headers = [(k, v) for k, v in headers if k not in _PER_ANSWER]


class CachedAnswerLane:
    """A repeated GET whose answer is cached, answered before every other layer (module doc).

    It sends the headers the whole stack sent the first time (every layer's, as they were: it
    knows none of their rules), with this answer's length and timing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            join_repeated(scope)  # (the first layer any request meets)
        app = scope.get("app")
        key = _lane_key(scope, app)
        if key is not None:
            if await self._answered(app, scope, send, key):
                return
            send = _noting(app.state.recent_queries, key, send)
        await self.app(scope, receive, send)

    async def _answered(
        self, app: Any, scope: Scope, send: Send, key: tuple[bytes, bytes | None]
    ) -> bool:
        started = time.perf_counter()
        endpoint: Endpoint = app.state.endpoint
        found = app.state.recent_queries.get(key, endpoint.store.version)
        if found is None or found.headers is None:
            return False
        body = endpoint.cache.get(found.prepared.key, count_miss=False)
        if body is None:
            return False
        slots: ClientSlots = app.state.client_slots
        client = client_of(scope)
        if not slots.take(client):
            return False  # RequestLimits answers 429
        scope["route"] = _GET_ROUTE
        elapsed = time.perf_counter() - started
        headers = [
            *found.headers,
            (b"content-length", str(len(body)).encode()),
            (b"server-timing", f"cache;desc=hit, total;dur={elapsed * 1000:.2f}".encode()),
        ]
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:
            slots.give_back(client)
            record(app.state.metrics, scope, 200, len(body), "hit", started, elapsed)
        return True


def _lane_key(scope: Scope, app: Any) -> tuple[bytes, bytes | None] | None:
    """The RecentQueries key of a GET the lane may answer; None for anything another layer
    would act on: CORS (`Origin`), revalidation, a body, an over-long URL (414), or an app
    whose dependencies a test overrides."""
    if (
        scope["type"] != "http"
        or scope["method"] != "GET"
        or scope["path"] != "/sparql"
        or not scope.get("query_string")
        or app is None
        or app.dependency_overrides
    ):
        return None
    if any(name in _OTHER_LAYERS for name, _ in scope["headers"]):
        return None
    if url_bytes(scope) > app.state.settings.max_url_bytes:
        return None
    return scope["query_string"], _accept(scope)


def _noting(recent: RecentQueries, key: tuple[bytes, bytes | None], send: Send) -> Send:
    """`send`, noting the headers of a 200 answer for the lane."""

    async def noting(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            recent.answered(key, list(message.get("headers", [])))
        await send(message)

    return noting


_OTHER_LAYERS = (b"origin", b"if-none-match", b"content-length", b"transfer-encoding")
"""Request headers that another layer acts on (CORS, revalidation, RequestLimits' body cap)."""
_PER_ANSWER = (b"content-length", b"server-timing")


def _accept(scope: Scope) -> bytes | None:
    """The Accept header, as `request.headers.get` reads it (its lines joined: `join_repeated`)."""
    for name, value in scope["headers"]:
        if name == b"accept":
            return value
    return None


_GET_ROUTE = next(
    r
    for r in router.routes
    if getattr(r, "path", None) == "/sparql" and "GET" in getattr(r, "methods", ())
)
