"""The SPARQL endpoint apart from HTTP: screen the query, choose the format, cache, run, describe.

A request is first *prepared* without touching the store: the query is screened (form, update
refused, SERVICE allow-list), the format negotiated, and its ETag computed from the dataset
version, the query's exact text (without the whitespace around it), the protocol dataset and the
format. An HTTP layer can answer `If-None-Match` from that alone. *Running* it looks in an
in-process LRU cache (keyed by the same, so a new dataset version never sees old answers), then
joins an identical request that is already being evaluated (so a burst of the same query costs
one evaluation), and otherwise asks the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .config import ServerSettings
from .errors import (
    NotAcceptable,
    ProtocolError,
    QueryError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    ServiceFailed,
    ServiceTimeout,
    UnsupportedFunction,
)
from .namespaces import BASE, GRAPH
from .negotiate import GRAPHS, RESULTS, SPARQL_JSON, Format, negotiate
from .screen import Screened, screen
from .service_description import Dataset, Limits, NamedGraph, serialize, service_description
from .store import Store

VOID_GRAPH = str(GRAPH["void"])
_ABSOLUTE_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^<>"{}|^`\\\x00-\x20]*\Z')
"""A scheme, then what an IRIREF may hold (SPARQL 1.1, 19.8); the engine checks the rest."""
_DATASET_IRI = BASE + "id/dataset/saphire-kg"
_GRAPHS_QUERY = f"""PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?g ?n WHERE {{ GRAPH <{VOID_GRAPH}> {{ <{_DATASET_IRI}> void:subset ?g . OPTIONAL {{ ?g void:triples ?n }} }} }}
ORDER BY ?g"""
_TOTAL_QUERY = f"""PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?n WHERE {{ GRAPH <{VOID_GRAPH}> {{ <{_DATASET_IRI}> void:triples ?n }} }}"""
_VOID_SIZE_QUERY = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{VOID_GRAPH}> {{ ?s ?p ?o }} }}"
_VOID_QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VOID_GRAPH}> {{ ?s ?p ?o }} }}"


@dataclass(frozen=True)
class QueryRequest:
    """A query as the protocol gives it; `None` graphs: the parameter was not given at all."""

    query: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    accept: str | None = None
    limited: bool = True  # False: the service's own query (its description), no result limits
    # a `format` parameter's Accept: it decides when the query's form can be written in it
    preferred: str | None = None


@dataclass(frozen=True)
class Prepared:
    request: QueryRequest
    screened: Screened
    format: Format
    version: str
    etag: str  # with its quotes, as the header carries it
    key: str


@dataclass(frozen=True)
class Answer:
    format: Format
    body: bytes
    etag: str
    version: str
    cached: bool
    seconds: float  # evaluation (0 when cached)


@dataclass
class _Flight:
    """A query being evaluated; identical requests arriving meanwhile wait for its outcome: its
    body, or the error the same query would give them too (`_SHARED`)."""

    done: threading.Event = field(default_factory=threading.Event)
    body: bytes | None = None
    error: QueryError | None = None
    # followers on event loops: woken when it lands, holding no thread meanwhile
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = field(default_factory=list)


def _outcome(prepared: Prepared, flight: _Flight) -> Answer | None:
    """A landed flight's answer for a follower, or its error raised; None when the leader met
    a passing trouble (the follower then runs the query itself)."""
    if flight.body is not None:
        return Answer(prepared.format, flight.body, prepared.etag, prepared.version, True, 0.0)
    if flight.error is not None:
        raise flight.error
    return None


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():  # (cancelled: its request went away)
        waiter.set_result(None)


slow_log = logging.getLogger("saphire_kg.slow")
SLOW_QUERY_CHARS = 2000  # of a query's text in the slow-query log

_SHARED = (QuerySyntaxError, QueryTimeout, ResultTooLarge, QueryFailed, UnsupportedFunction)
"""Errors of the query itself, which an identical request would meet again (not an overloaded
pool, a worker's death or a cancelled caller: the request that meets one of those runs anew)."""


class AnswerCache:
    """Answers by key, least recently used first out, bounded in entries and bytes."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, *, count_miss: bool = True) -> bytes | None:
        """The answer under `key`; `count_miss=False` for a look that, if it misses, is
        followed by the counted one (so a miss counts once)."""
        with self._lock:
            body = self._items.get(key)
            if body is None:
                self.misses += count_miss
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: str, body: bytes) -> None:
        if self.entries <= 0 or len(body) > self.max_bytes // 8:
            return  # one answer may take at most an eighth of the budget
        with self._lock:
            old = self._items.pop(key, None)
            self.bytes -= len(old) if old is not None else 0
            self._items[key] = body
            self.bytes += len(body)
            while len(self._items) > self.entries or self.bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> int:
        """Drop every answer (an admin's cache purge); how many there were."""
        with self._lock:
            dropped = len(self._items)
            self._items.clear()
            self.bytes = 0
        return dropped


_screen_recent = lru_cache(maxsize=1024)(lambda text, allow: screen(text, allow, base=BASE))


def _screen(text: str, allow: tuple[str, ...]) -> Screened:
    """`screen`, remembered for recent short queries (it is the main cost of a cached answer)."""
    return _screen_recent(text, allow) if len(text) <= 8192 else screen(text, allow, base=BASE)


def service_error(screened: Screened, exc: QueryFailed | QueryTimeout) -> QueryError:
    """A failure of a query that calls SERVICE endpoints, blamed on them (502, or 504 past the
    deadline) and naming them; any other query's failure as it was."""
    called = [c.target or "?variable" for c in screened.services]
    called = [t for t in dict.fromkeys(called) if t not in screened.skipped]
    if not called:
        return exc
    if isinstance(exc, QueryTimeout):
        return ServiceTimeout(exc.seconds, tuple(called))
    named = [t for t in called if t in str(exc)] or called
    return ServiceFailed(tuple(named), str(exc))


def etag_of(version: str, normal: str, request: QueryRequest, fmt: Format) -> str:
    parts = [
        version,
        normal,
        "\x1f".join(request.default_graphs) if request.default_graphs is not None else "\x00",
        "\x1f".join(request.named_graphs) if request.named_graphs is not None else "\x00",
        fmt.media_type,
    ]
    if not request.limited:
        parts.append("unlimited")
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:32]


class Endpoint:
    """The query service over one `Store`; thread-safe, holds nothing but the answer cache."""

    def __init__(self, store: Store, settings: ServerSettings) -> None:
        self.store = store
        self.settings = settings
        self.cache = AnswerCache(settings.cache_entries, settings.cache_bytes)
        self._datasets: dict[str, Dataset] = {}
        self._descriptions: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()

    def configured(self, settings: ServerSettings) -> Endpoint:
        """The same endpoint (store, cache) under other settings (tests override settings so)."""
        other = copy.copy(self)
        other.settings = settings
        return other

    # -- queries --------------------------------------------------------------------------------

    def prepare(self, request: QueryRequest) -> Prepared:
        """Screen and negotiate, no evaluation; raises the QueryError that says what is wrong."""
        for parameter, graphs in (
            ("default-graph-uri", request.default_graphs),
            ("named-graph-uri", request.named_graphs),
        ):
            for graph in graphs or ():
                if not _ABSOLUTE_IRI.match(graph):
                    raise ProtocolError(
                        f"{parameter} must be an absolute IRI (as <http://…> in a query); "
                        f"{graph!r} is not"
                    )
        screened = _screen(request.query, self.settings.allow_services)
        offered = GRAPHS if screened.returns_graph else RESULTS
        try:
            fmt = negotiate(request.preferred or request.accept, offered)
        except NotAcceptable:
            if request.preferred is None:
                raise
            fmt = negotiate(request.accept, offered)  # (SPARQLWrapper names turtle for a SELECT)
        version = self.store.version
        tag = etag_of(version, screened.normal, request, fmt)
        return Prepared(request, screened, fmt, version, f'"{tag}"', tag)

    def cached(self, prepared: Prepared) -> Answer | None:
        """The answer if the cache holds it (no blocking: callable on an event loop)."""
        body = None if prepared.screened.volatile else self.cache.get(prepared.key)
        if body is None:
            return None
        return Answer(prepared.format, body, prepared.etag, prepared.version, True, 0.0)

    def run(self, prepared: Prepared) -> Answer:
        """The answer from the cache, from an identical request already running, or the store."""
        found = self.cached(prepared)
        return found if found is not None else self.compute(prepared)

    def compute(self, prepared: Prepared) -> Answer:
        """The answer from an identical request already running, or else from the store (blocks);
        a volatile query's always from the store."""
        if self.cache.entries <= 0 or prepared.screened.volatile:
            return self._evaluate(prepared)
        flight, leader = self._flight(prepared.key)
        if not leader:  # the same query is being answered: wait for it rather than run it twice
            return self._follow(prepared, flight)
        try:
            answer = self._evaluate(prepared)
            flight.body = answer.body
            return answer
        except _SHARED as exc:
            flight.error = exc
            raise
        finally:
            self._land(prepared.key, flight)

    async def compute_async(self, prepared: Prepared) -> Answer:
        """`compute` for an event loop: a store that can wait without a thread (the worker
        pool's `query_async`) is awaited; otherwise, and to join an identical request, a thread."""
        query_async = getattr(self.store, "query_async", None)
        if query_async is None:
            return await asyncio.to_thread(self.compute, prepared)
        if self.cache.entries <= 0 or prepared.screened.volatile:
            return await self._evaluate_async(prepared, query_async)
        flight, leader = self._flight(prepared.key)
        if not leader:
            return await self._follow_async(prepared, flight, query_async)
        try:
            answer = await self._evaluate_async(prepared, query_async)
            flight.body = answer.body
            return answer
        except _SHARED as exc:
            flight.error = exc
            raise
        finally:
            self._land(prepared.key, flight)

    def _flight(self, key: str) -> tuple[_Flight, bool]:
        """The evaluation of `key` under way, and whether the caller has just started it."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = _Flight()
            return flight, True

    def _follow(self, prepared: Prepared, flight: _Flight) -> Answer:
        """The outcome of the identical request under way, within this request's own deadline;
        a request of its own with the time left when that one met a passing trouble."""
        started = time.monotonic()
        if not flight.done.wait(self.settings.timeout):
            raise QueryTimeout(self.settings.timeout)
        shared = _outcome(prepared, flight)
        if shared is not None:
            return shared
        return self._evaluate(prepared, self.settings.timeout - (time.monotonic() - started))

    async def _follow_async(
        self,
        prepared: Prepared,
        flight: _Flight,
        query_async: Callable[..., Awaitable[tuple[str, bytes]]],
    ) -> Answer:
        """`_follow` on an event loop: it waits for the flight to land without a thread (six
        identical slow queries had held every thread of the loop's pool, and whatever else
        needed one waited for them)."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        landed = loop.create_future()
        with self._lock:
            if flight.done.is_set():
                landed.set_result(None)
            else:
                flight.waiters.append((loop, landed))
        try:
            await asyncio.wait_for(landed, self.settings.timeout)
        except TimeoutError:
            raise QueryTimeout(self.settings.timeout) from None
        shared = _outcome(prepared, flight)
        if shared is not None:
            return shared
        left = self.settings.timeout - (time.monotonic() - started)
        return await self._evaluate_async(prepared, query_async, left)

    def _land(self, key: str, flight: _Flight) -> None:
        with self._lock:
            flight.done.set()
            self._flights.pop(key, None)
            waiters, flight.waiters = flight.waiters, []
        for loop, landed in waiters:
            with contextlib.suppress(RuntimeError):  # (its loop has closed)
                loop.call_soon_threadsafe(_wake, landed)

    def _job(
        self, prepared: Prepared, timeout: float | None = None
    ) -> tuple[tuple[str, str], dict[str, Any]]:
        """The store's `query` arguments for a prepared request (`timeout`: the time left, when
        less than the service's limit)."""
        request = prepared.request
        return (prepared.screened.text, prepared.format.media_type), {
            "default_graphs": request.default_graphs,
            "named_graphs": request.named_graphs,
            "timeout": self.settings.timeout if timeout is None else max(timeout, 0.001),
            "limited": request.limited,
        }

    def _evaluate(self, prepared: Prepared, timeout: float | None = None) -> Answer:
        started = time.perf_counter()
        args, kwargs = self._job(prepared, timeout)
        with self._slow_log(prepared, started):
            try:
                _, body = self.store.query(*args, **kwargs)
            except (QueryFailed, QueryTimeout) as exc:
                raise service_error(prepared.screened, exc) from exc
        return self._answered(prepared, body, started)

    async def _evaluate_async(
        self,
        prepared: Prepared,
        query_async: Callable[..., Awaitable[tuple[str, bytes]]],
        timeout: float | None = None,
    ) -> Answer:
        started = time.perf_counter()
        args, kwargs = self._job(prepared, timeout)
        with self._slow_log(prepared, started):
            try:
                _, body = await query_async(*args, **kwargs)
            except (QueryFailed, QueryTimeout) as exc:
                raise service_error(prepared.screened, exc) from exc
        return self._answered(prepared, body, started)

    @contextlib.contextmanager
    def _slow_log(self, prepared: Prepared, started: float) -> Iterator[None]:
        """An evaluation that took `slow_query_seconds` or more, or was stopped, goes in the
        slow-query log: how long, how it ended, the query (its first `SLOW_QUERY_CHARS`) and
        the tag of its ETag, which the client got (and the access log's line is the next)."""
        outcome = "ok"
        try:
            yield
        except asyncio.CancelledError:
            outcome = "cancelled"  # (its client went away: the access log's 499)
            raise
        except BaseException as exc:
            outcome = "timeout" if isinstance(exc, QueryTimeout) else type(exc).__name__
            raise
        finally:
            seconds = time.perf_counter() - started
            if seconds >= self.settings.slow_query_seconds or outcome == "timeout":
                text = prepared.screened.normal
                if len(text) > SLOW_QUERY_CHARS:
                    text = text[:SLOW_QUERY_CHARS] + f"…(+{len(text) - SLOW_QUERY_CHARS})"
                fields = {
                    "ms": round(seconds * 1000, 1),
                    "outcome": outcome,
                    "etag": None if prepared.screened.volatile else prepared.key,  # (none sent)
                    "format": prepared.format.media_type,
                    "query": text,
                }
                slow_log.warning("slow query", extra={"fields": fields})

    def _answered(self, prepared: Prepared, body: bytes, started: float) -> Answer:
        seconds = time.perf_counter() - started
        if self.store.version == prepared.version and not prepared.screened.volatile:
            self.cache.put(prepared.key, body)
        return Answer(prepared.format, body, prepared.etag, prepared.version, False, seconds)

    def answer(self, request: QueryRequest) -> Answer:
        return self.run(self.prepare(request))

    # -- descriptions ---------------------------------------------------------------------------

    def dataset(self) -> Dataset:
        """The named graphs and their sizes, from the build's VoID graph (once per version)."""
        version = self.store.version
        found = self._datasets.get(version)
        if found is not None:
            return found
        graphs = [
            NamedGraph(row["g"], int(row["n"]) if "n" in row else None)
            for row in self._select(_GRAPHS_QUERY)
        ]
        total_rows = self._select(_TOTAL_QUERY)
        total = int(total_rows[0]["n"]) if total_rows else None
        void_size = int(self._select(_VOID_SIZE_QUERY)[0]["n"])
        graphs.append(NamedGraph(VOID_GRAPH, void_size))
        graphs.sort(key=lambda g: g.iri)
        found = Dataset(version, None if total is None else total + void_size, tuple(graphs))
        with self._lock:
            self._datasets = {version: found}
        return found

    def service_description(self, endpoint_url: str, fmt: Format) -> tuple[bytes, str]:
        """The SD for this endpoint URL in `fmt` (an RDF format), and its ETag."""
        dataset = self.dataset()
        key = (dataset.version, endpoint_url, fmt.media_type)
        tag = '"' + hashlib.sha256("\x1e".join(("sd", *key)).encode()).hexdigest()[:32] + '"'
        with self._lock:
            body = self._descriptions.get(key)
        if body is None:
            graph = service_description(endpoint_url, dataset, self.limits)
            body = serialize(graph, fmt)
            with self._lock:
                self._descriptions[key] = body
                while len(self._descriptions) > 64:
                    self._descriptions.popitem(last=False)
        return body, tag

    @property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(
            timeout=s.timeout,
            max_results=s.max_results,
            allow_services=s.allow_services,
            max_bytes=s.max_bytes,
            max_query_bytes=s.max_query_bytes,
            max_url_bytes=s.max_url_bytes,
            client_concurrency=s.client_concurrency,
        )

    def void(self, accept: str | None) -> Answer:
        """The build's VoID/DCAT description graph, in the RDF format the client prefers."""
        return self.answer(QueryRequest(_VOID_QUERY, accept=accept, limited=False))

    def _select(self, sparql: str) -> list[dict[str, str]]:
        answer = self.answer(QueryRequest(sparql, accept=SPARQL_JSON.media_type, limited=False))
        data = json.loads(answer.body)
        return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]

    # -- health ---------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Whether the store answers a trivial query now, and its version."""
        status: dict[str, Any] = {"version": self.store.version}
        started = time.perf_counter()
        try:
            self.store.query(
                "ASK {}", SPARQL_JSON.media_type, timeout=min(self.settings.timeout, 5.0)
            )
            status["store"] = "ok"
        except QueryError as exc:
            status["store"] = "unavailable"
            status["store_error"] = str(exc)
        status["store_ms"] = round((time.perf_counter() - started) * 1000, 2)
        details = getattr(self.store, "status", None)
        if callable(details):
            status["workers"] = details()
        status["cache"] = {
            "entries": len(self.cache),
            "bytes": self.cache.bytes,
            "hits": self.cache.hits,
            "misses": self.cache.misses,
        }
        return status
