"""Faults against real processes: a query worker killed mid-query, reloads of broken data, a full
disk during a build. (The remote store going away and coming back: test_remote_store.py.)

Nothing here is mocked: the worker is killed with SIGKILL, the data is really broken, the disk is
really full (a small tmpfs, where this machine lets us mount one) or the build process really may
not write past a file size (RLIMIT_FSIZE: its writes fail with EFBIG, as they would on a quota).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MINI_DATA
from tests.e2e.server import children, saphire_server
from tests.e2e.test_serve import REGIONS, RUNAWAY, make_project

TOKEN = "fault-test-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
_BE = textwrap.dedent(MINI_DATA["data/ttl/regions/BE.ttl"]).lstrip()
# A third region like BE2 (the prefixes and its block), its NUTS level left to fill in.
NEW_REGION = _BE[: _BE.index("region:BE\n")] + _BE[_BE.index("region:BE2\n") :].replace(
    "BE2", "BE3"
).replace("Vlaams Gewest", "Région wallonne").replace(
    "sph:nutsLevel 1 ;", "sph:nutsLevel {level} ;"
)


def _codes(base: str) -> list[str]:
    r = httpx.get(base + "/sparql", params={"query": REGIONS}, timeout=30)
    assert r.status_code == 200, r.text
    return [row["code"]["value"] for row in r.json()["results"]["bindings"]]


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def _busy_worker(server_pid: int, deadline: float) -> int:
    """The query worker that is burning CPU (the one running the runaway query)."""
    workers = [
        p
        for p in children(server_pid)
        if b"multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()
    ]
    before = {p: _cpu_ticks(p) for p in workers}
    while time.monotonic() < deadline:
        time.sleep(0.2)
        grown = [p for p in workers if _cpu_ticks(p) - before[p] >= 10]  # 0.1 s of CPU
        if grown:
            return grown[0]
    raise AssertionError(f"no query worker among {workers} is running the query")


def _wait_for(check, seconds: float = 60.0):  # noqa: ANN001, ANN202 — polls, never asserts on time
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("faults") / "project")
    built = subprocess.run(
        [sys.executable, "-m", "saphire_kg", "build"],
        cwd=root,
        env={**os.environ, "SAPHIRE_ROOT": str(root)},
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    return root


def test_a_worker_killed_mid_query_is_a_503_and_the_server_keeps_serving(project: Path) -> None:
    with saphire_server(project, "--timeout", "120", "--workers", "2") as s:
        answers: list[httpx.Response] = []
        running = threading.Thread(
            target=lambda: answers.append(
                httpx.get(s.sparql, params={"query": RUNAWAY}, timeout=150)
            )
        )
        running.start()
        victim = _busy_worker(s.process.pid, time.monotonic() + 60)
        os.kill(victim, signal.SIGKILL)
        running.join(150)
        (killed,) = answers
        assert killed.status_code == 503, killed.text
        assert "worker stopped" in killed.text and killed.headers["retry-after"]
        assert "Traceback" not in killed.text
        assert _codes(s.base) == ["BE", "BE2"]  # still serving
        health = _wait_for(
            lambda: (h := httpx.get(s.base + "/health").json())["workers"]["alive"] == 2 and h
        )
        assert health and health["status"] == "ok"
        assert victim not in children(s.process.pid)


def test_a_client_that_goes_away_stops_its_query(project: Path) -> None:
    """A client that gives up on a runaway query (its connection closed) does not leave a worker
    on it until the deadline (120 s here): the worker is killed and replaced, and the access log
    says 499 (a reviewer's case: the worker stayed busy until the deadline)."""
    with saphire_server(project, "--timeout", "120", "--workers", "2") as s:
        running = threading.Thread(target=_gives_up, args=(s.sparql,))
        running.start()
        victim = _busy_worker(s.process.pid, time.monotonic() + 60)
        running.join()
        assert _wait_for(lambda: victim not in children(s.process.pid), 60)
        busy = lambda: httpx.get(s.base + "/health").json()["workers"]["busy"]  # noqa: E731
        assert _wait_for(lambda: busy() == 0, 30) is True
        assert _codes(s.base) == ["BE", "BE2"]  # still serving
        assert '"status": 499' in s.log.read_text() or '"status":499' in s.log.read_text()


def _gives_up(url: str) -> None:
    with contextlib.suppress(httpx.ReadTimeout):
        httpx.get(url, params={"query": RUNAWAY}, timeout=httpx.Timeout(60, read=2))
        raise AssertionError("the runaway query was answered")


@pytest.fixture
def reloading(project: Path) -> Iterator:
    with saphire_server(project, env={"SAPHIRE_ADMIN_TOKEN": TOKEN}) as s:
        yield s
    for name in ("BE3.ttl", "broken.ttl"):
        (project / "data/ttl/regions" / name).unlink(missing_ok=True)


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        (
            "broken.ttl",
            "@prefix region: <https://w3id.org/saphire/id/region/> .\n\nregion:BE3 a ;\n",
            ["parse error", "data/ttl/regions/broken.ttl:3"],
        ),
        (
            "BE3.ttl",
            NEW_REGION.replace("{level}", '"one"'),
            ["validation failed", "data/ttl/regions/BE3.ttl:17", "wrong NUTS level"],
        ),
    ],
    ids=["broken-turtle", "failing-shape"],
)
def test_a_failed_reload_keeps_the_old_graph_and_says_why(
    project: Path, reloading, name: str, text: str, says: list[str]
) -> None:
    s = reloading
    version = httpx.get(s.base + "/health").json()["dataset_version"]
    (project / "data/ttl/regions" / name).write_text(text, encoding="utf-8")
    r = httpx.post(s.base + "/admin/reload", headers=AUTH, timeout=300)
    assert r.status_code == 409, r.text
    report = r.text
    for phrase in says:
        assert phrase in report
    assert "still serving the previous graph" in r.json()["detail"]
    assert _codes(s.base) == ["BE", "BE2"]
    health = httpx.get(s.base + "/health").json()
    assert health["dataset_version"] == version and health["status"] == "degraded"
    assert "still serving the previous graph" in health["reload"]["last_error"]


def test_a_mended_reload_after_a_failed_one_serves_the_new_graph(project: Path, reloading) -> None:
    s = reloading
    (project / "data/ttl/regions/broken.ttl").write_text(
        "@prefix : <x> .\n:a :b ;\n", encoding="utf-8"
    )
    assert httpx.post(s.base + "/admin/reload", headers=AUTH, timeout=300).status_code == 409
    (project / "data/ttl/regions/broken.ttl").unlink()
    (project / "data/ttl/regions/BE3.ttl").write_text(
        NEW_REGION.replace("{level}", "1"), encoding="utf-8"
    )
    ok = httpx.post(s.base + "/admin/reload", headers=AUTH, timeout=300)
    assert ok.status_code == 200, ok.text
    assert _codes(s.base) == ["BE", "BE2", "BE3"]
    assert httpx.get(s.base + "/health").json()["status"] == "ok"


def test_a_good_reload_serves_the_new_graph(project: Path, reloading) -> None:
    s = reloading
    version = httpx.get(s.base + "/health").json()["dataset_version"]
    text = NEW_REGION.replace("{level}", "1").replace("Région wallonne", "Wallonie")
    (project / "data/ttl/regions/BE3.ttl").write_text(text, encoding="utf-8")
    ok = httpx.post(s.base + "/admin/reload", headers=AUTH, timeout=300)
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] != version
    assert _codes(s.base) == ["BE", "BE2", "BE3"]
    assert httpx.get(s.base + "/health").json()["status"] == "ok"


# -- a full disk during a build ------------------------------------------------------------------


def _build(root: Path, limit: int | None = None) -> subprocess.CompletedProcess:
    def no_bigger_files() -> None:  # in the child: writes past `limit` bytes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "saphire_kg", "build"],
        cwd=root,
        env={**os.environ, "SAPHIRE_ROOT": str(root)},
        capture_output=True,
        text=True,
        preexec_fn=no_bigger_files if limit is not None else None,
        timeout=300,
    )


def _store_state(root: Path) -> tuple[str, list[str], list[str]]:
    manifest = (root / "build/store/manifest.json").read_text()
    from saphire_kg.store import OxigraphStore

    store = OxigraphStore(root / "build/store")
    try:
        codes = sorted(
            row["c"]
            for row in store.select(
                "SELECT ?c WHERE { ?r <https://w3id.org/saphire/ontology#nutsCode> ?c }"
            )
        )
    finally:
        store.close()
    leftovers = sorted(p.name for p in (root / "build").iterdir() if p.name.startswith(".store"))
    return manifest, codes, leftovers


@contextlib.contextmanager
def _small_tmpfs(where: Path, size: str) -> Iterator[None]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(folder: Path, leave: int) -> Path:
    """A file that takes all the free space of `folder`'s file system but `leave` bytes."""
    filler = folder / "filler"
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "wb") as f, contextlib.suppress(OSError):
        f.write(b"\0" * max(free - leave, 0))
    return filler


@pytest.mark.parametrize("how", ["tmpfs-full", "file-size-limit"])
def test_a_full_disk_during_a_build_leaves_the_previous_build_intact(
    tmp_path: Path, how: str
) -> None:
    root = make_project(tmp_path / "project")
    with contextlib.ExitStack() as stack:
        if how == "tmpfs-full":
            stack.enter_context(_small_tmpfs(root / "build", "8m"))
        first = _build(root)
        assert first.returncode == 0, first.stderr
        before = _store_state(root)
        assert before[1] == ["BE", "BE2"]
        (root / "data/ttl/regions/BE3.ttl").write_text(
            NEW_REGION.replace("{level}", "1"), encoding="utf-8"
        )
        if how == "tmpfs-full":
            filler = _fill(root / "build", leave=96 * 1024)
            failed = _build(root)
        else:
            failed = _build(root, limit=96 * 1024)
        assert failed.returncode != 0
        message = failed.stderr + failed.stdout
        assert "previous build is untouched" in message
        assert (
            "could not write the store" if how == "tmpfs-full" else "could not be written"
        ) in message
        # reported, not crashed (owlready2's temp file may still print an "Exception ignored"
        # from its finaliser when the reasoner input hit the limit)
        assert "<frozen runpy>" not in message
        assert _store_state(root) == before  # same manifest, same graph, no half-written store
        if how == "tmpfs-full":
            filler.unlink()
        again = _build(root)
        assert again.returncode == 0, again.stderr
        assert _store_state(root)[1] == ["BE", "BE2", "BE3"]
