"""What the server tells its operators: Prometheus metrics and one JSON access-log line per request.

A plain ASGI middleware (no per-request task) times each request, counts it by route and
status, adds the total to `Server-Timing`, and logs `{"method", "path", "status", "ms", ...}`
to the `saphire_kg.access` logger. Store, worker and cache figures are read at scrape time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("saphire_kg.access")

_COMPACT = json.JSONEncoder(separators=(",", ":"))
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """The registry of one app (not the process-global one, so that tests can build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "saphire_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "saphire_http_request_seconds",
            "Time to the response's first byte, by route",
            ["route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def count(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request answered: counted by route, method and status, timed by route."""
        children = self._children.get((route, method, status))
        if children is None:  # prometheus_client's labels() is a lookup under a lock: keep them
            children = self._children[(route, method, status)] = (
                self.requests.labels(route, method, str(status)),
                self.seconds.labels(route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def watch(self, read: Callable[[], dict[str, Any]]) -> None:
        """Also expose the figures `read()` returns at scrape time (store, workers, cache)."""
        self.registry.register(_Figures(read))


class _Figures:
    def __init__(self, read: Callable[[], dict[str, Any]]) -> None:
        self.read = read

    def collect(self):  # noqa: ANN201 — prometheus_client's collector protocol
        figures = self.read()
        info = GaugeMetricFamily(
            "saphire_dataset_info", "The dataset version served", labels=["version"]
        )
        info.add_metric([figures.get("version", "")], 1)
        yield info
        for name, help_text in (
            ("cache_hits", "Answers served from the in-process cache"),
            ("cache_misses", "Answers the store had to compute"),
            ("queries", "Queries sent to the worker pool"),
            ("timeouts", "Queries stopped at the deadline"),
            ("killed", "Worker processes killed (deadline or failure)"),
            ("overloaded", "Queries refused because every worker stayed busy"),
            ("spawned", "Worker processes started"),
            ("reload_attempts", "Rebuild attempts"),
        ):
            if name in figures:
                c = CounterMetricFamily(f"saphire_{name}", help_text)
                c.add_metric([], figures[name])
                yield c
        for name, help_text in (
            ("cache_entries", "Answers in the cache"),
            ("cache_bytes", "Bytes of answers in the cache"),
            ("workers_busy", "Worker processes running a query"),
            ("workers_alive", "Worker processes alive"),
            ("reload_failing", "1 when the last rebuild failed (the previous graph is served)"),
        ):
            if name in figures:
                g = GaugeMetricFamily(f"saphire_{name}", help_text)
                g.add_metric([], figures[name])
                yield g


class ObserveMiddleware:
    """Times, counts and logs every HTTP request; adds `total` to Server-Timing."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "bytes": 0, "cache": None}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                timing = [i for i, (k, _) in enumerate(headers) if k.lower() == b"server-timing"]
                total = f"total;dur={elapsed:.2f}".encode()
                if timing:
                    i = timing[0]
                    value = headers[i][1]
                    headers[i] = (b"server-timing", value + b", " + total)
                    state["cache"] = (
                        "hit"
                        if b"cache;desc=hit" in value
                        else ("revalidated" if b"revalidated" in value else "miss")
                    )
                else:
                    headers.append((b"server-timing", total))
                message["headers"] = headers
                state["ttfb"] = elapsed / 1000
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            record(
                self.metrics,
                scope,
                state["status"],
                state["bytes"],
                state["cache"],
                started,
                state.get("ttfb"),
            )


def record(
    metrics: Metrics,
    scope: Scope,
    status: int,
    sent: int,
    cache: str | None,
    started: float,
    ttfb: float | None,
) -> None:
    """Count, time and log one answered request (`started`: its `perf_counter` at arrival;
    `ttfb`: seconds to the response's start, if it started)."""
    route = scope.get("route")
    label = getattr(route, "path", None) or "unmatched"
    seconds = ttfb if ttfb is not None else time.perf_counter() - started
    metrics.count(label, scope["method"], status, seconds)
    if access_log.isEnabledFor(logging.INFO):
        client = scope.get("client")
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "method": scope["method"],
            "path": _cut(scope["path"], LOGGED_PATH_CHARS),
            "query_bytes": len(scope.get("query_string", b"")),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 2),
            "bytes": sent,
            "cache": cache,
            "client": client[0] if client else None,
            "agent": _header(scope, b"user-agent"),
        }
        access_log.info(_COMPACT.encode(entry))


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return _cut(v.decode("latin-1"), 200)
    return None


LOGGED_PATH_CHARS = 1024  # a refused 60 KB URL is not copied whole into every log line


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"…(+{len(text) - limit})"
