"""A real `saphire-kg serve` (or `oxigraph serve`) as a subprocess on a free loopback port.

Readiness is polled (GET /health, or the Oxigraph root), never slept for; stopping sends
SIGTERM to the process the fixture started, then SIGKILL if it lingers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

OXIGRAPH = Path(sys.executable).with_name("oxigraph")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a server's query workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it has just exited
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log: Path
    extra: dict = field(default_factory=dict)

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)


def wait_ready(url: str, process: subprocess.Popen, log: Path, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server not ready after {seconds} s:\n{log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def saphire_server(root: Path, *args: str, env: dict | None = None) -> Iterator[Server]:
    """`saphire-kg serve` for the project at `root` (SAPHIRE_ROOT), with extra CLI `args`."""
    port = free_port()
    log = root / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "saphire_kg", "serve", "--port", str(port), *args],
            cwd=root,
            env={**os.environ, "SAPHIRE_ROOT": str(root), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/health", process, log)
        yield Server(process, base, log)
    finally:
        _stop(process)


@contextmanager
def oxigraph_server(
    location: Path, *args: str, read_only: bool = False, port: int | None = None
) -> Iterator[Server]:
    """The `oxigraph` server from PyPI over the store directory `location`."""
    port = port or free_port()
    log = location.parent / f"oxigraph-{port}.log"
    command = "serve-read-only" if read_only else "serve"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                str(OXIGRAPH),
                command,
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{port}",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/query?query=ASK%7B%7D", process, log)
        yield Server(process, base, log)
    finally:
        _stop(process)
