"""Load test of `saphire-kg serve` on loopback (not a test): many clients, then a runaway query.

    python benchmarks/load.py [--store DIR] [--clients 8 32] [--duration 60] [--runaway-every 5]
                              [--timeout 5] [--workers 3]

Builds the real data (a copy of the checkout's inputs and queries in a temporary project)
unless `--store` names a built store directory, starts the server on a free loopback port, and
runs, for each number of clients, two scenarios of `--duration` seconds each (the server with a
5 s query timeout and 3 query workers: a runaway arriving every 5 s holds at most one of them,
demoted to a lower CPU priority):

- steady: every client loops over a mix of canned analyses (`/queries/…` with their documented
  examples), ad-hoc `/sparql` queries (with a random LIMIT, OFFSET or code, so most are not in
  the answer cache) and page views (`/regions`, region pages, `/id/…` as HTML, the query page);
- runaway: the same, while a cross product that can only time out (503) arrives every
  `--runaway-every` seconds.

It prints, per scenario: requests, errors (any status >= 400 or transport error outside the
runaway requests), throughput, p50/p95/p99 latency, and the server's resident memory (its own
process, and with its query workers) after a warm-up and at the end. It passes when there are
no errors, the server process's memory grows less than 10% during each scenario, and under the
runaway the p95 stays within 2x the steady p95 for the same clients. Every client comes from
127.0.0.1, so the per-client concurrency limit (429) is switched off for the run
(SAPHIRE_CLIENT_CONCURRENCY=off): otherwise 32 simulated clients are one client to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.endpoint import RUNAWAY, build_copy, project_with_store  # noqa: E402
from saphire_kg.catalog import load_catalog  # noqa: E402
from tests.e2e.server import children, free_port, wait_ready  # noqa: E402

P = """PREFIX sph: <https://w3id.org/saphire/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
AD_HOC = [
    P + "SELECT ?r ?l WHERE {{ ?r sph:nutsCode ?c ; skos:prefLabel ?l }} ORDER BY ?c LIMIT {n}",
    P + "SELECT ?level (COUNT(?r) AS ?k) WHERE {{ ?r sph:nutsLevel ?level }} GROUP BY ?level "
    "HAVING (COUNT(?r) > {n})",
    P + "SELECT ?p (COUNT(*) AS ?k) WHERE {{ ?s ?p ?o }} GROUP BY ?p ORDER BY DESC(?k) "
    "OFFSET {n} LIMIT 5",
    P + "ASK {{ ?r sph:nutsLevel {level} ; sph:nutsCode ?c FILTER(STRLEN(?c) = {len}) }}",
    P + "DESCRIBE ?r WHERE {{ ?r sph:nutsCode ?c }} OFFSET {n} LIMIT 1",
]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    runaway_sent: int = 0
    runaway_statuses: dict[int, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def requests_mix(root: Path, codes: list[str]) -> list[tuple[str, str, dict, dict]]:
    """(kind, path, params, headers) of the fixed part of the mix: canned analyses and pages."""
    mix: list[tuple[str, str, dict, dict]] = []
    for query in load_catalog(root / "queries"):
        mix.append(("canned", f"/queries/{query.name}", query.examples(), {}))
    html = {"accept": "text/html"}
    mix.append(("page", "/regions", {}, html))
    mix.append(("page", "/sparql", {}, html))
    for code in codes[:20]:
        mix.append(("page", f"/id/region/{code}", {}, html))
    return mix


def ad_hoc(rng: random.Random) -> tuple[str, str, dict, dict]:
    template = rng.choice(AD_HOC)
    query = template.format(n=rng.randint(1, 400), level=rng.randint(0, 3), len=rng.randint(2, 5))
    accept = "text/turtle" if "DESCRIBE" in template else "application/sparql-results+json"
    return ("ad-hoc", "/sparql", {"query": query}, {"accept": accept})


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(pid: int) -> tuple[int, int]:
    """(server process RSS, RSS with its children) in KiB."""
    own = rss_kib(pid)
    total = own
    for child in children(pid):
        with contextlib.suppress(OSError):  # it may have just exited
            total += rss_kib(child)
    return own, total


async def client_loop(
    client: httpx.AsyncClient, mix: list, rng: random.Random, until: float, tally: Tally | None
) -> None:
    while time.monotonic() < until:
        kind, path, params, headers = ad_hoc(rng) if rng.random() < 0.35 else rng.choice(mix)
        started = time.perf_counter()
        try:
            r = await client.get(path, params=params, headers=headers)
            status = r.status_code
        except httpx.HTTPError as exc:
            status = None
            what = f"{kind} {path}: {type(exc).__name__}"
        elapsed = time.perf_counter() - started
        if tally is None:
            continue
        tally.latencies.append(elapsed)
        if status is None:
            tally.error(what)
        elif status >= 400:
            tally.error(f"{kind} {path}: {status}")


async def runaway_loop(client: httpx.AsyncClient, every: float, until: float, tally: Tally) -> None:
    while time.monotonic() + every < until:
        await asyncio.sleep(every)
        nonce = random.random()
        tally.runaway_sent += 1
        try:
            r = await client.get("/sparql", params={"query": RUNAWAY + f" # {nonce}"})
            tally.runaway_statuses[r.status_code] = tally.runaway_statuses.get(r.status_code, 0) + 1
        except httpx.HTTPError:
            tally.runaway_statuses[0] = tally.runaway_statuses.get(0, 0) + 1


async def scenario(
    base: str,
    pid: int,
    mix: list,
    clients: int,
    duration: float,
    warmup: float,
    runaway: float | None,
) -> dict:
    rng = random.Random(clients * 7919 + (1 if runaway else 0))
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        warm_until = time.monotonic() + warmup
        await asyncio.gather(
            *(
                client_loop(client, mix, random.Random(rng.random()), warm_until, None)
                for _ in range(clients)
            )
        )
        before = memory(pid)
        tally = Tally()
        started = time.monotonic()
        until = started + duration
        tasks = [
            client_loop(client, mix, random.Random(rng.random()), until, tally)
            for _ in range(clients)
        ]
        if runaway:
            tasks.append(runaway_loop(client, runaway, until, tally))
        await asyncio.gather(*tasks)
        seconds = time.monotonic() - started
        after = memory(pid)
    lat = sorted(tally.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [0.0] * 99
    return {
        "clients": clients,
        "scenario": "runaway" if runaway else "steady",
        "requests": len(lat),
        "errors": sum(tally.errors.values()),
        "error_kinds": tally.errors,
        "rps": len(lat) / seconds,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
        "rss_before": before,
        "rss_after": after,
        "runaway_sent": tally.runaway_sent,
        "runaway_statuses": tally.runaway_statuses,
    }


def region_codes(base: str) -> list[str]:
    query = P + "SELECT ?c WHERE { ?r a sph:ObservatoryRegion ; sph:nutsCode ?c } ORDER BY ?c"
    r = httpx.get(
        base + "/sparql?query=" + quote(query), headers={"accept": "text/csv"}, timeout=60
    )
    r.raise_for_status()
    return [line.strip() for line in r.text.splitlines()[1:] if line.strip()]


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'clients':>7} {'scenario':>8} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'server RSS MiB (growth)':>24} "
        f"{'+workers MiB':>13} {'runaway 503/sent':>16}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        own0, all0 = r["rss_before"]
        own1, all1 = r["rss_after"]
        growth = (own1 - own0) / own0 * 100 if own0 else 0.0
        runaway = (
            f"{r['runaway_statuses'].get(503, 0)}/{r['runaway_sent']}" if r["runaway_sent"] else "-"
        )
        print(
            f"{r['clients']:>7} {r['scenario']:>8} {r['requests']:>8} {r['errors']:>6} "
            f"{r['rps']:>7.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} "
            f"{own0 / 1024:>9.1f} -> {own1 / 1024:>6.1f} ({growth:+.1f}%) "
            f"{all0 / 1024:>6.0f}->{all1 / 1024:<6.0f} {runaway:>16}"
        )


def verdict(rows: list[dict]) -> list[str]:
    problems = []
    steady = {r["clients"]: r for r in rows if r["scenario"] == "steady"}
    for r in rows:
        name = f"{r['clients']} clients, {r['scenario']}"
        if r["errors"]:
            problems.append(f"{name}: {r['errors']} errors {r['error_kinds']}")
        own0, own1 = r["rss_before"][0], r["rss_after"][0]
        if own0 and (own1 - own0) / own0 >= 0.10:
            problems.append(f"{name}: server RSS grew {(own1 - own0) / own0:.1%}")
        if r["scenario"] == "runaway" and r["clients"] in steady:
            ratio = r["p95"] / steady[r["clients"]]["p95"]
            print(f"{name}: p95 {ratio:.2f}x the steady p95")
            if ratio > 2:
                problems.append(f"{name}: p95 {ratio:.2f}x the steady p95 (limit 2x)")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--store", type=Path, help="a built store directory (default: build the real data)"
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per scenario")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of load before measuring"
    )
    parser.add_argument("--runaway-every", type=float, default=5.0, metavar="S")
    parser.add_argument("--timeout", type=float, default=5.0, help="the server's query timeout (s)")
    parser.add_argument(
        "--workers", type=int, default=3, help="query workers (one more than the runaway takes)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="saphire-load-") as tmp:
        work = Path(tmp)
        root = project_with_store(work, args.store) if args.store else build_copy(work)
        if not (root / "queries").exists():
            shutil.copytree(REPO / "queries", root / "queries")
        port = free_port()
        log = work / "serve.log"
        command = [
            sys.executable,
            "-m",
            "saphire_kg",
            "serve",
            "--port",
            str(port),
            "--timeout",
            str(args.timeout),
        ]
        if args.workers:
            command += ["--workers", str(args.workers)]
        env = {**os.environ, "SAPHIRE_ROOT": str(root), "SAPHIRE_CLIENT_CONCURRENCY": "off"}
        with open(log, "wb") as out:
            server = subprocess.Popen(
                command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base + "/health", server, log)
            mix = requests_mix(root, region_codes(base))
            print(
                f"server pid {server.pid} on {base}; mix: {len(mix)} fixed requests "
                "+ ad-hoc queries; "
                f"timeout {args.timeout:g} s; {args.duration:g} s per scenario"
            )
            rows = []
            for clients in args.clients:
                for runaway in (None, args.runaway_every):
                    rows.append(
                        asyncio.run(
                            scenario(
                                base, server.pid, mix, clients, args.duration, args.warmup, runaway
                            )
                        )
                    )
                    print(f"  done: {clients} clients, {rows[-1]['scenario']}", flush=True)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    print()
    print_table(rows)
    problems = verdict(rows)
    print("PASS" if not problems else "FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
