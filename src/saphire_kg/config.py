"""Settings: where the inputs and outputs live; the only module that reads the environment."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path


def _find_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "ontology").is_dir():
            return candidate
    return start


@dataclass(frozen=True)
class Settings:
    """Paths of one project checkout; every stage takes what it needs from here."""

    root: Path

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def data_dir(self) -> Path:
        return self.root / "data" / "ttl"

    @property
    def reference_dir(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def cache_dir(self) -> Path:
        return self.build_dir / ".cache"

    @property
    def java(self) -> str | None:
        """The Java executable HermiT runs on (`java` on the PATH), or None when there is none."""
        return shutil.which("java")

    @classmethod
    def from_env(cls, cwd: Path | None = None) -> Settings:
        """`SAPHIRE_ROOT` if set, else the checkout containing the working directory."""
        root = os.environ.get("SAPHIRE_ROOT")
        if root:
            return cls(root=Path(root).resolve())
        return cls(root=_find_root((cwd or Path.cwd()).resolve()))


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return None if value.lower() in ("none", "0", "off") else int(value)


@dataclass(frozen=True)
class ServerSettings:
    """What the SPARQL server promises and refuses: its limits, its federation allow-list, CORS.

    Each has an environment variable (`SAPHIRE_TIMEOUT`, …) and a `saphire-kg serve` option.
    """

    timeout: float = 10.0  # seconds a query may take, queueing included (503 past it)
    max_results: int | None = 100_000  # rows of a SELECT / triples of a CONSTRUCT (507 past it)
    max_bytes: int | None = 256 * 1024 * 1024  # of one serialised result (507 past it)
    max_query_bytes: int = 1024 * 1024  # of a request body or query text (413 past it)
    workers: int = max(2, os.cpu_count() or 2)  # query worker processes
    allow_services: tuple[str, ...] = ()  # SERVICE endpoints allowed (exact IRI, or a prefix ending in /)
    cache_entries: int = 512  # answers kept in memory per process (keyed by dataset version)
    cache_bytes: int = 128 * 1024 * 1024
    max_age: int = 60  # Cache-Control max-age of query answers, seconds
    cors_origins: tuple[str, ...] = ("*",)  # never with credentials
    store_url: str | None = None  # sparql+http://… : a remote SPARQL server instead of build/store
    max_url_bytes: int = 16 * 1024  # of a request URL, path and query string (414 past it)
    client_concurrency: int | None = 8  # requests one client address may have running (429 past it)
    admin_token: str | None = field(default=None, repr=False)  # admin routes only with it; none: off
    slow_query_seconds: float = 1.0  # an evaluation this long (or stopped) is in the slow-query log

    @classmethod
    def from_env(cls) -> ServerSettings:
        default = cls()
        services = os.environ.get("SAPHIRE_ALLOW_SERVICES", "")
        origins = os.environ.get("SAPHIRE_CORS_ORIGINS")
        return cls(
            timeout=_env_float("SAPHIRE_TIMEOUT", default.timeout),
            max_results=_env_int("SAPHIRE_MAX_RESULTS", default.max_results),
            max_bytes=_env_int("SAPHIRE_MAX_BYTES", default.max_bytes),
            max_query_bytes=_env_int("SAPHIRE_MAX_QUERY_BYTES", default.max_query_bytes) or default.max_query_bytes,
            workers=_env_int("SAPHIRE_WORKERS", default.workers) or default.workers,
            allow_services=tuple(s for s in services.replace(",", " ").split() if s),
            cache_entries=_env_int("SAPHIRE_CACHE_ENTRIES", default.cache_entries) or 0,
            max_age=_env_int("SAPHIRE_MAX_AGE", default.max_age) or 0,
            cors_origins=tuple(origins.replace(",", " ").split()) if origins is not None else default.cors_origins,
            store_url=os.environ.get("SAPHIRE_STORE") or None,
            max_url_bytes=_env_int("SAPHIRE_MAX_URL_BYTES", default.max_url_bytes) or default.max_url_bytes,
            client_concurrency=_env_int("SAPHIRE_CLIENT_CONCURRENCY", default.client_concurrency),
            admin_token=os.environ.get("SAPHIRE_ADMIN_TOKEN") or None,
            slow_query_seconds=_env_float("SAPHIRE_SLOW_QUERY_SECONDS", default.slow_query_seconds),
        )
