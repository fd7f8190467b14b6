"""gzip for clients that accept it: SPARQL results and RDF shrink ten times or more.

`Compress`, the outermost layer, compresses a 200 answer of a textual type (RDF, SPARQL
results, HTML, JSON, text) of at least `MIN_BYTES` when the request's `Accept-Encoding` allows
gzip; it adds `Accept-Encoding` to `Vary` of every such answer, compressed or not, so that a
shared cache keeps the two apart. Every ETag sent to a client that accepts gzip is weak (`W/`):
a compressed answer's bytes are not the identity's, and a 304 or a small answer must carry the
tag the client has, whichever it got; `If-None-Match` is compared weakly anyway
(methods.unmodified), and nothing here takes a strong comparison (no If-Match, no Range).

Level 1, as web servers compress what they generate: on a 1.3 MB CSV and a 4.6 MB JSON result
of ours it takes 3.9 and 8.8 ms where level 6 takes 14 and 19 ms, for 26 and 35 % more bytes
(still 12 and 26 times fewer than sent plain). A body larger than `THREAD_BYTES` is compressed
in one of `THREADS` (zlib lets go of the GIL), so that the event loop goes on serving the
others; a repeated answer (same strong ETag) is compressed once (`Compressed`). HEAD (whose
headers are GET's but for the encoding), streamed answers (dumps: already gzip) and any other
status are not compressed.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_BYTES = 1400  # (about one TCP segment: less gains nothing)
THREADS = ThreadPoolExecutor(2, thread_name_prefix="saphire-gzip")
"""Its own threads, not the event loop's pool, which other waits may fill."""
THREAD_BYTES = 64 * 1024
LEVEL = 1
TEXTUAL = (
    *(b"text/", b"json", b"xml"),
    *(b"application/n-triples", b"application/n-quads", b"application/trig"),
)


def accepts_gzip(header: str) -> bool:
    """Whether an `Accept-Encoding` value allows gzip (q > 0, by name or by `*`)."""
    weights: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().lower().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            weights[name.strip()] = q
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0


def gzip(body: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)  # (31: the gzip format)
    return packer.compress(body) + packer.flush()


class Compressed:
    """The last compressed bodies by strong ETag, up to `max_bytes` of them."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[bytes, bytes] = OrderedDict()

    def get(self, etag: bytes) -> bytes | None:
        found = self._items.get(etag)
        if found is not None:
            self._items.move_to_end(etag)
        return found

    def put(self, etag: bytes, body: bytes) -> None:
        if len(body) > self.max_bytes or etag in self._items:
            return
        self._items[etag] = body
        self.bytes += len(body)
        while self.bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self.bytes -= len(dropped)


class Compress:
    """gzip for the answers of clients that accept it (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.compressed = Compressed()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = False
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                wanted = accepts_gzip(value.decode("latin-1"))
                break
        start: Message | None = None
        etag: bytes | None = None  # the answer's own, before it is made weak

        async def sending(message: Message) -> None:
            nonlocal start, etag
            if message["type"] == "http.response.start":
                message["headers"], etag, textual = _adjusted(
                    message.get("headers", []), wanted, message["status"] == 304
                )
                if textual and wanted and _compressible(scope, message):
                    start = message  # (sent with the first body, which decides)
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            head, start = start, None
            body = message.get("body", b"")
            if message.get("more_body") or len(body) < MIN_BYTES:
                await send(head)  # streamed, or too small to gain
                await send(message)
                return
            packed = await self._gzip(etag, body)
            await send(_compressed_start(head, packed))
            await send({"type": "http.response.body", "body": packed})

        await self.app(scope, receive, sending)

    async def _gzip(self, etag: bytes | None, body: bytes) -> bytes:
        """`body` compressed: the copy kept for its strong ETag, or done now (in a thread when
        large) and kept."""
        strong = etag if etag and not etag.startswith(b"W/") else None
        packed = self.compressed.get(strong) if strong else None
        if packed is None:
            if len(body) > THREAD_BYTES:
                packed = await asyncio.get_running_loop().run_in_executor(THREADS, gzip, body)
            else:
                packed = gzip(body)
            if strong:
                self.compressed.put(strong, packed)
        return packed


def _compressed_start(head: Message, packed: bytes) -> Message:
    headers = [(name, value) for name, value in head["headers"] if name != b"content-length"]
    headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode())]
    return {"type": "http.response.start", "status": head["status"], "headers": headers}


def _adjusted(
    headers: list[tuple[bytes, bytes]], wanted: bool, revalidated: bool
) -> tuple[list[tuple[bytes, bytes]], bytes | None, bool]:
    """An answer's headers with `Accept-Encoding` in `Vary` when it is textual or a 304 (whose
    `Vary` is its 200's), and its ETag weak when the client `wanted` gzip; the ETag as it was;
    whether it is textual. One pass: every answer comes through here."""
    etag = vary = None
    textual = False
    for i, (name, value) in enumerate(headers):
        if name == b"etag":
            etag = value
        elif name == b"content-type":
            kind = value.lower()
            textual = any(t in kind for t in TEXTUAL)
        elif name == b"vary":
            vary = i
    if not (textual or revalidated or (wanted and etag)):
        return headers, etag, textual
    headers = list(headers)
    if textual or revalidated:
        if vary is None:
            headers.append((b"vary", b"Accept-Encoding"))
        elif b"accept-encoding" not in headers[vary][1].lower() and headers[vary][1] != b"*":
            headers[vary] = (b"vary", headers[vary][1] + b", Accept-Encoding")
    if wanted and etag is not None and not etag.startswith(b"W/"):
        headers = [(k, b"W/" + v if k == b"etag" else v) for k, v in headers]
    return headers, etag, textual


def _header(message: Message, name: bytes) -> bytes | None:
    return next((v for k, v in message.get("headers", []) if k.lower() == name), None)


def _compressible(scope: Scope, message: Message) -> bool:
    """A 200 not encoded yet, but for HEAD (its headers as GET's otherwise: ETag, Vary)."""
    return (
        message["status"] == 200
        and scope["method"] != "HEAD"
        and _header(message, b"content-encoding") is None
    )
