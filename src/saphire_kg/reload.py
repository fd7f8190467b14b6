"""Rebuild and reload while serving: on a change to the inputs (or a signal), build, then swap.

The build runs in a child process (validation and reasoning are heavy, and a crash there must
not take the server down); it writes a new store directory and swaps it in only when it
succeeds (store.write_store), so a failed rebuild leaves the last good graph in place. Then
the store is told to reload (the worker pool opens the new store and retires the old workers).
The outcome of the last attempt is kept for `/health`.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .config import Settings
from .errors import Inconsistent, InputError, QueryError, SaphireError, ValidationFailed

log = logging.getLogger(__name__)


@dataclass
class ReloadState:
    """What /health reports of reloading."""

    watching: bool = False
    running: bool = False
    attempts: int = 0
    last_attempt: str | None = None
    last_success: str | None = None
    last_error: str | None = None  # of the last attempt; None once one succeeds
    last_error_details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "watching": self.watching,
            "running": self.running,
            "attempts": self.attempts,
            "last_attempt": self.last_attempt,
            "last_success": self.last_success,
            "last_error": self.last_error,
            "last_error_details": self.last_error_details[:20],
        }


@dataclass(frozen=True)
class BuildOutcome:
    ok: bool
    summary: str
    details: tuple[str, ...] = ()


def build_in_child(root: str) -> BuildOutcome:
    """Run the build (in a child process); every expected failure becomes a readable outcome."""
    from .pipeline import build

    try:
        result = build(Settings(root=Path(root)))
    except ValidationFailed as failed:
        details = tuple(f.render() for f in failed.findings if f.severity == "violation")
        return BuildOutcome(False, f"validation failed: {failed}", details)
    except Inconsistent as failed:
        return BuildOutcome(False, str(failed), tuple(c.render() for c in failed.clashes))
    except InputError as err:
        return BuildOutcome(False, f"parse error: {err}", (str(err),))
    except SaphireError as err:
        return BuildOutcome(False, str(err))
    except OSError as err:  # a write before the store's (reasoner input, caches): disk full, quota
        return BuildOutcome(False, f"a file could not be written ({err.strerror or err})")
    return BuildOutcome(True, f"built version {result.version.label}: {result.triples} triples")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Reloader:
    """Rebuilds the project and reloads the store; one rebuild at a time, the last request wins."""

    def __init__(
        self,
        settings: Settings,
        reload_store: Callable[[], str],
        state: ReloadState | None = None,
        build: Callable[[str], BuildOutcome] | None = None,
    ) -> None:
        self.settings = settings
        self.reload_store = reload_store
        self.state = state or ReloadState()
        self._build = build
        self._lock = threading.Lock()
        self._again = threading.Event()

    def request(self) -> None:
        """Ask for a rebuild, in the background (from a signal handler or the watcher)."""
        threading.Thread(target=self.rebuild, name="saphire-rebuild", daemon=True).start()

    def rebuild(self) -> bool:
        """Build and reload now; if a rebuild is already running, it runs once more afterwards."""
        if not self._lock.acquire(blocking=False):
            self._again.set()
            return False
        try:
            ok = self._rebuild_once()
            while self._again.is_set():
                self._again.clear()
                ok = self._rebuild_once()
            return ok
        finally:
            self._lock.release()

    def _rebuild_once(self) -> bool:
        state = self.state
        state.running = True
        state.attempts += 1
        state.last_attempt = _now()
        started = time.perf_counter()
        try:
            outcome = self._run_build()
            if not outcome.ok:
                state.last_error = (
                    f"rebuild failed, still serving the previous graph: {outcome.summary}"
                )
                state.last_error_details = list(outcome.details)
                log.error("%s", state.last_error)
                for line in outcome.details[:20]:
                    log.error("  %s", line)
                return False
            try:
                version = self.reload_store()
            except QueryError as exc:
                state.last_error = f"rebuilt, but the new store could not be opened: {exc}"
                state.last_error_details = []
                log.error("%s", state.last_error)
                return False
            state.last_success = _now()
            state.last_error = None
            state.last_error_details = []
            log.info(
                "reloaded version %s (%s) in %.1f s",
                version,
                outcome.summary,
                time.perf_counter() - started,
            )
            return True
        finally:
            state.running = False

    def _run_build(self) -> BuildOutcome:
        if self._build is not None:
            return self._build(str(self.settings.root))
        with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
            return pool.submit(build_in_child, str(self.settings.root)).result()

    def watch(self, stop: threading.Event) -> None:
        """Rebuild whenever a Turtle file under data/ttl, ontology/ or shapes/ changes (blocks)."""
        from watchfiles import watch

        paths = [
            p
            for p in (self.settings.data_dir, self.settings.ontology_dir, self.settings.shapes_dir)
            if p.is_dir()
        ]
        self.state.watching = True
        try:
            for changes in watch(
                *paths, stop_event=stop, watch_filter=_inputs, debounce=400, step=100
            ):
                log.info("inputs changed (%d file(s)): rebuilding", len(changes))
                self.rebuild()
        finally:
            self.state.watching = False


def _inputs(change: object, path: str) -> bool:
    return path.endswith((".ttl", ".rq")) and "/." not in path
