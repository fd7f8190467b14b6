"""The canned analyses as users reach them: `saphire-kg query` and a real `saphire-kg serve`.

One copy of the repository's inputs (ontology, shapes, data/ttl, queries) is built once, without
the reasoner; the CLI runs as a subprocess and the server as a process on a free port. The same
table of hostile values goes through both: each is refused naming its parameter (a 422, or exit
status 1 with the message on stderr) or gives the answer a plain value of nothing gives (empty),
never a server error or a traceback, and never a query the value changed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, Run
from tests.e2e.server import saphire_server

ID = "https://w3id.org/saphire/id/"
QUERY_COUNT = 22


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("canned") / "project"
    for folder in ("ontology", "shapes", "data/ttl", "queries"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    built = cli(root, "build", "--no-reason")
    assert built.code == 0, built.out + built.err
    return root


def cli(root: Path, *args: str) -> Run:
    env = {**os.environ, "SAPHIRE_ROOT": str(root)}
    proc = subprocess.run(
        [sys.executable, "-m", "saphire_kg", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def query(root: Path, name: str, params: dict[str, str], fmt: str = "json") -> Run:
    args = [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
    return cli(root, "query", name, *args, "--format", fmt)


@pytest.fixture(scope="module")
def server(checkout: Path):
    with saphire_server(checkout, "--workers", "2") as s:
        yield s


# --- the command line -----------------------------------------------------------------------


def test_the_documented_call_answers_in_csv(checkout: Path) -> None:
    run = cli(checkout, "query", "gaps/missing-stages", "--param", "region=FI1D", "--format", "csv")
    assert run.code == 0, run.err
    table = list(csv.DictReader(io.StringIO(run.out)))
    assert {row["region"] for row in table} == {ID + "region/FI1D"}
    assert sorted(row["stage"].rsplit("/", 1)[-1] for row in table) == [
        "commercialisation", "demo-case-assessment", "demonstration",
        "healthcare-absorption", "learning-and-co-creation", "research-and-innovation",
    ]


def test_json_from_the_cli_names_the_pilot_coordinators(checkout: Path) -> None:
    # Seed 000: "Coordinating regions: Flanders, South NL, East NL".
    run = query(checkout, "observatory/initiative-members", {"initiative": "vi-smart-health"})
    assert run.code == 0, run.err
    rows = json.loads(run.out)["results"]["bindings"]
    leading = {r["member"]["value"] for r in rows if r.get("role", {}).get("value", "").endswith("/leading")}
    assert leading == {ID + f"region/{c}" for c in ("BE2", "NL2", "NL4")}


def test_the_table_format_shortens_iris(checkout: Path) -> None:
    run = query(checkout, "complementarity/score", {"region_a": "BE2", "region_b": "NL2"}, fmt="table")
    assert run.code == 0, run.err
    assert "shared initiative" in run.out and "s3p4pm" in run.out
    assert ID not in run.out


@pytest.mark.parametrize("fmt", ["tsv", "xml"])
def test_the_other_formats(checkout: Path, fmt: str) -> None:
    run = query(checkout, "gaps/countries-outside-initiative", {}, fmt=fmt)
    assert run.code == 0, run.err
    assert ID + "region/MT" in run.out


def test_the_list_names_every_analysis(checkout: Path) -> None:
    run = cli(checkout, "query", "--list", "--format", "json")
    assert run.code == 0, run.err
    listed = json.loads(run.out)
    assert len(listed) == QUERY_COUNT
    assert "gaps/missing-stages" in {q["name"] for q in listed}


def test_an_unknown_analysis_is_an_error_not_a_traceback(checkout: Path) -> None:
    run = cli(checkout, "query", "gaps/no-such-thing")
    assert run.code == 1 and "no-such-thing" in run.err and "Traceback" not in run.err


# --- hostile values, through the CLI and over HTTP ------------------------------------------

# (analysis, parameters, the parameter a 422 names, or None: a 200 with no rows)
HOSTILE = [
    ("gaps/missing-stages", {"region": 'FI1D" } UNION { ?s ?p ?o } #'}, "region"),
    ("gaps/missing-stages", {"region": "FI1D> } UNION { ?s ?p ?o"}, "region"),
    ("gaps/missing-stages", {"region": "FI1D'"}, "region"),
    ("gaps/missing-stages", {"region": "}"}, "region"),
    ("gaps/missing-stages", {"region": "FI1D\nUNION"}, "region"),
    ("gaps/missing-stages", {"region": "FI1D\r\n} #"}, "region"),
    ("gaps/missing-stages", {"region": "A" * 10_000}, "region"),
    ("gaps/missing-stages", {"region": "ZZ9"}, "region"),  # well formed, no such region
    ("gaps/missing-stages", {"region": "x-atlantis"}, "region"),  # well formed, no such region
    ("gaps/missing-stages", {"region": "FI1"}, "region"),  # a region, not in the observatory
    ("gaps/missing-stages", {"regoin": "FI1D"}, "regoin"),  # no such parameter
    ("observatory/region-profile", {}, "region"),  # required
    ("complementarity/score", {"region_a": "BE2", "region_b": "NL2 UNION { ?s ?p ?o }"}, "region_b"),
    ("complementarity/shared-networks", {"min_shared": "1 } UNION { ?s ?p ?o"}, "min_shared"),
    ("complementarity/shared-networks", {"min_shared": "9" * 40}, "min_shared"),
    ("complementarity/shared-networks", {"min_shared": "1\n"}, None),  # a trailing newline is trimmed: 1
    ("complementarity/mentoring-by-role", {"newcomer_role": 'leading" . } #'}, "newcomer_role"),
    ("complementarity/special-needs-peers", {"max_density": "12.5) || (1 = 1"}, "max_density"),
    ("gaps/countries-outside-initiative", {"initiative": "icpermed> } UNION { ?s ?p ?o } #"}, "initiative"),
    ("gaps/countries-outside-initiative", {"initiative": "https://evil.example/x"}, "initiative"),
    ("gaps/countries-outside-initiative", {"initiative": "UNION"}, None),
    ("gaps/countries-outside-initiative", {"initiative": "no-such-initiative"}, None),
    ("observatory/initiative-members", {"initiative": "x" * 150}, None),
    ("gaps/no-active-membership", {"on_date": '2019-06-30"^^<http://www.w3.org/2001/XMLSchema#date> } #'}, "on_date"),
    ("gaps/no-active-membership", {"network_only": "true || true"}, "network_only"),
    ("gaps/no-pm-priority", {"period": "2021-2027\n} UNION {"}, "period"),
]
IDS = [f"{i}-{case[0]}" for i, case in enumerate(HOSTILE)]


def test_the_hostile_table_is_all_collected() -> None:
    assert len(HOSTILE) == 26


# An accepted value must give what the clean value it stands for gives: nothing, or (a trimmed
# newline) the rows of the value without it.
CLEAN = {"complementarity/shared-networks": {"min_shared": "1"}}


@pytest.mark.parametrize(("name", "params", "parameter"), HOSTILE, ids=IDS)
def test_hostile_values_over_http(server, name: str, params: dict, parameter: str | None) -> None:
    def get(values: dict) -> httpx.Response:
        return httpx.get(f"{server.base}/queries/{name}", params=values, headers={"accept": "application/json"}, timeout=60)

    r = get(params)
    if parameter is None:
        assert r.status_code == 200, r.text
        expected = get(CLEAN[name]).json()["results"]["bindings"] if name in CLEAN else []
        assert r.json()["results"]["bindings"] == expected
    else:
        assert r.status_code == 422, r.text
        assert r.json()["parameter"] == parameter


@pytest.mark.parametrize(("name", "params", "parameter"), HOSTILE, ids=IDS)
def test_hostile_values_through_the_cli(checkout: Path, name: str, params: dict, parameter: str | None) -> None:
    run = query(checkout, name, params)
    assert "Traceback" not in run.err
    if parameter is None:
        assert run.code == 0, run.err
        expected = json.loads(query(checkout, name, CLEAN[name]).out)["results"]["bindings"] if name in CLEAN else []
        assert json.loads(run.out)["results"]["bindings"] == expected
    else:
        assert run.code == 1, run.out
        assert f"parameter {parameter!r}" in run.err


def test_the_server_and_the_cli_give_one_answer(server, checkout: Path) -> None:
    params = {"region_a": "BE2", "region_b": "NL2"}
    over_http = httpx.get(f"{server.base}/queries/complementarity/score", params=params, timeout=60).json()
    from_cli = json.loads(query(checkout, "complementarity/score", params).out)
    assert over_http["results"]["bindings"] == from_cli["results"]["bindings"]
    assert len(over_http["results"]["bindings"]) > 0


def test_the_server_lists_and_documents_every_analysis(server) -> None:
    listed = httpx.get(f"{server.base}/queries", timeout=60).json()
    assert len(listed) == QUERY_COUNT
    spec = httpx.get(f"{server.base}/openapi.json", timeout=60).json()
    routes = [p for p in spec["paths"] if p.startswith("/queries/")]
    assert len(routes) == QUERY_COUNT
    for route in routes:
        for p in spec["paths"][route]["get"].get("parameters", []):
            typed = p["schema"].get("anyOf", [p["schema"]])[0]  # (optional: or empty)
            assert typed["type"] in ("string", "integer", "number", "boolean"), (route, p)
            assert p["required"] or p["allowEmptyValue"], (route, p)
            assert "example" in p or not p["required"], (route, p)


@pytest.mark.parametrize("accept", ["text/csv", "application/sparql-results+xml", "text/tab-separated-values"])
def test_the_server_negotiates_like_sparql(server, accept: str) -> None:
    r = httpx.get(f"{server.base}/queries/gaps/missing-stages", params={"region": "FI1D"}, headers={"accept": accept}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    assert "FI1D" in r.text


def test_a_malformed_header_stops_the_cli_at_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "queries" / "gaps" / "bad.rq"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "#+ title: Bad\n#+ description: A parameter of an unknown type.\n#+ parameters:\n"
        "#+   - name: region\n#+     type: regoin\n#+     description: The region.\n"
        "SELECT ?region WHERE { ?region ?p ?o }\n",
        encoding="utf-8",
    )
    run = cli(tmp_path, "query", "--list")
    assert run.code == 1 and "Traceback" not in run.err
    assert "bad.rq:5:" in run.err and "`type` must be one of" in run.err
