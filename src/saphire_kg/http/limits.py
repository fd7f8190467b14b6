"""Request limits every route shares: URL length (414), body size (413), requests per client (429).

`RequestLimits` is an ASGI middleware in front of the routes (inside CORS, so a browser can read
its refusals). A URL past `max_url_bytes` is refused before anything parses it; so is a body whose
declared `Content-Length` is past `max_query_bytes`, and a body sent without one is counted as it
arrives and refused (413) the moment it passes. A client (its address, as uvicorn saw it through
any trusted proxy) may have `client_concurrency` requests running at once; one more is answered
429 with `Retry-After` at once, without queueing: queueing is what the worker pool's deadline does
for everyone. The service's own pages (`/health`, `/metrics`, `/static/`) are not counted.
"""

from __future__ import annotations

import re
from collections import Counter

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import ServerSettings
from ..errors import RequestTooLarge, TooManyRequests, URITooLong
from .errors import domain_error, error_response

UNCOUNTED = ("/health", "/metrics", "/static/")
RETRY_AFTER = 1  # seconds a refused client is asked to wait


class ClientSlots:
    """The requests each client address has running, held to `limit` (None: not counted).
    One per app, shared by `RequestLimits` and the cached-answer lane in front of it."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.running: Counter[str] = Counter()

    def take(self, client: str) -> bool:
        """A slot for one more request of `client`; False when it has `limit` running."""
        if self.limit is None:
            return True
        if self.running[client] >= self.limit:
            return False
        self.running[client] += 1
        return True

    def give_back(self, client: str) -> None:
        if self.limit is None:
            return
        self.running[client] -= 1
        if self.running[client] <= 0:
            del self.running[client]


def url_bytes(scope: Scope) -> int:
    """The length of the request's URL: path, `?` and query string, as sent."""
    path = scope.get("raw_path") or scope["path"].encode()
    return len(path) + len(scope.get("query_string", b"")) + 1


def client_of(scope: Scope) -> str:
    """The client's address, as uvicorn saw it through any trusted proxy."""
    return (scope.get("client") or ("unknown", 0))[0]


class RequestLimits:
    """The middleware; one instance per app, so its per-client counts are per process."""

    def __init__(self, app: ASGIApp, settings: ServerSettings, slots: ClientSlots) -> None:
        self.app = app
        self.settings = settings
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        s = self.settings
        if _CONTROL.search(scope["path"]):
            # Routing's `$` matches before a final newline: /id/region/BE2%0A would be BE2
            refused = "no resource has a control character in its path"
            response = error_response(Request(scope), 404, refused)
            await response(scope, receive, send)
            return
        if url_bytes(scope) > s.max_url_bytes:
            await self._refuse(scope, receive, send, URITooLong(s.max_url_bytes))
            return
        declared = _content_length(scope)
        if declared is not None and declared > s.max_query_bytes:
            await self._refuse(scope, receive, send, RequestTooLarge(s.max_query_bytes))
            return
        counted = not scope["path"].startswith(UNCOUNTED)
        client = client_of(scope)
        if counted and not self.slots.take(client):
            assert s.client_concurrency is not None
            await self._refuse(
                scope, receive, send, TooManyRequests(s.client_concurrency, RETRY_AFTER)
            )
            return
        try:
            await self.app(scope, _capped(receive, s.max_query_bytes), send)
        finally:
            if counted:
                self.slots.give_back(client)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        response = await domain_error(Request(scope), exc)
        if scope["method"] != "GET" and scope["method"] != "HEAD":
            response.headers["Connection"] = "close"  # the unread body is not worth reading
        await response(scope, receive, send)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive` that raises RequestTooLarge once more than `limit` body bytes have arrived."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise RequestTooLarge(limit)
        return message

    return wrapped
