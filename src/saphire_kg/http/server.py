"""Running the app: open the store (worker pool or remote), wire reloading, start uvicorn."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable

import uvicorn

from ..catalog import load_catalog
from ..config import ServerSettings, Settings
from ..dumps import DumpFiles
from ..reload import Reloader, ReloadState
from ..store import SparqlStore, Store, push, remote_url
from ..workers import WorkerPool
from .app import create_app

log = logging.getLogger("saphire_kg.server")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line; access-log records already are one. A record's `fields` (a
    dict given as `extra={"fields": …}`) are keys of its object."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == "saphire_kg.access":
            return record.getMessage()
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    # Records need no caller, thread or process (the JSON lines carry none): the logging docs'
    # "Optimization" settings, less work for every access-log line.
    logging._srcfile = None  # type: ignore[attr-defined]  # noqa: SLF001
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def open_store(settings: Settings, server: ServerSettings) -> Store:
    """The worker pool over build/store, or the remote SPARQL server `server.store_url` names."""
    if server.store_url:
        return SparqlStore(
            remote_url(server.store_url),
            max_results=server.max_results,
            max_bytes=server.max_bytes,
            timeout=server.timeout,
        )
    return WorkerPool(
        settings.build_dir / "store",
        workers=server.workers,
        timeout=server.timeout,
        max_results=server.max_results,
        max_bytes=server.max_bytes,
        network=bool(server.allow_services),  # none allowed: workers without network
    )


def default_graph_store(store_url: str) -> str:
    """Oxigraph's layout: the Graph Store endpoint `/store` beside the query endpoint `/query`."""
    return remote_url(store_url).rsplit("/", 1)[0] + "/store"


def _reload_function(
    settings: Settings, store: Store, graph_store: str | None
) -> Callable[[], str]:
    if isinstance(store, WorkerPool):
        return store.reload

    def push_and_refresh() -> str:
        # A remote store is reloaded by pushing the rebuilt graphs with the Graph Store Protocol.
        assert graph_store is not None
        push(settings.build_dir / "store", graph_store)
        return store.version

    return push_and_refresh


def serve(
    settings: Settings,
    server: ServerSettings,
    host: str,
    port: int,
    watch: bool = False,
    graph_store: str | None = None,
) -> None:
    """Serve until interrupted; `watch` rebuilds on input changes. SIGHUP rebuilds too."""
    configure_logging()
    store = open_store(settings, server)
    state = ReloadState()
    if server.store_url and graph_store is None:
        graph_store = default_graph_store(server.store_url)
    reloader = Reloader(settings, _reload_function(settings, store, graph_store), state)
    dumps = None if server.store_url else DumpFiles(settings.build_dir / "store", settings.build_dir / "dumps")
    app = create_app(
        server, store, state, catalog=load_catalog(settings.queries_dir), reloader=reloader, dumps=dumps
    )
    stop = threading.Event()
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: reloader.request())
    if watch:
        threading.Thread(
            target=reloader.watch, args=(stop,), name="saphire-watch", daemon=True
        ).start()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    log.info("serving dataset version %s at http://%s:%d/sparql", store.version, host, port)
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        store.close()
