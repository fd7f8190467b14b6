"""/queries in process (TestClient over the fixture world): catalogue, typed routes, 422, negotiation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from saphire_kg.catalog import load_catalog
from saphire_kg.config import ServerSettings
from saphire_kg.http import create_app
from saphire_kg.store import GraphFile, OxigraphStore

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "queries" / "world.ttl"
REGION = "https://w3id.org/saphire/id/region/"


@pytest.fixture(scope="module")
def client():
    files = [GraphFile(p, "https://w3id.org/saphire/graph/" + p.name) for p in sorted((REPO / "ontology").rglob("*.ttl"))]
    files.append(GraphFile(FIXTURE, "https://w3id.org/saphire/graph/fixture"))
    store = OxigraphStore.in_memory(files, version="fixture-1")
    app = create_app(ServerSettings(max_age=30), store, catalog=load_catalog(REPO / "queries"))
    with TestClient(app) as c:
        yield c


def test_the_catalogue_is_listed(client: TestClient) -> None:
    r = client.get("/queries")
    assert r.status_code == 200
    listed = r.json()
    assert len(listed) == 22
    first = listed[0]
    assert first["name"] == "checks/data-completeness"
    assert first["href"].endswith("/queries/checks/data-completeness")
    assert {"title", "description", "parameters", "tags"} <= first.keys()


def test_an_analysis_answers_in_sparql_json_by_default(client: TestClient) -> None:
    r = client.get("/queries/gaps/missing-stages", params={"region": "XB11"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    rows = r.json()["results"]["bindings"]
    assert len(rows) == 5 and {row["region"]["value"] for row in rows} == {REGION + "XB11"}
    assert r.headers["etag"] and r.headers["saphire-dataset-version"] == "fixture-1"


@pytest.mark.parametrize(("accept", "content_type"), [
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("application/json", "application/sparql-results+json"),
])
def test_the_same_negotiation_as_sparql(client: TestClient, accept: str, content_type: str) -> None:
    r = client.get("/queries/gaps/missing-helices", params={"region": "XA11"}, headers={"accept": accept})
    assert (r.status_code, r.headers["content-type"]) == (200, content_type)


def test_csv_rows(client: TestClient) -> None:
    r = client.get("/queries/gaps/missing-helices", params={"region": "XA11"}, headers={"accept": "text/csv"})
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["helix"].rsplit("/", 1)[-1] for row in table) == ["end-users", "government"]


def test_no_acceptable_format_is_406(client: TestClient) -> None:
    r = client.get("/queries/gaps/missing-helices", params={"region": "XA11"}, headers={"accept": "text/turtle"})
    assert r.status_code == 406


def test_revalidation_answers_304(client: TestClient) -> None:
    first = client.get("/queries/observatory/coverage-by-country")
    again = client.get("/queries/observatory/coverage-by-country", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


# (route, parameters): each is refused with a 422 naming the parameter
REFUSED = [
    ("gaps/missing-stages", {"region": 'XB11" } UNION { ?s ?p ?o } #'}, "region"),
    ("gaps/missing-stages", {"region": "XB11>"}, "region"),
    ("gaps/missing-stages", {"region": "ZZ9"}, "region"),
    ("gaps/missing-stages", {"region": "XA1"}, "region"),
    ("gaps/missing-stages", {"region": "X" * 100_00}, "region"),
    ("gaps/missing-stages", {"regoin": "XB11"}, "regoin"),
    ("complementarity/score", {"region_a": "XA11"}, "region_b"),
    ("complementarity/score", {"region_a": "XA11\nUNION", "region_b": "XB11"}, "region_a"),
    ("complementarity/shared-themes", {"min_shared": "1 } UNION {"}, "min_shared"),
    ("complementarity/mentoring-by-role", {"newcomer_role": "leading> } #"}, "newcomer_role"),
    ("gaps/countries-outside-initiative", {"initiative": "https://evil.example/"}, "initiative"),
    ("gaps/no-active-membership", {"on_date": "2021-13-01"}, "on_date"),
    ("gaps/no-active-membership", {"network_only": "true || true"}, "network_only"),
]


@pytest.mark.parametrize(("name", "params", "parameter"), REFUSED)
def test_a_bad_value_is_a_422_naming_the_parameter(client: TestClient, name: str, params: dict, parameter: str) -> None:
    r = client.get(f"/queries/{name}", params=params, headers={"accept": "application/problem+json"})
    assert r.status_code == 422
    assert r.json()["parameter"] == parameter


def test_a_repeated_parameter_is_a_422(client: TestClient) -> None:
    r = client.get("/queries/gaps/missing-stages?region=XB11&region=XA11")
    assert r.status_code == 422 and "more than once" in r.text


def test_the_refused_table_is_all_collected() -> None:
    assert len(REFUSED) == 13


# Values that fit their type but match nothing: a correct empty answer, not an error.
@pytest.mark.parametrize(("name", "params"), [
    ("gaps/countries-outside-initiative", {"initiative": "no-such-thing"}),
    ("observatory/initiative-members", {"initiative": "UNION"}),
    ("complementarity/shared-networks", {"min_shared": "99"}),
])
def test_a_value_that_matches_nothing_gives_an_empty_answer(client: TestClient, name: str, params: dict) -> None:
    r = client.get(f"/queries/{name}", params=params)
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []


def _typed(parameter: dict) -> dict:
    """The schema of a parameter's value (an optional one's also allows the empty string)."""
    return parameter["schema"].get("anyOf", [parameter["schema"]])[0]


def test_the_openapi_schema_types_each_parameter(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    analyses = [path for path in spec["paths"] if path.startswith("/queries/")]
    assert len(analyses) == 22
    params = {p["name"]: p for p in spec["paths"]["/queries/gaps/no-active-membership"]["get"]["parameters"]}
    empty = {"type": "string", "maxLength": 0}  # an optional parameter may be sent empty
    assert params["on_date"]["schema"] == {"anyOf": [{"type": "string", "format": "date"}, empty]}
    assert params["on_date"]["allowEmptyValue"] is True
    assert params["on_date"]["example"] == "2019-06-30"
    assert _typed(params["network_only"]) == {"type": "boolean", "default": False}
    score = {p["name"]: p for p in spec["paths"]["/queries/complementarity/score"]["get"]["parameters"]}
    assert score["region_a"]["required"] is True and "pattern" in score["region_a"]["schema"]
    assert "allowEmptyValue" not in score["region_a"]
    assert score["region_a"]["example"] == "BE2"
    roles = {p["name"]: p for p in spec["paths"]["/queries/complementarity/mentoring-by-role"]["get"]["parameters"]}
    assert _typed(roles["newcomer_role"])["enum"] == ["interested", "leading", "observer", "participating"]
    themes = {p["name"]: p for p in spec["paths"]["/queries/complementarity/shared-themes"]["get"]["parameters"]}
    assert _typed(themes["min_shared"]) == {"type": "integer", "minimum": 1, "maximum": 100, "default": 1}
    assert "422" in spec["paths"]["/queries/complementarity/score"]["get"]["responses"]
    outside = spec["paths"]["/queries/gaps/countries-outside-initiative"]["get"]["parameters"]
    initiative = _typed({p["name"]: p for p in outside}["initiative"])
    # the part after its namespace will do (`icpermed`): not `format: iri`, which it is not
    assert initiative == {"type": "string", "default": "icpermed"}


def test_an_analysis_takes_a_format_parameter_too(client: TestClient) -> None:
    """As /sparql does: a link to an analysis can name its format (it was 'no such parameter')."""
    path = "/queries/gaps/no-active-membership"
    csv = client.get(path, params={"format": "csv"}, headers={"accept": "application/json"})
    assert csv.status_code == 200, csv.text
    assert csv.headers["content-type"].startswith("text/csv")
    json_answer = client.get(path, headers={"accept": "application/json"})
    assert json_answer.headers["content-type"] == "application/sparql-results+json"
    spec = client.get("/openapi.json").json()
    assert "format" in {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
