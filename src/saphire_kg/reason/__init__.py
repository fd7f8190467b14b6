"""OWL reasoning with HermiT (owlready2): consistency, defined-class types, the inferred graph.

Modules in data-flow order: `datatypes` (the OWL 2 datatype map) · `hermit` (one HermiT run,
the only importer of owlready2) · `view` (what HermiT is given) · `explain` (why it says
inconsistent) · `stage` (the `reason` step, its cache and the inferred graph).

The reasoner sees a *view* of the inputs, not all of them:

- the ontology (`ontology/**` without `ontology/alignments/`): our classes and properties, the
  defined classes, the concept schemes and the thin slices of the reused vocabularies;
- from the data, the types of every resource except observations, and the triples of the
  properties the ontology's restrictions are about (with their inverses and sub-properties),
  except those pointing at a concept no restriction's class contains (e.g. the urban-rural
  typologies: no defined class uses them);
- the role shortcuts (`sph:leads`, ...) that memberships imply through `org:roleProperty`;
- one density snapshot per region: the value of its most recent density observation.

Literals and ranges outside the OWL 2 datatype map (xsd:gYear, xsd:date, ...) are left out:
HermiT refuses them, and SHACL checks them. The view goes to owlready2 as N-Triples in a fresh
World, and `sync_reasoner` (HermiT) classifies it. The result is cached by the hash of the view.

The defined classes avoid nominals (`owl:oneOf`, `owl:hasValue` of an individual): with one,
HermiT takes the whole ABox into every test, and the shipped data takes 70 s instead of 8 s.

When HermiT finds the view inconsistent, `explain` names the resources and axioms that clash,
at `file:line`: first by checking datatype ranges, functional properties and disjoint types
directly, then, if none of those is the cause, by narrowing the data down with HermiT.
"""

from __future__ import annotations

from .explain import Clash, explain
from .stage import INFERRED_GRAPH, ReasonResult, reason, render_counts
from .view import Snapshot, View, build_view, role_shortcuts

__all__ = [
    "INFERRED_GRAPH",
    "Clash",
    "ReasonResult",
    "Snapshot",
    "View",
    "build_view",
    "explain",
    "reason",
    "render_counts",
    "role_shortcuts",
]
