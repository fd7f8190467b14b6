"""The dependencies routes share: settings, the endpoint, the reload state, the protocol request.

They are `async def` because none of them blocks: FastAPI would run a plain `def` dependency in
the threadpool, a hop per dependency per request. The blocking work is in the routes (`def`).

`get_settings` is the one place a route gets its settings from, so a test can override it
(`app.dependency_overrides[get_settings] = …`) and the endpoint follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request

from ..config import ServerSettings
from ..endpoint import Endpoint, QueryRequest
from ..errors import ProtocolError, RequestTooLarge, UnsupportedMediaType, UpdateRefused
from ..negotiate import accept_of_formats
from ..reload import ReloadState

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")
FORMAT_PARAMS = ("format", "output")  # (negotiate.accept_of_formats)
FORMAT_OPENAPI = {
    "name": "format",
    "in": "query",
    "required": False,
    "allowEmptyValue": True,  # (passed over, as any value that names no format)
    "schema": {"type": "string"},
    "description": "Overrides Accept (also as `output`): json, xml, csv, tsv, turtle, "
    "n-triples, n-quads, trig, rdf/xml, json-ld, or a media type.",
}


async def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


async def get_endpoint(
    request: Request, settings: Annotated[ServerSettings, Depends(get_settings)]
) -> Endpoint:
    endpoint: Endpoint = request.app.state.endpoint
    return endpoint if endpoint.settings is settings else endpoint.configured(settings)


async def get_reload_state(request: Request) -> ReloadState | None:
    return getattr(request.app.state, "reload", None)


@dataclass(frozen=True)
class ProtocolRequest:
    """What a /sparql request asks: a query (None: describe the service) and how to answer it."""

    query: QueryRequest | None


def _pairs(raw: bytes | str, where: str) -> list[tuple[str, str]]:
    text = raw.decode("ascii", errors="strict") if isinstance(raw, bytes) else raw
    try:
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the {where} is not valid UTF-8 after percent-decoding") from exc


def _media_type(header: str | None) -> tuple[str | None, str | None]:
    """Content-Type's media type and charset (lower-case), None when absent."""
    if not header:
        return None, None
    fields = [f.strip() for f in header.split(";")]
    charset = None
    for param in fields[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return fields[0].lower(), charset


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _read_body(
    body: bytes, media_type: str | None, charset: str | None, content_type: str | None
) -> tuple[list[tuple[str, str]], str | None]:
    """A query POST's body: the form's parameters, or the query sent directly."""
    if media_type not in (FORM, SPARQL_QUERY):
        raise UnsupportedMediaType(content_type)
    if charset not in (None, "utf-8", "utf8"):
        raise ProtocolError(f"a SPARQL request body must be UTF-8, not {charset}")
    if media_type == FORM:
        try:
            return _pairs(body, "form body"), None
        except UnicodeDecodeError as exc:
            raise ProtocolError("the form body is not valid percent-encoded UTF-8") from exc
    try:
        return [], body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("the query body is not valid UTF-8") from exc


async def protocol_request(
    request: Request, settings: Annotated[ServerSettings, Depends(get_settings)]
) -> ProtocolRequest:
    """Read a SPARQL 1.1 Protocol query request (GET, POST form, POST direct), strictly.

    Exactly one `query`; `update` anywhere is refused (read-only); a POST body must be a form or
    `application/sparql-query` in UTF-8. A POST with no body and the query (or an update, which
    is refused) in its URL is read as a GET, whatever its Content-Type says: Blazegraph calls a
    SERVICE so, and rdflib-endpoint accepts it; there is no body for the type to describe.
    A `format` (or `output`) parameter overrides `Accept`, as WDQS, Virtuoso and Fuseki let it:
    a link can name its format (`format=csv`). Where it names no format, or none the query's
    form can be written in, the Accept header decides (SPARQLWrapper sends `format=turtle` with
    `Accept: */*` for a SELECT).
    """
    try:
        url_params = _pairs(request.url.query, "query string")
    except UnicodeEncodeError as exc:
        raise ProtocolError("the query string is not valid percent-encoded UTF-8") from exc
    params = list(url_params)
    direct: str | None = None
    if request.method == "POST":
        media_type, charset = _media_type(request.headers.get("content-type"))
        body = await _body(request, settings.max_query_bytes)
        if media_type == SPARQL_UPDATE:
            raise UpdateRefused()
        if body or not any(name in ("query", "update") for name, _ in url_params):  # (doc)
            content_type = request.headers.get("content-type")
            form, direct = _read_body(body, media_type, charset, content_type)
            params += form
    if any(name in ("update", "using-graph-uri", "using-named-graph-uri") for name, _ in params):
        raise UpdateRefused()
    queries = [value for name, value in params if name == "query"]
    if direct is not None:
        queries.append(direct)
    if len(queries) > 1:
        raise ProtocolError(f"a request takes exactly one query; this one has {len(queries)}")
    if not queries:
        if request.method == "POST":
            raise ProtocolError("a POST to /sparql needs a query (form field `query`, or the body)")
        return ProtocolRequest(None)
    text = queries[0]
    if len(text.encode("utf-8")) > settings.max_query_bytes:
        raise RequestTooLarge(settings.max_query_bytes)
    graphs = {name: tuple(v for n, v in params if n == name) for name in DATASET_PARAMS}
    given = any(graphs.values())
    return ProtocolRequest(
        QueryRequest(
            query=text,
            default_graphs=graphs["default-graph-uri"] if given else None,
            named_graphs=graphs["named-graph-uri"] if given else None,
            accept=request.headers.get("accept"),
            preferred=accept_of_formats([v for name, v in params if name in FORMAT_PARAMS]),
        )
    )
