"""`/dumps/…`: the whole dataset as gzipped N-Quads, TriG or Turtle, with the dataset's version.

The route names a dump from dumps.DUMPS, never a file: anything else is a 404 that lists the
dumps there are. The store layer (dumps.DumpFiles) writes and reads the files; this module only
answers, with an ETag of (dataset version, dump), `If-None-Match` → 304, HEAD, and
`Saphire-Dataset-Version`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..dumps import COMPRESSION, DUMPS, DumpFiles
from ..errors import StoreUnavailable
from .methods import unmodified

_RESPONSES: dict[int | str, dict] = {
    200: {"description": "The dump, gzip-compressed.", "content": {COMPRESSION: {}}},
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    404: {"description": "No dump by that name; the body lists the dumps."},
    503: {"description": "No store to dump, or it was reloaded meanwhile; see Retry-After."},
}


def router(dumps: DumpFiles | None) -> APIRouter:
    api = APIRouter(tags=["dumps"])

    @api.get("/dumps", summary="The dataset dumps (name, format, link)")
    def index(request: Request) -> JSONResponse:
        base = str(request.url.replace(query="", fragment="")).rstrip("/")
        return JSONResponse(
            [
                {
                    "name": d.name,
                    "media_type": d.media_type,
                    "compression": COMPRESSION,
                    "title": d.title,
                    "href": f"{base}/{d.name}",
                }
                for d in DUMPS
            ],
            headers={"Cache-Control": "public, max-age=60"},
        )

    @api.head("/dumps/{name}", include_in_schema=False)
    @api.get(
        "/dumps/{name}", summary="One dataset dump", response_class=Response, responses=_RESPONSES
    )
    async def dump(name: str, request: Request) -> Response:
        if dumps is None:
            raise StoreUnavailable("this server has no local store to dump (remote store mode)")
        found = await run_in_threadpool(dumps.get, name)
        headers = {
            "ETag": found.etag,
            "Cache-Control": "public, max-age=60",
            "Saphire-Dataset-Version": found.version,
            "Content-Disposition": f'attachment; filename="{found.format.name}"',
        }
        if unmodified(request, found.etag) is not None:
            return Response(status_code=304, headers=headers)
        headers["Content-Length"] = str(found.size)
        if request.method == "HEAD":
            return Response(status_code=200, headers=headers, media_type=COMPRESSION)
        return StreamingResponse(found.chunks(), headers=headers, media_type=COMPRESSION)

    return api
