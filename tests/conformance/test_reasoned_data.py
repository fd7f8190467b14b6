"""The shipped data, reasoned once: consistent, and classified as the reference figures say."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from rdflib import URIRef

from saphire_kg.config import Settings
from saphire_kg.load import Loaded, load
from saphire_kg.namespaces import ID, ORG, RDF, SPH
from saphire_kg.reason import ReasonResult, reason
from saphire_kg.sources import Role, discover

REPO = Path(__file__).resolve().parents[2]
SPARSE = 12.5


@pytest.fixture(scope="module")
def shipped(shipped_checkout: Path) -> Loaded:
    loaded = load(discover(Settings(root=shipped_checkout)))
    assert not loaded.errors
    return loaded


@pytest.fixture(scope="module")
def reasoned(shipped: Loaded, shipped_checkout: Path) -> ReasonResult:
    """HermiT on the shipped data, once per session: the result is cached in the session's
    checkout, where the shipped-data build test finds it."""
    return reason(shipped, shutil.which("java"), cache_dir=shipped_checkout / "build/.cache/reason")


def _typed(result: ReasonResult, cls: str) -> set[URIRef]:
    return {s for s, p, o in result.inferred if p == RDF.type and o == SPH[cls]}  # type: ignore[misc]


def _reference_densities() -> dict[str, float]:
    """NUTS 3 code -> density, from the reference CSV (one year: 2018, NUTS 2016)."""
    with (REPO / "data/reference/population_density.csv").open(newline="") as f:
        return {
            row["nuts_code"]: float(row["value"])
            for row in csv.DictReader(f)
            if row["indicator"] == "population_density"
            and row["nuts_level"] == "3"
            and row["value"]
        }


SPARSE_IN_REFERENCE = sorted(code for code, v in _reference_densities().items() if v < SPARSE)


def test_reference_lists_sparse_nuts3_regions() -> None:
    assert len(SPARSE_IN_REFERENCE) == 29
    assert "FI1D7" in SPARSE_IN_REFERENCE  # Lappi


@pytest.mark.parametrize("code", SPARSE_IN_REFERENCE)
def test_reference_sparse_region_is_classified(reasoned: ReasonResult, code: str) -> None:
    # the snapshot is the most recent observation (2021 where it exists); every region below
    # 12.5/km2 in 2018 is still below it then
    assert ID[f"region/{code}"] in _typed(reasoned, "SparselyPopulatedRegion")


CLASSIFIED = [
    ("FI1D7", "VerySparselyPopulatedRegion", True),  # Lappi, 1.8/km2
    ("FI1D7", "SpecialNeedsRegion", True),
    ("BE211", "SparselyPopulatedRegion", False),  # Arr. Antwerpen, ~1,090/km2
    ("BE211", "SpecialNeedsRegion", False),
    ("ITC11", "SparselyPopulatedRegion", False),  # Torino, ~330/km2
]


@pytest.mark.parametrize("code, cls, expected", CLASSIFIED)
def test_region_classification(reasoned: ReasonResult, code: str, cls: str, expected: bool) -> None:
    assert (ID[f"region/{code}"] in _typed(reasoned, cls)) is expected


def test_every_density_observed_region_has_one_snapshot(
    reasoned: ReasonResult, shipped: Loaded
) -> None:
    observed = {
        t.subject.value
        for f in shipped.files
        if f.source.role is Role.DATA
        for t in f.triples
        if t.predicate.value == str(SPH.populationDensity)
    }
    areas = {
        t.object.value
        for f in shipped.files
        for t in f.triples
        if t.subject.value in observed and t.predicate.value.endswith("dimension#refArea")
    }
    values: dict[URIRef, int] = {}
    for s, p, _ in reasoned.inferred:
        if p == SPH.populationDensity:
            values[s] = values.get(s, 0) + 1  # type: ignore[index]
    assert {str(s) for s in values} == areas
    assert set(values.values()) == {1}
    assert reasoned.snapshots == len(areas)


def test_every_leading_membership_makes_a_leading_region(
    reasoned: ReasonResult, shipped: Loaded
) -> None:
    regions = {
        t.subject.value
        for f in shipped.files
        for t in f.triples
        if t.predicate.value == str(RDF.type)
        and t.object.value in (str(SPH.Region), str(SPH.Country), str(SPH.ObservatoryRegion))
    }
    by_membership: dict[str, dict[str, str]] = {}
    for f in shipped.files:
        for t in f.triples:
            if t.predicate.value in (str(ORG.member), str(ORG.role)):
                by_membership.setdefault(t.subject.value, {})[t.predicate.value] = t.object.value
    leaders = {
        m[str(ORG.member)]
        for m in by_membership.values()
        if m.get(str(ORG.role)) == str(ID["concept/role/leading"])
        and m.get(str(ORG.member)) in regions
    }
    assert leaders, "the shipped data names leading regions (seed 004)"
    assert {str(r) for r in _typed(reasoned, "LeadingRegion")} == leaders
