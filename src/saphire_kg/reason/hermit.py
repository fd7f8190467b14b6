"""One HermiT run through owlready2 (the only place that imports it): N-Triples in, types out."""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass

from ..errors import ReasoningError

VIEW_IRI = "https://w3id.org/saphire/reasoner-view"
_OWL = "http://www.w3.org/2002/07/owl#"


def owlready_version() -> str:
    import owlready2

    return str(owlready2.VERSION)


@dataclass
class Run:
    consistent: bool
    classified: dict[str, list[str]]
    unsatisfiable: list[str]
    seconds: float


def run_hermit(ntriples: bytes, java: str, defined: list[str]) -> Run:
    """One HermiT run on N-Triples, in a fresh owlready2 World."""
    import owlready2

    owlready2.JAVA_EXE = java
    started = time.perf_counter()
    world = owlready2.World()
    try:
        # owlready2 prints its own warnings on stderr; the view is built not to need them
        with contextlib.redirect_stderr(io.StringIO()):
            world.get_ontology(VIEW_IRI).load(fileobj=io.BytesIO(ntriples), format="ntriples")
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                owlready2.sync_reasoner_hermit(
                    world, infer_property_values=False, debug=0, ignore_unsupported_datatypes=True
                )
        except owlready2.OwlReadyInconsistentOntologyError:
            return Run(False, {}, [], time.perf_counter() - started)
        except owlready2.OwlReadyJavaError as exc:
            raise ReasoningError("HermiT failed: " + _java_cause(str(exc))) from None
        classified = {}
        for iri in defined:
            cls = world[iri]
            classified[iri] = sorted(i.iri for i in cls.instances(world)) if cls is not None else []
        unsatisfiable = sorted(
            iri
            for iri in (getattr(c, "iri", "") for c in world.inconsistent_classes())
            if iri.startswith("http") and not iri.startswith(_OWL)
        )
        return Run(True, classified, unsatisfiable, time.perf_counter() - started)
    finally:
        world.close()


def _java_cause(message: str) -> str:
    """The one line of a Java error that says what went wrong (an exception and its message)."""
    for line in message.splitlines():
        line = line.strip()
        if "Exception" in line or "Error:" in line:
            return line.split('Exception in thread "main" ')[-1]
    return message.strip().splitlines()[-1] if message.strip() else "no output"
