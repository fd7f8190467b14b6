"""http.limits in process: 414 long URL, 413 large body (declared or streamed), 429 per client."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from saphire_kg.config import ServerSettings
from saphire_kg.http import errors
from saphire_kg.http.limits import ClientSlots, RequestLimits

SETTINGS = ServerSettings(max_url_bytes=200, max_query_bytes=1000, client_concurrency=2)


def _app(gate: asyncio.Event) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/slow")
    async def slow() -> PlainTextResponse:
        await gate.wait()
        return PlainTextResponse("done")

    @app.get("/health")
    async def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.post("/echo")
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app.add_middleware(
        RequestLimits, settings=SETTINGS, slots=ClientSlots(SETTINGS.client_concurrency)
    )
    return app


def _client(app: FastAPI, client: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(client, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def _run(coro):  # noqa: ANN001, ANN202
    return asyncio.run(coro)


def test_a_long_url_is_414_and_says_to_post() -> None:
    async def go() -> httpx.Response:
        async with _client(_app(asyncio.Event())) as c:
            return await c.get("/health", params={"q": "x" * 300})

    r = _run(go())
    assert r.status_code == 414 and "POST" in r.text


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
def test_a_large_body_is_413(streamed: bool) -> None:
    body = b"x" * 5000

    async def chunks():  # noqa: ANN202 — no Content-Length: the middleware counts as it arrives
        for i in range(0, len(body), 500):
            yield body[i : i + 500]

    async def go() -> httpx.Response:
        async with _client(_app(asyncio.Event())) as c:
            return await c.post("/echo", content=chunks() if streamed else body)

    r = _run(go())
    assert r.status_code == 413 and "1000 bytes" in r.text


def test_a_small_body_passes() -> None:
    async def go() -> httpx.Response:
        async with _client(_app(asyncio.Event())) as c:
            return await c.post("/echo", content=b"y" * 999)

    r = _run(go())
    assert (r.status_code, r.text) == (200, "999")


def test_one_request_past_the_client_limit_is_429_with_retry_after() -> None:
    async def go() -> tuple[
        list[int], httpx.Response, httpx.Response, httpx.Response, httpx.Response
    ]:
        gate = asyncio.Event()
        app = _app(gate)
        async with _client(app) as c, _client(app, "10.0.0.2") as other:
            running = [asyncio.create_task(c.get("/slow")) for _ in range(2)]
            while not _running(app, "10.0.0.1", 2):
                await asyncio.sleep(0.01)
            refused = await c.get("/slow")
            health = await c.get("/health")  # not counted
            other_task = asyncio.create_task(other.get("/slow"))  # another client is not affected
            gate.set()
            done = [r.status_code for r in await asyncio.gather(*running)]
            again = await c.get("/slow")  # the counts were released
            return done, refused, health, await other_task, again

    done, refused, health, other, again = _run(go())
    assert done == [200, 200]
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "2 requests running" in refused.text
    assert (health.status_code, other.status_code, again.status_code) == (200, 200, 200)


def _running(app: FastAPI, client: str, n: int) -> bool:
    stack = app.middleware_stack
    while stack is not None and not isinstance(stack, RequestLimits):
        stack = getattr(stack, "app", None)
    return stack is not None and stack.slots.running[client] >= n
