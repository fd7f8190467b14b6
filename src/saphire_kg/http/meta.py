"""The service's own pages: `/health`, `/metrics` (Prometheus), `/.well-known/void` (VoID/DCAT)
and `/docs`, the HTTP API in Swagger UI, whose files this service serves (`/static/swagger-ui`)."""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..endpoint import Endpoint
from ..reload import ReloadState
from .deps import get_endpoint, get_reload_state
from .methods import unmodified

router = APIRouter(tags=["service"])


def _software_version() -> str:
    try:
        return package_version("saphire-kg")
    except PackageNotFoundError:
        return "unknown"


SWAGGER_UI = "/static/swagger-ui"


@router.get("/docs", include_in_schema=False)
def api_docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="saphire-kg: the HTTP API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
    )


@router.get("/health", summary="Whether the store answers, the dataset version, the last reload")
def health(
    request: Request,
    endpoint: Annotated[Endpoint, Depends(get_endpoint)],
    reload: Annotated[ReloadState | None, Depends(get_reload_state)],
) -> JSONResponse:
    status = endpoint.health()
    body = {
        "status": "ok" if status["store"] == "ok" else "unavailable",
        "software": _software_version(),
        "dataset_version": status.pop("version"),
        "uptime_s": round(time.monotonic() - request.app.state.started, 1),
        **status,
        "reload": reload.as_dict() if reload is not None else None,
    }
    if reload is not None and reload.last_error:
        body["status"] = "degraded" if body["status"] == "ok" else body["status"]
    code = 200 if body["status"] != "unavailable" else 503
    return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )


@router.get(
    "/.well-known/void",
    summary="The VoID/DCAT description of the dataset (RDF by content negotiation)",
    response_class=Response,
)
def void(request: Request, endpoint: Annotated[Endpoint, Depends(get_endpoint)]) -> Response:
    answer = endpoint.void(request.headers.get("accept"))
    headers = {
        "ETag": answer.etag,
        "Vary": "Accept",
        "Cache-Control": f"public, max-age={endpoint.settings.max_age}",
    }
    if unmodified(request, answer.etag) is not None:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=answer.format.content_type, headers=headers)
