"""Benchmark of `saphire-kg serve` against `oxigraph serve-read-only` on the same store (not a test).

    python benchmarks/endpoint.py [--store DIR] [--repeat 40] [--block 1,10] [--timeout 2]
        [--client raw|httpx|both]

Builds the real data (a copy of ontology/, shapes/ and data/ttl/ in a temporary project, so the
checkout's build/ is left alone) unless `--store` names a built store directory, then starts,
on loopback ports:

- ours, uncached: `saphire-kg serve` with the answer cache off (every request is evaluated);
- ours, cached: the same with the cache on;
- Oxigraph: `oxigraph serve-read-only --union-default-graph` on the same store directory.

For each query of the mix it prints median and p95 latency (sequential requests on one
keep-alive connection per server, the servers taking turns: `--block` requests each, so that
background load hits all alike) and throughput (4 concurrent clients), and the ratios: ours
uncached / Oxigraph (target <= 1.2) and Oxigraph / ours cached (target >= 10). It measures with two
clients, each in its own table: a raw-socket HTTP/1.1 client (tens of microseconds a request:
the servers' own figures) and httpx (what a Python program sees; its half a millisecond a
request compresses every ratio of a cheap query towards 1). Both ask for the identity encoding,
as Oxigraph answers; then what gzip costs and saves on two of ours is measured apart. Each request of the mix is also
sent to the floor, a bare uvicorn app answering a constant body: the least any Python ASGI
server can take per request, so Oxigraph / floor bounds the cached ratio of each query. Then
the runaway case: a cross product sent to ours (timeout `--timeout` s) must come back 503 within timeout + 1 s,
while a cheap query's p95 stays under 2x its idle p95.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.server import free_port, oxigraph_server, saphire_server, wait_ready  # noqa: E402

P = """PREFIX sph: <https://w3id.org/saphire/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
"""
MIX = {
    "point lookup": P + "SELECT ?label WHERE { ?r sph:nutsCode 'BE2' ; skos:prefLabel ?label }",
    "regions per level": P
    + "SELECT ?level (COUNT(?r) AS ?n) WHERE { ?r sph:nutsLevel ?level } GROUP BY ?level ORDER BY ?level",
    "memberships": P
    + """SELECT ?region ?initiative ?role WHERE {
  ?m a sph:Membership ; org:member ?r ; org:organization ?i .
  OPTIONAL { ?m org:role ?role }
  ?r skos:prefLabel ?region . ?i skos:prefLabel ?initiative .
} ORDER BY ?initiative ?region""",
    "typologies": P
    + "SELECT ?t (COUNT(?r) AS ?n) WHERE { ?r sph:hasTypology ?t } GROUP BY ?t ORDER BY DESC(?n)",
    "density by country": P
    + """SELECT ?country (AVG(?d) AS ?density) (COUNT(?o) AS ?n) WHERE {
  ?o sdmxd:refArea ?r ; sph:populationDensity ?d .
  ?r sph:nutsLevel 2 ; skos:broader/skos:broader ?c .
  ?c sph:nutsCode ?country .
} GROUP BY ?country ORDER BY DESC(?density)""",
    "ageing top 20": P
    + """SELECT ?code ?year ?share WHERE {
  ?o sdmxd:refArea ?r ; sph:shareAged65Plus ?share ; sph:refYear ?year .
  ?r sph:nutsCode ?code .
} ORDER BY DESC(?share) ?code LIMIT 20""",
    "all observations (CSV)": P + "SELECT ?o ?r ?y WHERE { ?o sdmxd:refArea ?r ; sph:refYear ?y }",
    "describe region (Turtle)": "DESCRIBE <https://w3id.org/saphire/id/region/BE2>",
}
ACCEPT = {"all observations (CSV)": "text/csv", "describe region (Turtle)": "text/turtle"}
_VALUES = "{ " + " ".join(str(i) for i in range(40)) + " }"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) { " + " ".join(f"VALUES ?v{i} {_VALUES}" for i in range(6)) + " }"
)
CHEAP = MIX["point lookup"]


def build_copy(workdir: Path) -> Path:
    """Copy the inputs into a fresh project and build it there (the checkout's build/ is untouched)."""
    root = workdir / "project"
    for part in ("ontology", "shapes", "data/ttl"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    started = time.perf_counter()
    env = {**os.environ, "SAPHIRE_ROOT": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "saphire_kg", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stdout}\n{done.stderr}")
    print(
        f"built the real data in {time.perf_counter() - started:.1f} s: {done.stdout.splitlines()[0]}"
    )
    return root


def project_with_store(workdir: Path, store: Path) -> Path:
    root = workdir / "project"
    (root / "build").mkdir(parents=True)
    (root / "build" / "store").symlink_to(store.resolve())
    return root


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on one socket: the request out; status, headers and
    the body (Content-Length or chunked) in; nothing else. It costs tens of microseconds a
    request where httpx costs about half a millisecond (h11 parses every header in Python), so
    its figures are the servers' own: ratios of sub-millisecond answers measured through httpx
    are mostly the client's."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.path = parts.path
        self.host = parts.netloc
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def get(self, query: str, accept: str, encoding: str | None = None) -> tuple[int, bytes]:
        """Status and body as sent (`encoding`: an Accept-Encoding; the body stays encoded)."""
        target = self.path + "?" + urllib.parse.urlencode({"query": query})
        extra = f"Accept-Encoding: {encoding}\r\n" if encoding else ""
        self.sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\nAccept: {accept}\r\n{extra}\r\n".encode()
        )
        status = int(self.reader.readline().split()[1])
        length, chunked = 0, False
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if not chunked:
            return status, self.reader.read(length)
        chunks = []
        while size := int(self.reader.readline().split(b";")[0], 16):
            chunks.append(self.reader.read(size))
            self.reader.readline()
        while self.reader.readline() not in (b"\r\n", b""):
            pass  # trailers
        return status, b"".join(chunks)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class HttpxClient:
    """httpx, as a Python program would use it (its per-request cost is part of what it sees)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(timeout=60)

    def get(self, query: str, accept: str) -> tuple[int, bytes]:
        headers = {"accept": accept, "accept-encoding": "identity"}  # (as Oxigraph answers)
        r = self.client.get(self.url, params={"query": query}, headers=headers)
        return r.status_code, r.content

    def close(self) -> None:
        self.client.close()


CLIENTS = {"raw": RawClient, "httpx": HttpxClient}
Client = RawClient | HttpxClient


def timed(client: Client, query: str, accept: str) -> float:
    started = time.perf_counter()
    status, body = client.get(query, accept)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{status} {body[:300]!r}")
    return elapsed


def interleaved(
    kind: str, urls: tuple[str, ...], query: str, accept: str, repeat: int, block: int
) -> list[list[float]]:
    """Latencies per server: `block` requests to each in turn, until each has had `repeat`, so
    background load hits all alike. With a block of 1 every request finds its server idle since
    the other servers' requests (woken from sleep, its caches cold); a longer block measures a
    server answering a stream of requests, as a busy service does."""
    clients = [CLIENTS[kind](url) for url in urls]
    try:
        for client in clients:
            for _ in range(3):
                timed(client, query, accept)
        found: list[list[float]] = [[] for _ in urls]
        while len(found[0]) < repeat:
            for i, client in enumerate(clients):
                for _ in range(min(block, repeat - len(found[i]))):
                    found[i].append(timed(client, query, accept))
        return found
    finally:
        for client in clients:
            client.close()


def throughput(kind: str, url: str, query: str, accept: str, total: int, clients: int = 4) -> float:
    def worker(n: int) -> None:
        client = CLIENTS[kind](url)
        try:
            for _ in range(n):
                timed(client, query, accept)
        finally:
            client.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, [total // clients] * clients))
    return (total // clients * clients) / (time.perf_counter() - started)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def run_mix(
    kind: str, ours: str, cached: str, oxigraph: str, floor: str, repeat: int, block: int
) -> None:
    print(
        f"\nclient: {kind} ({CLIENTS[kind].__doc__.split(':')[0].split(' (')[0].lower()}); "
        + ("one request to each server in turn" if block == 1 else f"{block} requests to each server in turn")
    )
    print(
        f"{'query':26} | {'ours uncached ms':>20} | {'Oxigraph ms':>20} | {'ours cached ms':>20} | "
        f"{'floor ms':>8} | {'req/s ours':>10} {'oxi':>7} {'cached':>7} | "
        f"{'uncached/oxi':>12} {'oxi/cached':>10} {'oxi/floor':>9}"
    )
    print(
        f"{'':26} | {'median':>9} {'p95':>10} | {'median':>9} {'p95':>10} | {'median':>9} {'p95':>10} | "
        f"{'median':>8} |"
    )
    print("-" * 172)
    ratios_uncached, ratios_cached, bounds = [], [], []
    for name, query in MIX.items():
        accept = ACCEPT.get(name, "application/sparql-results+json")
        a, b, c, d = interleaved(
            kind, (ours, oxigraph, cached, floor), query, accept, repeat, block
        )
        total = max(20, min(200, int(2.0 / max(statistics.median(b), 1e-4))))
        ta = throughput(kind, ours, query, accept, total)
        tb = throughput(kind, oxigraph, query, accept, total)
        tc = throughput(kind, cached, query, accept, total)
        r1 = statistics.median(a) / statistics.median(b)
        r2 = statistics.median(b) / statistics.median(c)
        bound = statistics.median(b) / statistics.median(d)
        ratios_uncached.append(r1)
        ratios_cached.append(r2)
        bounds.append(bound)
        print(
            f"{name:26} | {ms(statistics.median(a))} {ms(p95(a))}   | {ms(statistics.median(b))} {ms(p95(b))}   | "
            f"{ms(statistics.median(c))} {ms(p95(c))}   | {ms(statistics.median(d))} | "
            f"{ta:10.0f} {tb:7.0f} {tc:7.0f} | {r1:12.2f} {r2:10.1f} {bound:9.1f}"
        )
    print("-" * 172)
    print(
        f"geometric mean: ours uncached / Oxigraph = {statistics.geometric_mean(ratios_uncached):.2f} (target <= 1.2); "
        f"Oxigraph / ours cached = {statistics.geometric_mean(ratios_cached):.1f} (target >= 10); "
        f"Oxigraph / floor = {statistics.geometric_mean(bounds):.1f} (the most any cache behind a "
        "Python ASGI server could reach)"
    )


_FLOOR_APP = """
import sys, uvicorn
BODY = b'{"head":{"vars":["label"]},"results":{"bindings":[]}}'
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/sparql-results+json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)
"""


@contextmanager
def floor_server():
    """The floor: a bare uvicorn app that answers every request at once with a constant body
    (no query, no headers to speak of). What it costs a client is the least any Python ASGI
    server can take per request; Oxigraph's time over it bounds a cached answer's ratio."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", _FLOOR_APP, str(port)])
    try:
        url = f"http://127.0.0.1:{port}/sparql"
        wait_ready(url, process, Path(os.devnull), 30)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def cheap_while(url: str, running: Callable[[], bool]) -> list[float]:
    """Latencies of the cheap query, sent one after the other while `running()` (each text
    differs by a comment, so that both phases pay the same screening)."""
    found: list[float] = []
    client = HttpxClient(url)
    try:
        timed(client, CHEAP, "application/sparql-results+json")
        while running():
            found.append(
                timed(client, CHEAP + f" # {len(found)}", "application/sparql-results+json")
            )
    finally:
        client.close()
    return found


GZIP_QUERIES = ("memberships", "all observations (CSV)")


def run_gzip(ours: str, cached: str, repeat: int) -> None:
    """What gzip costs and saves on two answers (ours only: Oxigraph compresses nothing): bytes
    sent and median latency with and without `Accept-Encoding: gzip`, raw-socket client."""
    print()
    print("gzip (ours; raw-socket client, the body left compressed):")
    for name in GZIP_QUERIES:
        query, accept = MIX[name], ACCEPT.get(name, "application/sparql-results+json")
        for label, url in (("uncached", ours), ("cached", cached)):
            client = RawClient(url)
            try:
                figures = []
                for encoding in (None, "gzip"):
                    _, body = client.get(query, accept, encoding)
                    times = []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        client.get(query, accept, encoding)
                        times.append(time.perf_counter() - started)
                    figures.append((len(body), statistics.median(times)))
            finally:
                client.close()
            (plain, t_plain), (packed, t_packed) = figures
            print(
                f"  {name:26} {label:8}: {plain:9d} -> {packed:8d} bytes ({plain / packed:4.1f}x); "
                f"median {ms(t_plain).strip()} -> {ms(t_packed).strip()} ms"
            )


def run_runaway(url: str, timeout: float) -> None:
    """The runaway query against ours; the cheap query's latency over `timeout` seconds before it
    (idle) and while it runs (busy): equal windows, so background load weighs on both alike."""
    print()
    until = time.perf_counter() + timeout
    idle = cheap_while(url, lambda: time.perf_counter() < until)
    outcome: dict = {}

    def runaway() -> None:
        started = time.perf_counter()
        r = httpx.get(url, params={"query": RUNAWAY}, timeout=120)
        outcome.update(
            status=r.status_code, seconds=time.perf_counter() - started, body=r.text.strip()
        )

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.05)
    busy = cheap_while(url, thread.is_alive)
    thread.join()
    stopped = outcome["status"] == 503 and outcome["seconds"] <= timeout + 1
    ratio = p95(busy) / p95(idle)
    print(f"runaway cross product (40^6 rows), timeout {timeout:g} s:")
    print(
        f"  answer: HTTP {outcome['status']} after {outcome['seconds']:.2f} s ({'OK' if stopped else 'FAIL'}: within timeout + 1 s)"
    )
    print(f"  body: {outcome['body'][:160]}")
    print(
        f"  cheap query, {timeout:g} s idle: {len(idle)} requests, median {ms(statistics.median(idle)).strip()} ms, "
        f"p95 {ms(p95(idle)).strip()} ms"
    )
    print(
        f"  cheap query while it ran: {len(busy)} requests, median {ms(statistics.median(busy)).strip()} ms, "
        f"p95 {ms(p95(busy)).strip()} ms; p95 ratio {ratio:.2f} ({'OK' if ratio < 2 else 'FAIL'}: < 2)"
    )


@contextmanager
def servers(root: Path):
    """Ours without and with the answer cache (timeout 60 s: the mix measures speed, not limits),
    Oxigraph, and the floor."""
    with ExitStack() as stack:
        ours = stack.enter_context(
            saphire_server(root, "--timeout", "60", env={"SAPHIRE_CACHE_ENTRIES": "0"})
        )
        cached = stack.enter_context(saphire_server(root, "--timeout", "60"))
        ox = stack.enter_context(
            oxigraph_server(root / "build" / "store", "--union-default-graph", read_only=True)
        )
        floor = stack.enter_context(floor_server())
        yield ours.sparql, cached.sparql, ox.base + "/query", floor


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", type=Path, help="a built store directory (default: build the real data)"
    )
    parser.add_argument(
        "--repeat", type=int, default=40, help="sequential requests per query and server"
    )
    parser.add_argument(
        "--block",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 10],
        help="consecutive requests to one server before the next, one table each (default "
        "1,10: every request finding its server idle, then a stream of ten)",
    )
    parser.add_argument(
        "--timeout", type=float, default=2.0, help="our query timeout for the runaway case"
    )
    parser.add_argument(
        "--client",
        choices=["raw", "httpx", "both"],
        default="both",
        help="the measuring client(s) of the mix (default: both, each its own table)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="saphire-bench-") as tmp:
        workdir = Path(tmp)
        root = project_with_store(workdir, args.store) if args.store else build_copy(workdir)
        with servers(root) as (ours, cached, oxigraph, floor):
            version = httpx.get(ours.replace("/sparql", "/health")).json()["dataset_version"]
            count = httpx.get(
                oxigraph,
                params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                headers={"accept": "text/csv"},
            ).text.split()[-1]
            print(
                f"dataset {version}: {count} triples; {os.cpu_count()} CPUs; ours: 2 query workers; "
                f"{args.repeat} sequential requests per query, then 4 concurrent clients"
            )
            kinds = ["raw", "httpx"] if args.client == "both" else [args.client]
            for kind in kinds:
                for block in args.block:
                    run_mix(kind, ours, cached, oxigraph, floor, args.repeat, block)
            run_gzip(ours, cached, args.repeat)
        with saphire_server(
            root, "--timeout", str(args.timeout), env={"SAPHIRE_CACHE_ENTRIES": "0"}
        ) as limited:
            run_runaway(limited.sparql, args.timeout)


if __name__ == "__main__":
    main()
