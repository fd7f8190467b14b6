"""Query evaluation in worker processes that can be killed: the server's deadline and isolation.

pyoxigraph cannot be interrupted from Python (an aggregate or ORDER BY does all its work before
the first row), so a deadline that really stops the work has to stop a process. `WorkerPool`
keeps a few worker processes, each with the on-disk store open read-only; a query goes to an
idle worker, which evaluates it and serialises the whole result before sending a byte back.
At the deadline the parent kills the worker, starts a replacement in the background and raises
`QueryTimeout` (503): a client gets a complete answer or an error, never a truncated 200.

A query still running `demote_after` seconds after it started evaluating gets its process's
priority lowered (SCHED_IDLE where Linux has it, and nice 10), so a runaway query takes only
the CPU the cheap ones leave. When it is done the priority is raised again where the OS allows
it (root, CAP_SYS_NICE); elsewhere that worker is replaced, since an unprivileged process
cannot raise its priority. `reload()` starts a new generation of workers on the (rebuilt) store
and retires the old ones as they come back idle. `query_async` is `query` for an event loop: it
waits for the worker's socket to become readable instead of holding a thread for the evaluation.

With `network=False` (the server gives it when its SERVICE allow-list is empty, the default)
each worker puts itself, before it opens the store, in a network namespace of its own with no
interface up (`_without_network`): whatever a query's text hides from the screening
(screen.py), the engine can reach nothing. A second wall behind the first, which lexer tricks
have got through before. Where Linux refuses (no root and no unprivileged user namespaces) the
worker says so, the pool logs it, and `status()` shows `"network": "open"`.

Each worker talks over its own Unix socket pair in length-prefixed frames: a job is one pickled
tuple; a reply is a pickled head (`("ok", media_type)` or an error) and the raw result bytes, in
one write: a quarter less than `multiprocessing.Connection` cost a cheap query's round trip
(two messages, two pickles, a blocking-mode switch per reply; 288 -> 209 µs), which matters
when the query itself takes 50 µs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import pickle
import queue
import select
import socket
import struct
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .errors import (
    Overloaded,
    ProtocolError,
    QueryFailed,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    SaphireError,
    StoreUnavailable,
    UnsupportedFunction,
)
from .store import OxigraphStore, read_manifest

log = logging.getLogger(__name__)

DEMOTED_NICE = 10
SPARE_CPU = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
) > 1
"""Polling instead of sleeping (`SPIN_SECONDS`, `LINGER_SECONDS`) only pays where the poller
does not take the CPU from the process it waits for."""
SPIN_SECONDS = 0.0003
MAX_SPIN_SECONDS = 0.001
"""How long `query_async` polls the worker's socket before it lets the event loop sleep, when
no other query is in flight: a cheap query answers within it, and the front process is not put
to sleep and woken again for the reply (0.64 -> 0.48 ms a cheap uncached request, measured with
a raw-socket client on the real graph). A query seen before is polled for as long as it took
then, and a half more, when that was under `MAX_SPIN_SECONDS` (regions per level, 0.75 ms of
evaluation: 1.16 -> 0.99 ms a request), and not at all when it was longer; one not seen before,
for `SPIN_SECONDS` (adaptive spinning, as adaptive mutexes do). Other requests wait at most
`MAX_SPIN_SECONDS` meanwhile. Queries on demoted workers (runaways) do not count as in flight."""
QUEUE_POLL_SECONDS = 0.002
"""How often a query of the event loop that waits for a worker looks for one (in the loop, not
in a thread each: the threads ran out, and a query waited for one before its deadline began)."""
TIMED_QUERIES = 1024  # query texts whose last evaluation time the pool remembers
TIMED_QUERY_CHARS = 8192  # the longest it remembers
LINGER_SECONDS = 0.002
"""How long a worker that has just answered keeps looking for its next job before it sleeps in
`recv`, yielding the CPU to anything else that wants it: a client sending queries one after the
other finds it awake (a cheap uncached request 0.62 -> 0.41 ms median in the endpoint
benchmark, raw-socket client). An idle worker costs at most this much CPU per query it ran."""


_JOB = struct.Struct("<I")  # a job frame: the length of the pickled job, then the job
_REPLY = struct.Struct("<IQ")  # a reply frame: the lengths of the pickled head and of the body
_SMALL = 64 * 1024  # a reply body up to this is copied into the frame's single write


def _send_reply(sock: socket.socket, head: tuple, body: bytes = b"") -> None:
    """One reply frame from a worker (a blocking socket)."""
    meta = pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL)
    prefix = _REPLY.pack(len(meta), len(body)) + meta
    if len(body) <= _SMALL:
        sock.sendall(prefix + body)
    else:  # no copy of a large body: the frame in two writes
        sock.sendall(prefix)
        sock.sendall(body)


def _receive_job(sock: socket.socket) -> tuple | None:
    """The next job a worker is sent; None when the pool closed the socket (stop). For the
    first `LINGER_SECONDS` it looks without sleeping (see `LINGER_SECONDS`)."""
    until = time.monotonic() + (LINGER_SECONDS if SPARE_CPU else 0.0)
    while time.monotonic() < until:
        try:
            sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK)
            break  # a job has come (or the pool closed the socket)
        except (BlockingIOError, InterruptedError):
            os.sched_yield()  # any process that wants the CPU has it first
    size = sock.recv(_JOB.size, socket.MSG_WAITALL)
    if len(size) < _JOB.size:
        return None
    (length,) = _JOB.unpack(size)
    data = sock.recv(length, socket.MSG_WAITALL)
    if len(data) < length:
        return None
    return pickle.loads(data)


_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


def _without_network() -> bool:
    """Move this process into a network namespace of its own, where no interface is up: it can
    connect to nothing, loopback included. As root directly; otherwise inside a user namespace
    of its own, where Linux allows unprivileged ones. Call it while the process has one thread
    (a user namespace requires it). False where neither is allowed (or not Linux)."""
    try:
        unshare = ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError):
        return False
    return unshare(_CLONE_NEWNET) == 0 or unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


def _worker_main(
    sock: socket.socket,
    path: str,
    max_results: int | None,
    max_bytes: int | None,
    network: bool = True,
) -> None:
    """The loop of one worker process: leave the network unless `network`, open the store,
    then answer jobs until told to stop."""
    isolated = not network and _without_network()
    try:
        store = OxigraphStore(Path(path), max_results=max_results, max_bytes=max_bytes)
    except (SaphireError, OSError) as exc:
        _send_reply(sock, ("failed", str(exc)))
        return
    _send_reply(sock, ("ready", store.version, isolated))
    while True:
        try:
            job = _receive_job(sock)
        except OSError:
            return
        if job is None:
            return
        sparql, accept, default_graphs, named_graphs, limited = job
        try:
            media_type, body = store.query(
                sparql,
                accept,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                limited=limited,
            )
        except QuerySyntaxError as exc:
            reply: tuple = ("syntax", exc.message, exc.line, exc.column)
        except ResultTooLarge as exc:
            reply = ("too_large", exc.limit, exc.unit)
        except QueryFailed as exc:
            reply = ("failed_query", str(exc))
        except ProtocolError as exc:
            reply = ("protocol", str(exc))
        except UnsupportedFunction as exc:
            reply = ("unsupported", exc.function)
        except Exception as exc:  # noqa: BLE001 — the worker's outermost boundary: report, keep serving
            reply = ("internal", f"{type(exc).__name__}: {exc}")
        else:
            try:
                _send_reply(sock, ("ok", media_type), body)
            except OSError:
                return
            continue
        try:
            _send_reply(sock, reply)
        except OSError:
            return


class _Frame:
    """One reply frame being read, without blocking, from a worker's socket."""

    def __init__(self) -> None:
        self._start = bytearray()  # until the lengths are known
        self._data: bytearray | None = None  # then the pickled head and the body
        self._meta = 0
        self._filled = 0

    def read(self, sock: socket.socket) -> bool:
        """Take what the socket holds now; True once the frame is complete. EOFError if the
        worker closed its end (it died)."""
        while True:
            if self._data is None:
                try:
                    chunk = sock.recv(_SMALL, socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    return False
                if not chunk:
                    raise EOFError("the query worker closed its socket")
                self._start += chunk
                if len(self._start) < _REPLY.size:
                    continue
                self._meta, body = _REPLY.unpack_from(self._start)
                rest = self._start[_REPLY.size :]
                self._data = bytearray(self._meta + body)
                self._data[: len(rest)] = rest
                self._filled = len(rest)
                self._start = bytearray()
            if self._filled >= len(self._data):
                return True
            try:
                n = sock.recv_into(
                    memoryview(self._data)[self._filled :], 0, socket.MSG_DONTWAIT
                )
            except (BlockingIOError, InterruptedError):
                return False
            if n == 0:
                raise EOFError("the query worker closed its socket mid-answer")
            self._filled += n

    def parts(self) -> tuple[tuple, bytes]:
        """The head and the body of the complete frame."""
        assert self._data is not None
        view = memoryview(self._data)
        return pickle.loads(view[: self._meta]), bytes(view[self._meta :])


def _send_job(sock: socket.socket, job: tuple) -> None:
    """Write one job frame; the parent's socket may be non-blocking (an event loop watched it),
    and the worker is reading, so a full buffer only means waiting for it to drain."""
    data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_JOB.pack(len(data)) + data)
    writable = select.poll()
    writable.register(sock.fileno(), select.POLLOUT)
    while view:
        try:
            view = view[sock.send(view) :]
        except (BlockingIOError, InterruptedError):
            if not writable.poll(10_000):  # a worker that reads nothing for 10 s is stuck
                raise OSError("the query worker stopped reading its jobs") from None


@dataclass(eq=False)
class _Worker:
    process: Any  # multiprocessing.Process (spawn context)
    sock: socket.socket  # the pool's end of the worker's socket pair
    generation: int
    version: str = ""
    isolated: bool = False  # in a network namespace of its own (`_without_network`)
    demoted: bool = False
    gone: bool = False  # killed or stopped: never handed out again


@dataclass
class PoolStats:
    """Counters the metrics endpoint reads (changed under the pool's lock)."""

    queries: int = 0
    timeouts: int = 0
    killed: int = 0
    spawned: int = 0
    overloaded: int = 0
    busy: int = 0
    last_error: str | None = None
    seconds_by_outcome: dict[str, float] = field(default_factory=dict)


class WorkerPool:
    """A `Store` over the on-disk Oxigraph store at `path`, evaluated in killable worker processes.

    `timeout` is the longest a query may take, queueing included; a caller may ask for less.
    """

    def __init__(
        self,
        path: Path,
        workers: int = 2,
        timeout: float = 10.0,
        max_results: int | None = None,
        max_bytes: int | None = None,
        demote_after: float = 0.5,
        start_timeout: float = 60.0,
        network: bool = True,
    ) -> None:
        manifest = read_manifest(path)
        if manifest is None:
            raise StoreUnavailable(f"no built store at {path.name}: run `saphire-kg build`")
        self.path = path
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_results = max_results
        self.max_bytes = max_bytes
        self.demote_after = demote_after
        self.network = network  # False: workers without network (module doc)
        self._warned = False  # (that a worker could not leave it: said once)
        self.stats = PoolStats()
        self._ctx = mp.get_context("spawn")
        # Last in, first out: a cheap query goes to the worker that has just run one (its caches
        # and CPU are warm; a round robin made every query wake a worker that had gone cold).
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._generation = 0
        self._version = str(manifest["version"])
        self._closed = False
        self._live: set[_Worker] = set()
        self._last_seconds: OrderedDict[str, float] = OrderedDict()  # by query text (`_spin`)
        self._queue: deque[object] = deque()  # event-loop queries waiting for a worker (`_queued`)
        started = [self._start(0) for _ in range(self.size)]
        for w in started:
            self._await_ready(w, start_timeout)
        if not any(w.version for w in started):
            self.close()
            raise StoreUnavailable(f"no query worker could open the store: {self.stats.last_error}")

    # -- the Store protocol ---------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

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
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        started = time.monotonic()
        worker = self._acquire(started + limit, limit)
        assert worker is not None
        with self._job(worker, started) as outcome:
            _send_job(
                worker.sock,
                (sparql, accept, _listed(default_graphs), _listed(named_graphs), limited),
            )
            frame = self._wait(worker, time.monotonic(), started + limit)
            if frame is None:
                self._timed_out(worker, limit, outcome)
            return self._reply(frame, outcome)

    async def query_async(
        self,
        sparql: str,
        accept: str = "application/sparql-results+json",
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        timeout: float | None = None,
        limited: bool = True,
    ) -> tuple[str, bytes]:
        """`query` for an event loop: waits for a worker and for its answer without holding a
        thread, within the same deadline (queueing included).

        If the caller is cancelled meanwhile, a queued query leaves the queue, and a worker
        still evaluating is killed, so its late answer reaches nobody.
        """
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        started = time.monotonic()
        worker = None if self._queue else self._acquire(started + limit, limit, wait=False)
        if worker is None:  # (behind those already waiting)
            worker = await self._queued(started + limit, limit)
        with self._job(worker, started) as outcome:
            _send_job(
                worker.sock,
                (sparql, accept, _listed(default_graphs), _listed(named_graphs), limited),
            )
            sent = time.monotonic()
            try:
                frame = await self._wait_async(worker, sent, started + limit, self._spin(sparql))
            except asyncio.CancelledError:
                outcome[0] = "cancelled"
                self._kill(worker)
                raise
            if frame is None:
                self._timed_out(worker, limit, outcome)
            self._timed(sparql, time.monotonic() - sent)
            return self._reply(frame, outcome)

    async def _queued(self, deadline: float, limit: float) -> _Worker:
        """The first idle worker for a query of the event loop that found none, first come first
        served among them (`QUEUE_POLL_SECONDS`); Overloaded at the deadline. (Callers of the
        blocking `query`, in threads, are not in this queue: a remote store's, a follower's.)"""
        ticket = object()
        self._queue.append(ticket)
        try:
            while True:
                if self._queue[0] is ticket:
                    worker = self._acquire(deadline, limit, wait=False)
                    if worker is not None:
                        return worker
                if time.monotonic() >= deadline:
                    with self._lock:
                        self.stats.overloaded += 1
                    raise Overloaded(limit)
                await asyncio.sleep(QUEUE_POLL_SECONDS)
        finally:
            self._queue.remove(ticket)

    def _spin(self, sparql: str) -> float:
        """How long to poll for this query's answer (`SPIN_SECONDS`)."""
        last = self._last_seconds.get(sparql)
        if last is None:
            return SPIN_SECONDS
        return last * 1.5 if last < MAX_SPIN_SECONDS else 0.0

    def _timed(self, sparql: str, seconds: float) -> None:
        if len(sparql) > TIMED_QUERY_CHARS:
            return  # (a long text is rarely repeated; memory stays within 1024 x 8 K)
        self._last_seconds[sparql] = seconds
        self._last_seconds.move_to_end(sparql)
        if len(self._last_seconds) > TIMED_QUERIES:
            self._last_seconds.popitem(last=False)

    @contextlib.contextmanager
    def _job(self, worker: _Worker, started: float) -> Iterator[list[str]]:
        """Bookkeeping around one job on `worker`; yields its outcome (a one-item list to set)."""
        outcome = ["error"]
        try:
            yield outcome
        except (EOFError, OSError) as exc:  # BrokenPipeError included
            self._kill(worker)
            self.stats.last_error = f"a query worker stopped: {type(exc).__name__}"
            raise StoreUnavailable("the query worker stopped while answering; try again") from exc
        finally:
            with self._lock:  # (threads and the event loop both count)
                self.stats.queries += 1
                self.stats.busy -= 1
                seconds = self.stats.seconds_by_outcome
                seconds[outcome[0]] = seconds.get(outcome[0], 0.0) + time.monotonic() - started
            if outcome[0] not in ("timeout", "cancelled"):
                self._release(worker)

    def _timed_out(self, worker: _Worker, limit: float, outcome: list[str]) -> NoReturn:
        outcome[0] = "timeout"
        with self._lock:
            self.stats.timeouts += 1
        self._kill(worker)
        raise QueryTimeout(limit)

    def _reply(self, frame: _Frame, outcome: list[str]) -> tuple[str, bytes]:
        """The media type and body of a worker's complete reply, or the error it reports."""
        head, body = frame.parts()
        if head[0] != "ok":
            raise _error(head)
        outcome[0] = "ok"
        return head[1], body

    def close(self) -> None:
        """Stop the idle workers; kill the busy ones, whose callers then get StoreUnavailable
        (closing a socket an event loop watches would leave them waiting for the deadline)."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
        idle = set()
        while True:
            try:
                idle.add(self._idle.get_nowait())
            except queue.Empty:
                break
        for w in workers:
            if w in idle:
                self._stop(w)
            else:
                w.process.kill()  # its socket end closes: the waiting caller reads EOF

    # -- reloading ------------------------------------------------------------------------------

    def reload(self, wait: float = 60.0) -> str:
        """Start workers on the store now at `path`; switch to them once one is ready.

        Returns the new version; raises StoreUnavailable (keeping the old workers) if none opens.
        """
        if read_manifest(self.path) is None:
            raise StoreUnavailable(
                "the rebuilt store has no manifest; still serving the previous one"
            )
        generation = self._generation + 1
        fresh = [self._start(generation) for _ in range(self.size)]
        # Not queued before the switch: a query taking one would see a generation not yet
        # current and retire it, unreplaced.
        ready = [w for w in fresh if self._await_ready(w, wait, enqueue=False)]
        if not ready:
            raise StoreUnavailable(
                f"the rebuilt store could not be opened: {self.stats.last_error}"
            )
        with self._lock:
            self._generation = generation
            self._version = ready[0].version
        for w in ready:
            self._idle.put(w)
        self._drain_old()
        return self._version

    def status(self) -> dict[str, Any]:
        with self._lock:
            alive = sum(1 for w in self._live if w.process.is_alive())
            ready = [w for w in self._live if w.version and not w.gone and w.process.is_alive()]
        return {
            "workers": self.size,
            "alive": alive,
            "ready": len(ready),
            "network": "none" if ready and all(w.isolated for w in ready) else "open",
            "busy": self.stats.busy,
            "generation": self._generation,
            "last_error": self.stats.last_error,
        }

    # -- internals ------------------------------------------------------------------------------

    def _start(self, generation: int) -> _Worker:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, str(self.path), self.max_results, self.max_bytes, self.network),
            name=f"saphire-query-{generation}",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent, generation)
        with self._lock:
            self._live.add(worker)
            self.stats.spawned += 1
        return worker

    def _await_ready(self, worker: _Worker, wait: float, enqueue: bool = True) -> bool:
        """Wait for a new worker's first message; if it opened the store, queue it as idle (or
        leave that to the caller: `enqueue=False`)."""
        try:
            frame = self._wait(worker, time.monotonic(), time.monotonic() + wait, demote=False)
            message = frame.parts()[0] if frame else ("failed", "did not start in time")
        except (EOFError, OSError):
            message = ("failed", "exited while opening the store")
        if message[0] != "ready":
            self.stats.last_error = f"query worker: {message[1]}"
            log.error("query worker could not start: %s", message[1])
            self._stop(worker)
            return False
        worker.version = message[1]
        worker.isolated = message[2]
        if not self.network and not worker.isolated and not self._warned:
            self._warned = True
            log.warning(
                "a query worker could not leave the network (no root, no unprivileged user "
                "namespaces): SERVICE is refused by the screening alone"
            )
        if enqueue:
            self._idle.put(worker)
        return True

    def _replace(self) -> None:
        """Start a worker of the current generation in the background (after a kill or retiring)."""
        if self._closed:
            return

        def start() -> None:
            delay = 0.5
            while not self._closed:
                if self._await_ready(self._start(self._generation), 60.0):
                    return
                time.sleep(delay)  # the store may be mid-swap; try again, less and less often
                delay = min(delay * 2, 30.0)

        threading.Thread(target=start, name="saphire-respawn", daemon=True).start()

    def _acquire(self, deadline: float, limit: float, wait: bool = True) -> _Worker | None:
        """An idle worker of the current generation, waiting for one until the deadline (then
        Overloaded), or None at once when `wait` is false and none is idle."""
        while True:
            if self._closed:
                raise StoreUnavailable("the store is closed")
            try:
                if wait:
                    worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.0))
                else:
                    worker = self._idle.get_nowait()
            except queue.Empty:
                if not wait:
                    return None
                with self._lock:
                    self.stats.overloaded += 1
                raise Overloaded(limit) from None
            if (
                worker.gone
                or worker.generation != self._generation
                or not worker.process.is_alive()
            ):
                current = worker.generation == self._generation
                self._stop(worker)
                if current:
                    self._replace()
                continue
            with self._lock:
                self.stats.busy += 1
            return worker

    def _wait(
        self, worker: _Worker, started: float, deadline: float, demote: bool = True
    ) -> _Frame | None:
        """The worker's reply, read as it comes until the deadline (None: not complete by then),
        lowering its priority after a while (`started`: when it began evaluating, not when the
        request began queueing)."""
        frame = _Frame()
        poller = select.poll()
        poller.register(worker.sock.fileno(), select.POLLIN)
        demote_at = started + self.demote_after if demote else deadline
        while not frame.read(worker.sock):
            now = time.monotonic()
            if now >= deadline:
                return None
            if now >= demote_at:
                self._demote(worker)
                demote_at = deadline
            poller.poll(max(1, int((min(deadline, demote_at) - now) * 1000 + 1)))
        return frame

    async def _wait_async(
        self, worker: _Worker, started: float, deadline: float, spin: float = SPIN_SECONDS
    ) -> _Frame | None:
        """`_wait` on the event loop: the worker's socket becoming readable wakes it. With no
        other query in flight it first polls for `spin` seconds (`SPIN_SECONDS`)."""
        loop = asyncio.get_running_loop()
        frame = _Frame()
        if spin > 0 and SPARE_CPU and self._awake_busy() <= 1:
            spin_until = time.monotonic() + min(spin, MAX_SPIN_SECONDS)
            while time.monotonic() < spin_until:
                if frame.read(worker.sock):
                    return frame
        done: asyncio.Future[bool] = loop.create_future()

        def readable() -> None:
            try:
                if frame.read(worker.sock) and not done.done():
                    done.set_result(True)
            except (EOFError, OSError) as exc:
                if not done.done():
                    done.set_exception(exc)

        def late() -> None:
            if not done.done():
                done.set_result(False)

        def demote() -> None:
            readable()  # an answer that came in this same turn of the loop: no demotion
            if not done.done():
                self._demote(worker)

        fd = worker.sock.fileno()
        loop.add_reader(fd, readable)
        timers = [loop.call_later(max(deadline - time.monotonic(), 0.0), late)]
        demote_at = started + self.demote_after
        if demote_at < deadline:
            timers.append(loop.call_later(max(demote_at - time.monotonic(), 0.0), demote))
        try:
            return frame if await done else None
        finally:
            loop.remove_reader(fd)
            for timer in timers:
                timer.cancel()

    def _awake_busy(self) -> int:
        """Queries in flight on workers at normal priority (a demoted runaway takes only idle
        CPU, so polling beside it costs it nothing)."""
        with self._lock:
            demoted = sum(1 for w in self._live if w.demoted)
        return self.stats.busy - demoted

    def _demote(self, worker: _Worker) -> None:
        """Let a long query have only the CPU nothing else wants: SCHED_IDLE where Linux offers
        it (any waking process preempts it at once), else nice 10."""
        pid = worker.process.pid
        try:
            os.setpriority(os.PRIO_PROCESS, pid, DEMOTED_NICE)
            worker.demoted = True
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        except (OSError, AttributeError):
            pass  # not on this platform, or the process has just exited

    def _release(self, worker: _Worker) -> None:
        if worker.gone:
            return
        if worker.demoted:
            try:
                if hasattr(os, "SCHED_IDLE"):
                    os.sched_setscheduler(worker.process.pid, os.SCHED_OTHER, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, worker.process.pid, 0)
                worker.demoted = False
            except (OSError, AttributeError):
                pass  # not allowed here: the worker is replaced below
        if worker.demoted or worker.generation != self._generation or self._closed:
            current = worker.generation == self._generation
            self._stop(worker)
            if current:
                self._replace()
        else:
            self._idle.put(worker)

    def _kill(self, worker: _Worker) -> None:
        """Stop a worker at once (it is running a query), and start its replacement."""
        worker.gone = True
        with self._lock:
            self.stats.killed += 1
            self._live.discard(worker)
        worker.process.kill()
        threading.Thread(target=worker.process.join, args=(5.0,), daemon=True).start()
        worker.sock.close()
        if worker.generation == self._generation:
            self._replace()

    def _stop(self, worker: _Worker) -> None:
        """Stop an idle worker politely (it finishes nothing: it has no job)."""
        worker.gone = True
        with self._lock:
            self._live.discard(worker)
        with contextlib.suppress(OSError):  # it may be gone already; EOF tells it to stop
            worker.sock.shutdown(socket.SHUT_RDWR)
        worker.sock.close()

        def reap() -> None:
            worker.process.join(2.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(2.0)

        threading.Thread(target=reap, daemon=True).start()

    def _drain_old(self) -> None:
        """Retire the old generation's idle workers now; busy ones retire when they come back."""
        kept = []
        while True:
            try:
                w = self._idle.get_nowait()
            except queue.Empty:
                break
            (kept.append(w) if w.generation == self._generation else self._stop(w))
        for w in kept:
            self._idle.put(w)


def _listed(graphs: Sequence[str] | None) -> list[str] | None:
    return None if graphs is None else list(graphs)


def _error(reply: tuple) -> SaphireError:
    kind = reply[0]
    if kind == "syntax":
        return QuerySyntaxError(reply[1], reply[2], reply[3])
    if kind == "too_large":
        return ResultTooLarge(reply[1], reply[2])
    if kind == "failed_query":
        return QueryFailed(reply[1])
    if kind == "protocol":
        return ProtocolError(reply[1])
    if kind == "unsupported":
        return UnsupportedFunction(reply[1])
    log.error("query worker error: %s", reply[1])
    return QueryFailed("the query could not be evaluated (an internal error, logged on the server)")
