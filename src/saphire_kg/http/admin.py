"""`/admin/…`: reload and cache purge, only with the admin token; absent token, no admin routes.

The token comes from the environment (`SAPHIRE_ADMIN_TOKEN`, read by config) and is compared in
constant time with the `Authorization: Bearer …` a request sends; a missing or wrong one is a
401. Without a token configured the routes are not registered at all, so everything the server
answers is read-only. A reload builds in a child process and swaps the store only when the build
succeeds (reload.py); a failed one keeps serving the previous graph and says why (409).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..dumps import DumpFiles
from ..endpoint import Endpoint
from ..errors import Unauthorized
from ..reload import Reloader
from .deps import get_endpoint

_bearer = HTTPBearer(auto_error=False, description="The token of SAPHIRE_ADMIN_TOKEN")
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No admin token, or not the right one."}
}


def router(token: str, reloader: Reloader | None, dumps: DumpFiles | None) -> APIRouter:
    """The admin routes, guarded by `token` (never empty)."""
    assert token
    expected = token.encode("utf-8")

    def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        given = credentials.credentials.encode("utf-8") if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise Unauthorized()

    api = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(authorised)])

    @api.post(
        "/reload",
        summary="Rebuild from the curated files and swap the new store in",
        responses={
            **_RESPONSES,
            202: {"description": "A rebuild is running already; another one follows it."},
            409: {
                "description": "The rebuild failed (parse error, violation, inconsistency): "
                "still serving the previous graph; the body says why."
            },
            501: {"description": "This server was started without a reloader."},
        },
    )
    def reload(request: Request) -> JSONResponse:
        if reloader is None:
            return JSONResponse({"detail": "this server cannot reload"}, status_code=501)
        if reloader.state.running:
            reloader.request()
            return JSONResponse(
                {"queued": True, "reload": reloader.state.as_dict()}, status_code=202
            )
        ok = reloader.rebuild()
        state = reloader.state.as_dict()
        endpoint: Endpoint = request.app.state.endpoint
        body = {"reloaded": ok, "version": endpoint.store.version, "reload": state}
        if not ok:
            body["detail"] = state["last_error"] or "the rebuild did not complete"
        return JSONResponse(
            body, status_code=200 if ok else 409, headers={"Cache-Control": "no-store"}
        )

    @api.post(
        "/cache/purge", summary="Drop every cached answer and written dump", responses=_RESPONSES
    )
    def purge(endpoint: Annotated[Endpoint, Depends(get_endpoint)]) -> JSONResponse:
        answers = endpoint.cache.clear()
        files = dumps.purge() if dumps is not None else 0
        return JSONResponse(
            {"answers_dropped": answers, "dumps_dropped": files},
            headers={"Cache-Control": "no-store"},
        )

    return api
