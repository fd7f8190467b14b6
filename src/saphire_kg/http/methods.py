"""HTTP's general rules on methods, list headers and conditions, for every route (RFC 9110).

- HEAD wherever GET is (9.1: "All general-purpose servers MUST support the methods GET and
  HEAD"): `HeadAsGet` lets a route that declares only GET answer HEAD, with the same headers
  and no body. Routes with their own HEAD (a dump: no file read) keep it.
- 405 names every method the path takes in `Allow` (15.5.6), not only those of the first
  route that matched the path: `allowed_methods`.
- A list header sent on several lines is one list (5.3): `join_repeated` makes each one line,
  so that a reader taking the first (`request.headers.get`) reads all of it.
- `If-None-Match` (13.1.2) is one function for every route, `unmodified`: weak comparison,
  lists, `*`, and 412 rather than 304 for a method other than GET and HEAD.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LIST_HEADERS = (b"accept", b"if-none-match")
"""The list headers this service reads."""


def join_repeated(scope: Scope) -> None:
    """Join the lines of each repeated list header of a request into one (in place)."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    seen = [name for name, _ in headers if name in LIST_HEADERS]
    if len(seen) == len(set(seen)):
        return  # each at most once: nothing to join (nearly every request)
    joined: dict[bytes, list[bytes]] = {}
    kept = []
    for name, value in headers:
        if name in LIST_HEADERS:
            if name not in joined:
                kept.append((name, b""))  # where the first line was
            joined.setdefault(name, []).append(value)
        else:
            kept.append((name, value))
    scope["headers"] = [
        (name, b", ".join(joined[name]) if name in joined else value) for name, value in kept
    ]


class HeadAsGet:
    """A HEAD request on a path whose routes take GET but not HEAD goes on as GET, and its
    answer without the body (the innermost layer: every other one sees the HEAD)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        taken = _methods_on(scope["app"], scope["path"])
        if taken is None or "HEAD" in taken or "GET" not in taken:
            await self.app(scope, receive, send)  # its own HEAD, a mount, or 404 / 405
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:
                scope["route"] = as_get["route"]  # (the metrics' label, read outside)


def unmodified(request: Request, etag: str | None, exists: bool = True) -> int | None:
    """The status that answers `request` instead of running it when its `If-None-Match` holds
    a representation with `etag` (None: one without an ETag): 304 for GET and HEAD, 412 for any
    other method; None when the request is to run. `*` matches only a representation known to
    `exist` (an answer still to compute may be an error instead)."""
    header = request.headers.get("if-none-match")
    if not header:
        return None
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    if ("*" in tags and exists) or (etag is not None and etag.removeprefix("W/") in tags):
        return 304 if request.method in ("GET", "HEAD") else 412
    return None


def allowed_methods(app: Any, path: str) -> list[str]:
    """The methods the routes of `app` take on `path` (HEAD wherever GET)."""
    methods = set(_methods_on(app, path) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _methods_on(app: Any, path: str) -> set[str] | None:
    """The methods the routes of `app` take on `path`; None when one of them takes any (a
    mount: the app it mounts decides)."""
    methods: set[str] = set()
    for pattern, taken in _routes(app):
        if pattern.match(path):
            if taken is None:
                return None
            methods |= taken
    return methods


def _routes(app: Any) -> list[tuple[re.Pattern[str], set[str] | None]]:
    """(path pattern, methods) of every route of `app`, in included routers too (once per app)."""
    found = getattr(app.state, "route_methods", None)
    if found is None:
        try:  # FastAPI that keeps included routers nested
            from fastapi.routing import iter_route_contexts

            pairs = [(c.path, c.methods) for c in iter_route_contexts(app.routes)]
        except ImportError:  # FastAPI that copies their routes into the app's
            pairs = [(getattr(r, "path", None), getattr(r, "methods", None)) for r in app.routes]
        found = [(compile_path(path)[0], methods) for path, methods in pairs if path is not None]
        app.state.route_methods = found
    return found
