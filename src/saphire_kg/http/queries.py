"""`/queries`: the catalogue of canned analyses, and one documented route per analysis.

`GET /queries` lists the catalogue; `GET /queries/{name}?param=…` runs one analysis. Each route
is registered from its `.rq` header, so its parameters are typed in the OpenAPI schema (type,
pattern, bounds, enum, default, example). A value that does not fit is a 422 naming the
parameter. The bound query then goes through the same path as `/sparql`: screening, content
negotiation (negotiate.RESULTS), the answer cache, ETag and `If-None-Match`, the workers and
their deadline.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..catalog import CannedQuery, Catalog
from ..config import ServerSettings
from ..endpoint import Endpoint, Prepared, QueryRequest
from ..errors import ParameterError
from ..negotiate import accept_of_formats
from ..query import bind_text, check, resolve
from ..store import Store
from .deps import FORMAT_OPENAPI, FORMAT_PARAMS, get_endpoint, get_settings
from .sparql import respond

RESULT_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The rows of the analysis, in the negotiated format.", "content": {m: {} for m in RESULT_TYPES}},
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    406: {"description": "No acceptable result format."},
    422: {"description": "A parameter value does not fit its declaration; the body names the parameter."},
    503: {"description": "Timeout, overloaded, or store unavailable; see Retry-After."},
}


def router(catalog: Catalog, store: Store) -> APIRouter:
    """The routes for `catalog`; enum parameters drawn from concept schemes are read from `store`."""
    catalog = resolve(catalog, store)
    api = APIRouter(tags=["Analyses"])

    @api.get("/queries", summary="The catalogue of canned analyses")
    def list_queries(request: Request) -> JSONResponse:
        base = str(request.url.replace(query="", fragment="")).rstrip("/")
        return JSONResponse(
            [{**q.describe(), "href": f"{base}/{q.name}"} for q in catalog],
            headers={"Cache-Control": "public, max-age=60"},
        )

    for query in catalog:
        api.add_api_route(
            f"/queries/{query.name}",
            _handler(query),
            methods=["GET"],
            name=f"query:{query.name}",
            summary=query.title,
            description=query.description,
            tags=["Analyses: " + query.folder],
            responses=_RESPONSES,
            openapi_extra={
                "parameters": [*(_openapi(p) for p in query.parameters), FORMAT_OPENAPI]
            },
        )
    return api


def _openapi(p: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": p.description,
        "schema": p.openapi_schema(),
    }
    if not p.required:  # an empty value is no value (what an HTML form sends for "any")
        entry["description"] = (p.description or "").rstrip(". ") + ". Empty: as if not given."
        entry["allowEmptyValue"] = True
        entry["schema"] = {"anyOf": [entry["schema"], {"type": "string", "maxLength": 0}]}
    if p.example is not None:
        entry["example"] = _example(p)
    return entry


def _example(p: Any) -> Any:
    value = p.example
    if p.type == "integer":
        return int(value)
    if p.type == "decimal":
        return float(value)
    if p.type == "boolean":
        return value.lower() in ("true", "1", "yes")
    return value


def _values(request: Request) -> dict[str, str]:
    """The analysis's parameters as given (not `format`, `output`: how to write the answer)."""
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in FORMAT_PARAMS:
            continue
        if name in values:
            raise ParameterError(name, "is given more than once", value)
        values[name] = value
    return values


def _handler(query: CannedQuery) -> Callable[..., Awaitable[Response]]:
    async def run_analysis(
        request: Request,
        endpoint: Annotated[Endpoint, Depends(get_endpoint)],
        settings: Annotated[ServerSettings, Depends(get_settings)],
    ) -> Response:
        started = time.perf_counter()
        values = _values(request)
        accept = request.headers.get("accept")
        formats = [v for name, v in request.query_params.multi_items() if name in FORMAT_PARAMS]
        sparql = query.sparql

        def prepare() -> Prepared:  # (checking a value may ask the store)
            bound = bind_text(sparql, check(endpoint.store, query, values))
            preferred = accept_of_formats(formats)
            return endpoint.prepare(QueryRequest(bound, accept=accept, preferred=preferred))

        prepared = await run_in_threadpool(prepare)
        return await respond(request, endpoint, settings, prepared, started)

    run_analysis.__name__ = "query_" + query.name.replace("/", "_").replace("-", "_")
    return run_analysis
