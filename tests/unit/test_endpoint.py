"""The endpoint without HTTP: ETags, the answer cache, one evaluation for a burst of a query."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Sequence

import pytest

from saphire_kg.config import ServerSettings
from saphire_kg.endpoint import AnswerCache, Endpoint, QueryRequest
from saphire_kg.errors import Overloaded, QueryTimeout


class SlowStore:
    """A Store that takes its time and counts its evaluations."""

    def __init__(self, seconds: float = 0.2) -> None:
        self.seconds = seconds
        self.calls = 0
        self.version = "v1"

    def query(
        self,
        sparql: str,
        accept: str = "application/sparql-results+json",
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limited: bool = True,
    ) -> tuple[str, bytes]:
        self.calls += 1
        time.sleep(self.seconds)
        return accept, b'{"head":{},"boolean":true}'

    def close(self) -> None:
        pass


def test_a_burst_of_the_same_query_is_evaluated_once() -> None:
    store = SlowStore()
    endpoint = Endpoint(store, ServerSettings())
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(endpoint.answer(QueryRequest("ASK {}"))))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.calls == 1
    assert len({a.body for a in answers}) == 1 and len(answers) == 6


class SlowAsyncStore(SlowStore):
    """A SlowStore that can also be awaited, as the worker pool can."""

    async def query_async(self, sparql: str, accept: str, **kwargs: object) -> tuple[str, bytes]:
        self.calls += 1
        await asyncio.sleep(self.seconds)
        return accept, b'{"head":{},"boolean":true}'


@pytest.mark.parametrize("store_class", [SlowStore, SlowAsyncStore])
def test_a_burst_of_the_same_query_on_an_event_loop_is_evaluated_once(store_class: type) -> None:
    store = store_class()
    endpoint = Endpoint(store, ServerSettings())
    prepared = endpoint.prepare(QueryRequest("ASK {}"))

    async def burst() -> list:
        return await asyncio.gather(*(endpoint.compute_async(prepared) for _ in range(5)))

    answers = asyncio.run(burst())
    assert store.calls == 1
    assert {a.body for a in answers} == {b'{"head":{},"boolean":true}'}
    assert sum(not a.cached for a in answers) == 1
    assert endpoint.cached(prepared) is not None


class FailingAsyncStore(SlowAsyncStore):
    """A SlowAsyncStore whose evaluations fail with `error` (only the first when `once`),
    noting the deadline each was given."""

    def __init__(self, error: Exception, seconds: float, once: bool = False) -> None:
        super().__init__(seconds)
        self.error, self.once, self.deadlines = error, once, []

    async def query_async(self, sparql: str, accept: str, **kwargs: object) -> tuple[str, bytes]:
        self.deadlines.append(kwargs["timeout"])
        if self.once and self.calls:
            return await super().query_async(sparql, accept)
        self.calls += 1
        await asyncio.sleep(self.seconds)
        raise self.error


def _async_burst(endpoint: Endpoint, n: int) -> list:
    """n identical requests at once on one event loop, which has no thread to give: their
    outcomes (answer or error)."""
    prepared = endpoint.prepare(QueryRequest("ASK {}"))

    async def burst() -> list:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(_NoThreads())
        return await asyncio.gather(
            *(endpoint.compute_async(prepared) for _ in range(n)), return_exceptions=True
        )

    return asyncio.run(burst())


class _NoThreads(concurrent.futures.ThreadPoolExecutor):
    def submit(self, *args: object, **kwargs: object) -> concurrent.futures.Future:
        raise AssertionError("a follower took a thread")


def test_followers_on_an_event_loop_hold_no_thread() -> None:
    """Each had held one of the loop's six threads until the first answered, so that seven
    identical slow queries stopped everything else that needed one (a reviewer's case)."""
    store = SlowAsyncStore(0.2)
    outcomes = _async_burst(Endpoint(store, ServerSettings()), 20)
    assert store.calls == 1
    assert [type(o) for o in outcomes] == [type(outcomes[0])] * 20
    assert sum(not o.cached for o in outcomes) == 1


def test_followers_on_an_event_loop_share_the_error_of_their_query() -> None:
    store = FailingAsyncStore(QueryTimeout(0.3), seconds=0.3)
    outcomes = _async_burst(Endpoint(store, ServerSettings(timeout=0.3)), 3)
    assert store.calls == 1
    assert all(isinstance(o, QueryTimeout) for o in outcomes)


def test_followers_on_an_event_loop_run_anew_after_a_passing_trouble() -> None:
    store = FailingAsyncStore(Overloaded(1.0), seconds=0.2, once=True)
    outcomes = _async_burst(Endpoint(store, ServerSettings(timeout=1.0)), 2)
    assert [type(o) for o in outcomes].count(Overloaded) == 1
    assert any(not isinstance(o, Exception) for o in outcomes)
    assert store.deadlines[0] == 1.0 and store.deadlines[1] < 0.85


def test_a_follower_on_an_event_loop_waits_no_longer_than_its_deadline() -> None:
    store = SlowAsyncStore(1.0)
    started = time.monotonic()
    outcomes = _async_burst(Endpoint(store, ServerSettings(timeout=0.3)), 2)
    assert isinstance(outcomes[1], QueryTimeout)
    assert store.calls == 1 and time.monotonic() - started >= 0.3


class FailingStore(SlowStore):
    """A SlowStore whose evaluations fail with `error` (a timeout at its deadline, or a passing
    trouble the first time only when `once`), noting the deadline each was given."""

    def __init__(self, error: Exception, once: bool = False) -> None:
        super().__init__()
        self.error, self.once, self.deadlines = error, once, []

    def query(self, sparql: str, accept: str = "", **kwargs: object) -> tuple[str, bytes]:
        self.deadlines.append(kwargs["timeout"])
        if self.once and self.calls:
            return super().query(sparql, accept)
        self.calls += 1
        time.sleep(self.seconds)
        raise self.error


def _burst(endpoint: Endpoint, n: int) -> list:
    """n identical requests at once: their outcomes (answer or error)."""
    outcomes: list = []

    def one() -> None:
        try:
            outcomes.append(endpoint.answer(QueryRequest("ASK {}")))
        except Exception as exc:  # noqa: BLE001 — the outcome under test
            outcomes.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
        time.sleep(0.01)  # the first leads
    for t in threads:
        t.join()
    return outcomes


def test_a_burst_meets_the_error_of_its_query_once() -> None:
    """Three copies of a runaway are stopped once, together: none waits for the first to fail
    and then runs the query again (503 at 3 s, then 6 s, with both workers taken meanwhile: a
    reviewer's case)."""
    store = FailingStore(QueryTimeout(0.3))
    store.seconds = 0.3
    endpoint = Endpoint(store, ServerSettings(timeout=0.3))
    outcomes = _burst(endpoint, 3)
    assert store.calls == 1
    assert all(isinstance(o, QueryTimeout) for o in outcomes)


def test_a_burst_runs_anew_after_a_passing_trouble_within_its_own_deadline() -> None:
    store = FailingStore(Overloaded(1.0), once=True)
    store.seconds = 0.2
    endpoint = Endpoint(store, ServerSettings(timeout=1.0))
    outcomes = _burst(endpoint, 2)
    assert [type(o) for o in outcomes].count(Overloaded) == 1
    assert any(not isinstance(o, Exception) for o in outcomes)
    assert store.deadlines[0] == 1.0 and store.deadlines[1] < 0.85


def test_without_a_cache_every_request_is_evaluated() -> None:
    store = SlowStore(0.0)
    endpoint = Endpoint(store, ServerSettings(cache_entries=0))
    for _ in range(3):
        assert not endpoint.answer(QueryRequest("ASK {}")).cached
    assert store.calls == 3


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (QueryRequest("ASK {}"), QueryRequest(" ASK {}\n"), True),
        (QueryRequest("ASK {}"), QueryRequest("ASK {} # comment"), False),  # (the exact text)
        (
            QueryRequest("ASK {}"),
            QueryRequest("ASK {}", accept="application/sparql-results+xml"),
            False,
        ),
        (
            QueryRequest("ASK {}"),
            QueryRequest("ASK {}", default_graphs=("http://g",), named_graphs=()),
            False,
        ),
        (
            QueryRequest("ASK {}", default_graphs=(), named_graphs=("http://g",)),
            QueryRequest("ASK {}", default_graphs=("http://g",), named_graphs=()),
            False,
        ),
        (QueryRequest("ASK { ?s ?p 'a b' }"), QueryRequest("ASK { ?s ?p 'a  b' }"), False),
    ],
)
def test_etag(a: QueryRequest, b: QueryRequest, same: bool) -> None:
    endpoint = Endpoint(SlowStore(0.0), ServerSettings())
    assert (endpoint.prepare(a).etag == endpoint.prepare(b).etag) is same


def test_a_new_version_has_new_etags() -> None:
    store = SlowStore(0.0)
    endpoint = Endpoint(store, ServerSettings())
    first = endpoint.prepare(QueryRequest("ASK {}")).etag
    store.version = "v2"
    assert endpoint.prepare(QueryRequest("ASK {}")).etag != first


def test_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = AnswerCache(entries=3, max_bytes=800)
    for i in range(5):
        cache.put(f"k{i}", b"x" * 10)
    assert len(cache) == 3 and cache.get("k0") is None and cache.get("k4") == b"x" * 10
    cache.put("big", b"x" * 200)  # more than an eighth of the budget: not kept
    assert cache.get("big") is None
    for i in range(8):
        cache.put(f"m{i}", b"y" * 100)
    assert cache.bytes <= 800


def test_a_slow_or_stopped_evaluation_is_in_the_slow_query_log(caplog) -> None:
    endpoint = Endpoint(SlowStore(0.25), ServerSettings(slow_query_seconds=0.2))
    with caplog.at_level("WARNING", logger="saphire_kg.slow"):
        answer = endpoint.answer(QueryRequest("ASK { ?s ?p 'slow' }"))
        endpoint.answer(QueryRequest("ASK { ?s ?p 'slow' }"))  # (cached: not evaluated)
        Endpoint(SlowStore(0.0), ServerSettings(slow_query_seconds=0.2)).answer(
            QueryRequest("ASK { ?s ?p 'quick' }")
        )
        with pytest.raises(QueryTimeout):
            Endpoint(FailingStore(QueryTimeout(0.1)), ServerSettings()).answer(
                QueryRequest("ASK { ?s ?p 'stopped' }")
            )
    entries = [r.fields for r in caplog.records if r.name == "saphire_kg.slow"]
    assert [(e["outcome"], e["query"]) for e in entries] == [
        ("ok", "ASK { ?s ?p 'slow' }"),
        ("timeout", "ASK { ?s ?p 'stopped' }"),
    ]
    assert entries[0]["ms"] >= 250 and f'"{entries[0]["etag"]}"' == answer.etag


def test_the_slow_query_log_names_no_etag_for_a_volatile_query(caplog) -> None:
    endpoint = Endpoint(SlowStore(0.05), ServerSettings(slow_query_seconds=0.0))
    with caplog.at_level("WARNING", logger="saphire_kg.slow"):
        endpoint.answer(QueryRequest("SELECT (RAND() AS ?r) {}"))
    (entry,) = [r.fields for r in caplog.records if r.name == "saphire_kg.slow"]
    assert entry["etag"] is None and entry["outcome"] == "ok"
