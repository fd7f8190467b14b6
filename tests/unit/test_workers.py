"""The worker pool: deadlines that stop the work, isolation, limits, reload, a worker's death."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import uvloop

from saphire_kg.errors import (
    ProtocolError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    UnsupportedFunction,
)
from saphire_kg.store import OxigraphStore
from saphire_kg.workers import MAX_SPIN_SECONDS, SPIN_SECONDS, WorkerPool
from tests.stores import PEOPLE, write_test_store

# 40^5 ≈ 100 million combinations: far longer than any timeout here, and no triple pattern to
# cancel between (the case Oxigraph's own --timeout-s did not stop).
_VALUES = "{ " + " ".join(str(i) for i in range(40)) + " }"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) { " + " ".join(f"VALUES ?v{i} {_VALUES}" for i in range(5)) + " }"
)
CHEAP = "ASK { <http://example.org/alice> ?p ?o }"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_store(tmp_path_factory.mktemp("pool"), PEOPLE, version="test-1")


@pytest.fixture(scope="module")
def pool(store_dir: Path):
    pool = WorkerPool(store_dir, workers=2, timeout=1.0, max_results=40)
    yield pool
    pool.close()


def _wait_until(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_answers_like_the_store(pool: WorkerPool) -> None:
    media_type, body = pool.query(CHEAP)
    assert media_type == "application/sparql-results+json"
    assert json.loads(body)["boolean"] is True
    assert pool.version == "test-1"


def test_errors_come_back_as_themselves(pool: WorkerPool) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        pool.query("SELECT * {\n ?s }")
    assert raised.value.line == 2
    with pytest.raises(ResultTooLarge):
        pool.query("SELECT * { ?s ?p ?o }")
    media_type, body = pool.query("SELECT * { ?s ?p ?o }", limited=False)  # the service's own
    assert len(json.loads(body)["results"]["bindings"]) > 40


def test_a_function_the_engine_lacks_is_named(pool: WorkerPool) -> None:
    """(It was an internal error: a 500 with the cause only in the log.)"""
    with pytest.raises(UnsupportedFunction, match="<http://example.org/f> is not supported"):
        pool.query("SELECT (<http://example.org/f>(1) AS ?x) {}")
    assert pool.query(CHEAP)[0]  # the worker goes on


def test_a_graph_iri_the_engine_refuses_is_a_protocol_error(pool: WorkerPool) -> None:
    with pytest.raises(ProtocolError, match="default-graph-uri 'http://\\[::1'"):
        pool.query(CHEAP, default_graphs=["http://[::1"])


def test_runaway_query_is_stopped_at_the_deadline_and_others_keep_going(pool: WorkerPool) -> None:
    killed_before = pool.stats.killed
    outcome: dict = {}

    def runaway() -> None:
        started = time.monotonic()
        try:
            pool.query(RUNAWAY)
        except QueryTimeout as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.1)
    latencies = []
    while thread.is_alive():
        started = time.monotonic()
        pool.query(CHEAP)
        latencies.append(time.monotonic() - started)
    thread.join()
    assert isinstance(outcome["error"], QueryTimeout)
    assert 1.0 <= outcome["seconds"] < 2.0  # the deadline, plus at most a second
    assert "1 s" in str(outcome["error"])
    assert len(latencies) > 10
    assert sorted(latencies)[int(len(latencies) * 0.95)] < 0.25
    assert pool.stats.killed == killed_before + 1
    _wait_until(lambda: pool.status()["ready"] == 2)
    assert json.loads(pool.query(CHEAP)[1])["boolean"] is True


def test_a_caller_may_ask_for_a_shorter_deadline(pool: WorkerPool) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        pool.query(RUNAWAY, timeout=0.3)
    assert time.monotonic() - started < 1.0
    _wait_until(lambda: pool.status()["ready"] == 2)


def test_a_worker_killed_mid_query_is_a_503_and_is_replaced(pool: WorkerPool) -> None:
    def kill_busy_worker() -> None:
        _wait_until(lambda: pool.stats.busy > 0)
        time.sleep(0.1)
        with pool._lock:  # noqa: SLF001 — the test plays the kernel's OOM killer
            idle = set(pool._idle.queue)  # noqa: SLF001
            busy = [w.process.pid for w in pool._live if w not in idle and w.version]  # noqa: SLF001
        assert len(busy) == 1
        os.kill(busy[0], signal.SIGKILL)

    threading.Thread(target=kill_busy_worker).start()
    with pytest.raises(StoreUnavailable):
        pool.query(RUNAWAY, timeout=5.0)
    _wait_until(lambda: pool.status()["ready"] == 2)
    assert json.loads(pool.query(CHEAP)[1])["boolean"] is True


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_query_async_answers_and_stops_like_query(pool: WorkerPool, loop: str) -> None:
    """On an event loop (uvloop makes the pipe non-blocking): same answers, errors, deadline."""

    async def scenario() -> None:
        for _ in range(20):  # enough round trips for a half-read answer to show up
            assert await pool.query_async(CHEAP) == pool.query(CHEAP)
        with pytest.raises(QuerySyntaxError):
            await pool.query_async("SELECT * {\n ?s }")
        killed = pool.stats.killed
        with pytest.raises(QueryTimeout):
            await pool.query_async(RUNAWAY, timeout=0.3)
        assert pool.stats.killed == killed + 1

    (uvloop.run if loop == "uvloop" else asyncio.run)(scenario())
    _wait_until(lambda: pool.status()["ready"] == 2)


def test_the_front_polls_as_long_as_a_query_took_before(pool: WorkerPool) -> None:
    """Adaptive polling: a query not seen before for SPIN_SECONDS, a cheap one seen before for
    1.5 times its last evaluation, one seen slow (over MAX_SPIN_SECONDS) not at all."""
    cross = " ".join(f"VALUES ?w{i} {_VALUES}" for i in range(3))
    slow = f"SELECT (COUNT(*) AS ?n) {{ {cross} }}"
    assert pool._spin(CHEAP + " # new") == SPIN_SECONDS  # noqa: SLF001

    async def scenario() -> None:
        for _ in range(20):  # (a busy machine may take a cheap query past MAX_SPIN_SECONDS)
            await pool.query_async(CHEAP)
            if pool._last_seconds[CHEAP] < MAX_SPIN_SECONDS:  # noqa: SLF001
                break
        await pool.query_async(slow)

    asyncio.run(scenario())
    cheap_took = pool._last_seconds[CHEAP]  # noqa: SLF001
    assert cheap_took < MAX_SPIN_SECONDS
    assert pool._spin(CHEAP) == pytest.approx(1.5 * cheap_took)  # noqa: SLF001
    assert pool._last_seconds[slow] > MAX_SPIN_SECONDS  # noqa: SLF001
    assert pool._spin(slow) == 0.0  # noqa: SLF001


def test_queued_async_queries_wait_on_the_loop_in_turn_and_leave_when_cancelled(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the only worker busy, queries of the event loop wait for it in the loop (no thread
    each: the threads ran out and a query began its deadline only once it had one), first come
    first served; one whose caller went away never runs (a reviewer's cases)."""

    def no_threads(*_: object, **__: object) -> None:
        raise AssertionError("a queued query took a thread")

    monkeypatch.setattr(asyncio, "to_thread", no_threads)
    pool = WorkerPool(store_dir, workers=1, timeout=30.0)
    try:

        async def scenario() -> list:
            runaway = asyncio.ensure_future(pool.query_async(RUNAWAY, timeout=1.0))
            while pool.stats.busy == 0:
                await asyncio.sleep(0.01)
            finished: list[str] = []

            async def cheap(name: str) -> None:
                await pool.query_async(CHEAP + f" # {name}")
                finished.append(name)

            gone = asyncio.ensure_future(pool.query_async(CHEAP + " # gone"))
            waiting = [asyncio.ensure_future(cheap(str(n))) for n in range(3)]
            await asyncio.sleep(0.2)
            gone.cancel()
            with pytest.raises(QueryTimeout):
                await runaway
            await asyncio.gather(*waiting)
            return finished

        assert uvloop.run(scenario()) == ["0", "1", "2"]
        assert pool.stats.queries == 4  # the runaway and the three: not the one that left
    finally:
        pool.close()


def test_a_cancelled_async_query_kills_its_worker(pool: WorkerPool) -> None:
    """The request went away: its worker must not come back idle with a late answer pending."""

    async def scenario() -> None:
        task = asyncio.ensure_future(pool.query_async(RUNAWAY))
        while pool.stats.busy == 0:
            await asyncio.sleep(0.01)
        killed = pool.stats.killed
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.stats.killed == killed + 1

    asyncio.run(scenario())
    _wait_until(lambda: pool.status()["ready"] == 2)
    assert json.loads(pool.query(CHEAP)[1])["boolean"] is True


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_large_answer_arrives_whole(store_dir: Path, loop: str) -> None:
    """An answer of megabytes comes in many reads (frames span socket buffers): byte for byte
    what the store itself gives, sync and async, and the next answer is not mixed into it."""
    values = "{ " + " ".join(f"'value {i:04d}'" for i in range(40)) + " }"
    big = f"SELECT * {{ VALUES ?a {values} VALUES ?b {values} VALUES ?c {values} }}"
    expected = OxigraphStore(store_dir).query(big, "text/csv")
    assert len(expected[1]) > 2_000_000
    pool = WorkerPool(store_dir, workers=1, timeout=30.0)
    try:

        async def scenario() -> None:
            assert await pool.query_async(big, "text/csv") == expected
            assert json.loads((await pool.query_async(CHEAP))[1])["boolean"] is True

        (uvloop.run if loop == "uvloop" else asyncio.run)(scenario())
        assert pool.query(big, "text/csv") == expected
        assert json.loads(pool.query(CHEAP)[1])["boolean"] is True
    finally:
        pool.close()


def test_a_large_job_goes_whole_after_an_event_loop_made_the_socket_non_blocking(
    pool: WorkerPool,
) -> None:
    """A query of nearly a megabyte is more than a socket takes in one send: the job is sent
    in parts, after uvloop left the socket non-blocking, and the worker stays in step."""
    big = CHEAP + " # " + "x" * 900_000

    async def scenario() -> None:
        assert json.loads((await pool.query_async(CHEAP))[1])["boolean"] is True
        assert json.loads((await pool.query_async(big))[1])["boolean"] is True

    uvloop.run(scenario())
    assert json.loads(pool.query(big)[1])["boolean"] is True
    assert json.loads(pool.query(CHEAP)[1])["boolean"] is True


def test_closing_the_pool_ends_a_query_in_flight_at_once(store_dir: Path) -> None:
    pool = WorkerPool(store_dir, workers=1, timeout=30.0)

    async def scenario() -> float:
        task = asyncio.ensure_future(pool.query_async(RUNAWAY))
        while pool.stats.busy == 0:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        pool.close()
        with pytest.raises(StoreUnavailable):
            await task
        return time.monotonic() - started

    assert uvloop.run(scenario()) < 5.0  # not the 30 s deadline


def test_a_query_during_a_reload_does_not_retire_the_new_workers(tmp_path: Path) -> None:
    """A query arriving while the rebuilt store's workers start must not take one of them
    before the switch (it would retire it as not current, unreplaced)."""
    build = tmp_path / "build"
    store_dir = write_test_store(build, PEOPLE, version="v1")
    pool = WorkerPool(store_dir, workers=2, timeout=5.0)
    try:
        write_test_store(build, PEOPLE, version="v2")
        ready = pool._await_ready  # noqa: SLF001

        def ready_then_query(worker, wait, enqueue=True):  # a query lands in the window
            started = ready(worker, wait, enqueue)
            assert json.loads(pool.query(CHEAP)[1])["boolean"] is True
            return started

        pool._await_ready = ready_then_query  # noqa: SLF001
        assert pool.reload() == "v2"
        pool._await_ready = ready  # noqa: SLF001
        _wait_until(lambda: pool.status()["ready"] == 2)
        with pool._lock:  # noqa: SLF001
            generations = sorted(w.generation for w in pool._live if not w.gone)  # noqa: SLF001
        assert generations == [1, 1]
    finally:
        pool.close()


def test_a_demoted_worker_comes_back_at_normal_priority_or_not_at_all(store_dir: Path) -> None:
    """Demoted at once (SCHED_IDLE, nice 10): after its query it is restored (root) or replaced."""
    pool = WorkerPool(store_dir, workers=1, timeout=5.0, demote_after=0.0)
    try:
        assert json.loads(pool.query(CHEAP)[1])["boolean"] is True
        _wait_until(lambda: pool.status()["ready"] == 1)
        with pool._lock:  # noqa: SLF001 — the test reads what the scheduler was told
            pids = [w.process.pid for w in pool._live if w.process.is_alive()]  # noqa: SLF001
        for pid in pids:
            assert os.sched_getscheduler(pid) == os.SCHED_OTHER
            assert os.getpriority(os.PRIO_PROCESS, pid) == 0
        assert json.loads(pool.query(CHEAP)[1])["boolean"] is True
    finally:
        pool.close()


def test_reload_switches_to_the_rebuilt_store(tmp_path: Path) -> None:
    build = tmp_path / "build"
    store_dir = write_test_store(build, PEOPLE, version="v1")
    pool = WorkerPool(store_dir, workers=2, timeout=5.0)
    try:
        changed = dict(PEOPLE)
        changed["http://example.org/graph/people"] += (
            '<http://example.org/carol> <http://xmlns.com/foaf/0.1/name> "Carol" .\n'
        )
        write_test_store(build, changed, version="v2")
        assert pool.reload() == "v2"
        assert pool.version == "v2"
        ask = "ASK { ?s <http://xmlns.com/foaf/0.1/name> 'Carol' }"
        for _ in range(4):  # every worker answers from the new store
            assert json.loads(pool.query(ask)[1])["boolean"] is True
        _wait_until(lambda: pool.status()["ready"] == 2)
    finally:
        pool.close()


def test_a_missing_store_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="no built store"):
        WorkerPool(tmp_path / "nothing")



def _switching_often(frame, event, arg):
    """A trace function that offers the GIL to another thread before every bytecode of
    workers.py, so that a read-modify-write of shared state there is interleaved if it can be."""
    if frame.f_code.co_filename.endswith("workers.py"):
        frame.f_trace_opcodes = True
        if event == "opcode":
            time.sleep(0)
        return _switching_often
    return None


def test_the_busy_count_returns_to_zero_under_threads_and_the_event_loop(store_dir: Path) -> None:
    """Threads (`query`) and the event loop (`query_async`) count the same busy workers: no
    update may be lost, even with a thread switch offered between any two bytecodes."""
    pool = WorkerPool(store_dir, workers=2, timeout=30.0)
    try:

        def threads() -> None:
            for _ in range(40):
                pool.query(CHEAP)

        async def loop() -> None:
            for _ in range(40):
                await pool.query_async(CHEAP)

        runners = [threading.Thread(target=threads) for _ in range(3)]
        runners.append(threading.Thread(target=uvloop.run, args=(loop(),)))
        threading.settrace(_switching_often)
        try:
            for runner in runners:
                runner.start()
        finally:
            threading.settrace(None)
        for runner in runners:
            runner.join()
        assert pool.stats.queries == 160
        assert pool.stats.busy == 0
    finally:
        pool.close()


def test_a_query_arriving_while_others_wait_goes_behind_them(store_dir: Path) -> None:
    """First come, first served: a newcomer does not take the worker freed for the oldest
    waiting query (a code reviewer's case: #74 was served while #6-#73 waited)."""
    pool = WorkerPool(store_dir, workers=1, timeout=30.0)
    try:

        async def scenario() -> list[int]:
            order: list[int] = []

            async def one(n: int) -> None:
                await pool.query_async(f"{CHEAP} # {n}")
                order.append(n)

            tasks = []
            for n in range(30):  # arriving one by one while the single worker is busy
                tasks.append(asyncio.ensure_future(one(n)))
                await asyncio.sleep(0.001)
            await asyncio.gather(*tasks)
            return order

        assert uvloop.run(scenario()) == list(range(30))
    finally:
        pool.close()


@pytest.mark.parametrize("network", [False, True])
def test_workers_without_network_reach_nothing_whatever_the_query(
    store_dir: Path, network: bool
) -> None:
    """The second wall behind the screening: with no SERVICE allowed the workers have no
    network at all, so a call the screening missed (lexer tricks did get through) goes
    nowhere. Sent to the pool directly, past the screening; with network, the same call
    arrives (the control)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    port = listener.getsockname()[1]
    pool = WorkerPool(store_dir, workers=1, timeout=5.0, network=network)
    try:
        assert pool.status()["network"] == ("open" if network else "none")
        outcome: list = []

        def call() -> None:
            try:
                target = f"<http://127.0.0.1:{port}/sparql>"
                outcome.append(pool.query(f"SELECT * {{ SERVICE {target} {{ ?s ?p ?o }} }}"))
            except Exception as exc:  # noqa: BLE001 — the outcome under test
                outcome.append(exc)

        thread = threading.Thread(target=call)
        thread.start()
        try:
            connection, _ = listener.accept()
            connection.close()  # (a failed call, either way)
            contacted = True
        except TimeoutError:
            contacted = False
        thread.join()
        assert contacted is network
        assert isinstance(outcome[0], QueryFailed)
    finally:
        pool.close()
        listener.close()
