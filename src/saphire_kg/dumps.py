"""Dataset dumps: the whole built store as gzipped N-Quads, TriG and Turtle files, one per version.

A dump is written the first time it is asked for, from the on-disk store, into
`build/dumps/<version>/` (a temporary file renamed into place, so a reader never sees half of
one), and served from there until the store's version changes; older versions' dumps are then
removed. N-Quads and TriG keep the named graphs (one per curated file); Turtle is the default
graph the endpoint serves, the union of the named graphs. Only the names in `DUMPS` exist: a
request names a dump, never a path.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from .errors import StoreUnavailable, UnknownDump
from .namespaces import PREFIXES
from .store import read_manifest


@dataclass(frozen=True)
class DumpFormat:
    name: str  # the file name, e.g. latest.nq.gz
    media_type: str  # of the uncompressed content
    title: str


DUMPS: tuple[DumpFormat, ...] = (
    DumpFormat("latest.nq.gz", "application/n-quads", "N-Quads, one named graph per source file"),
    DumpFormat("latest.trig.gz", "application/trig", "TriG, one named graph per source file"),
    DumpFormat("latest.ttl.gz", "text/turtle", "Turtle, the union of the named graphs"),
)
COMPRESSION = "application/gzip"
IANA = "https://www.iana.org/assignments/media-types/"  # DCAT names media types by these IRIs
_BY_NAME = {d.name: d for d in DUMPS}
_UNION = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")
CHUNK = 1 << 16


@dataclass(frozen=True)
class Dump:
    """One written dump of one dataset version: what an HTTP answer needs to describe it."""

    format: DumpFormat
    version: str
    etag: str  # with its quotes
    size: int  # bytes, compressed
    _path: Path

    def chunks(self) -> Iterator[bytes]:
        """The compressed bytes, a chunk at a time."""
        with open(self._path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk


class DumpFiles:
    """The dumps of the store at `store_dir`, written lazily under `dumps_dir`; thread-safe."""

    def __init__(self, store_dir: Path, dumps_dir: Path) -> None:
        self.store_dir = store_dir
        self.dumps_dir = dumps_dir
        self._lock = threading.Lock()

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(d.name for d in DUMPS)

    def version(self) -> str | None:
        manifest = read_manifest(self.store_dir)
        return None if manifest is None else str(manifest["version"])

    def get(self, name: str) -> Dump:
        """The dump called `name` of the current version, written now if it is not yet.

        Raises UnknownDump for a name not in DUMPS, StoreUnavailable when there is no store or
        it changed while being dumped (a reload: asking again gives the new version's dump)."""
        fmt = _BY_NAME.get(name)
        if fmt is None:
            raise UnknownDump(name, self.names())
        version = self.version()
        if version is None:
            raise StoreUnavailable("there is no built store to dump yet")
        folder = self.dumps_dir / _UNSAFE.sub("_", version)
        path = folder / fmt.name
        with self._lock:
            if not path.is_file():
                self._write(fmt, folder, path)
                if self.version() != version:
                    shutil.rmtree(folder, ignore_errors=True)
                    raise StoreUnavailable(
                        "the store was reloaded while it was being dumped; try again"
                    )
                self._remove_others(folder)
            size = path.stat().st_size
        tag = hashlib.sha256(f"dump\x1e{version}\x1e{name}".encode()).hexdigest()[:32]
        return Dump(fmt, version, f'"{tag}"', size, path)

    def purge(self) -> int:
        """Remove every written dump (they are written again when asked for); how many went."""
        with self._lock:
            found = list(self.dumps_dir.glob("*/*.gz")) if self.dumps_dir.is_dir() else []
            shutil.rmtree(self.dumps_dir, ignore_errors=True)
        return len(found)

    def _write(self, fmt: DumpFormat, folder: Path, path: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{fmt.name}.{uuid.uuid4().hex}"
        try:
            store = ox.Store.read_only(str(self.store_dir))
            with gzip.open(partial, "wb", compresslevel=6) as out:
                writer = cast(IO[bytes], out)
                if fmt.media_type == "text/turtle":
                    triples = cast(ox.QueryTriples, store.query(_UNION))
                    ox.serialize(
                        triples, writer, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)
                    )
                else:
                    rdf = (
                        ox.RdfFormat.N_QUADS
                        if fmt.media_type == "application/n-quads"
                        else ox.RdfFormat.TRIG
                    )
                    store.dump(writer, format=rdf)
            del store
            partial.rename(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StoreUnavailable(
                f"the dump {fmt.name} could not be written ({exc.strerror or 'I/O error'})"
            ) from exc

    def _remove_others(self, keep: Path) -> None:
        for other in self.dumps_dir.iterdir():
            if other != keep and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
