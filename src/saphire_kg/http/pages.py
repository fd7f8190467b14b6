"""The pages people read: an observatory region's report, and the index of regions and initiatives.

The region report does what the SAPHIRe regional reports did, from the graph: it runs the canned
analyses (observatory/region-profile, the gaps, the complementarity analyses, the roadmap
module) through `Lookup.canned` and arranges their rows; it adds only label, role, helix and
stage look-ups for the resources those rows name. Every resource links to its own page.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from ..catalog import REGION_NS, Catalog
from ..endpoint import Endpoint
from ..errors import ParameterError
from ..namespaces import BASE
from ..negotiate import HTML
from ..query import bind_text
from . import charts, html
from .deps import get_endpoint
from .lookup import LABELS, Lookup, Row, literal, value

SECTION = BASE + "id/concept/report-section/"
SPH = BASE + "ontology#"
ORG = "http://www.w3.org/ns/org#"
INDICATORS = (
    ("population", "Total population", ""),
    ("populationDensity", "Population density", " /km²"),
    ("shareAged65Plus", "Share aged 65+", " %"),
)
PARTNERS = 5  # partner regions scored with complementarity/score
STATIC = Path(__file__).with_name("static")  # site.css, query.js: served at /static, no CDN


def region_report(lookup: Lookup, region: str, jsonld: str) -> str:
    """The report of the observatory region `region` (its IRI) as a whole HTML page."""
    code = region[len(REGION_NS) :]
    profile = lookup.canned("observatory/region-profile", {"region": code})
    by_section: dict[str, list[Row]] = defaultdict(list)
    for r in profile:
        by_section[value(r, "section")[len(SECTION) :]].append(r)
    sources = {s for r in profile for s in value(r, "sources").split()}
    general = by_section["general"]
    name = next((value(r, "value") for r in general if value(r, "item") == "name"), code)
    parts = [
        _general(general, region),
        _indicators(by_section, _source_labels(lookup, sources)),
        _typologies(by_section),
        _ris3(lookup, by_section, code),
        _memberships(lookup, by_section["pm-memberships"]),
        _practices(by_section["pm-best-practices"]),
        _stakeholders(lookup, by_section["pm-stakeholders"]),
        _gaps(lookup, code),
        _partners(lookup, region, code),
        _roadmap(lookup, code),
    ]
    nav = "".join(
        f'<a href="#{a}">{t}</a>'
        for a, t in (
            ("indicators", "Indicators"),
            ("typologies", "Typologies"),
            ("ris3", "RIS3"),
            ("memberships", "Memberships"),
            ("practices", "Best practices"),
            ("stakeholders", "Stakeholders"),
            ("gaps", "Gaps"),
            ("partners", "Partners"),
            ("roadmap", "Roadmap"),
        )
    )
    body = f'<nav class="toc">{nav}</nav>' + "".join(parts)
    return html.page(
        name,
        body,
        head=f'<script type="application/ld+json">{html.json_script(jsonld)}</script>',
        subtitle=f"SAPHIRe regional profile · NUTS {html.escape(code)} · generated from the knowledge graph",
    )


def _section(anchor: str, title: str, content: str, empty: str = "Nothing recorded.") -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{content or f"<p class=muted>{empty}</p>"}</section>'


def _general(rows: list[Row], region: str) -> str:
    facts = []
    for r in rows:
        item = value(r, "item")
        if item == "name":
            continue
        if item in ("part of", "regional report"):
            facts.append(
                (html.escape(item), html.link(value(r, "about"), value(r, "value") or None))
            )
        elif item == "observatory region":
            facts.append(("SAPHIRe Observatory", "member region" + _sources(value(r, "sources"))))
        else:
            facts.append((html.escape(item), html.escape(value(r, "value"))))
    return (
        f'<section id="general"><p class="iri"><code>{html.escape(region)}</code></p>'
        + html.table(["", ""], facts, "facts")
        + html.formats_line(
            html.local(region),
            f' · <a href="/queries/observatory/region-profile?region={html.escape(region[len(REGION_NS) :])}">'
            "profile rows (SPARQL JSON)</a>",
        )
        + "</section>"
    )


def _source_labels(lookup: Lookup, sources: set[str]) -> dict[str, str]:
    return lookup.labels(s for s in sources if s.startswith(BASE))


def _sources(text: str, labels: dict[str, str] | None = None) -> str:
    found = text.split()
    if not found:
        return ""
    links = []
    for s in found:
        label = (labels or {}).get(s) or (
            s.rsplit("/", 1)[-1] if s.startswith(BASE) else s.split("/")[2]
        )
        links.append(
            f'<a class="src" href="{html.escape(html.local(s), quote=True)}" title="{html.escape(s)}">{html.escape(label)}</a>'
        )
    return ' <span class="sources">[' + ", ".join(links) + "]</span>"


def _indicators(by_section: dict[str, list[Row]], labels: dict[str, str]) -> str:
    rows, figures = [], []
    for section, (item, title, unit) in zip(
        ("total-population", "population-density", "population-older-than-65"),
        INDICATORS,
        strict=True,
    ):
        found = sorted(
            (r for r in by_section[section] if value(r, "item") == item),
            key=lambda r: value(r, "year"),
            reverse=True,
        )
        seen: set[tuple[str, str]] = set()
        points = []
        for r in found:
            key = (value(r, "year"), value(r, "value"))
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                (
                    html.escape(title),
                    f'<span class="num">{html.escape(_round(value(r, "value")))}</span>{html.escape(unit)}',
                    html.escape(value(r, "year")),
                    html.link(value(r, "about"), "observation")
                    + _sources(value(r, "sources"), labels),
                )
            )
            with suppress(ValueError):  # a value that is not a number is listed, not drawn
                points.append((value(r, "year"), float(value(r, "value"))))
        if points:
            figures.append(charts.bars(f"{title} by year", sorted(points), unit))
    if not rows:
        return _section("indicators", "Key indicators", "")
    chart = f'<div class="charts">{"".join(figures)}</div>'
    return _section(
        "indicators",
        "Key indicators",
        html.table(["indicator", "value", "year", "source"], rows, "indicators") + chart,
    )


def _round(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:.2f}".rstrip("0").rstrip(".") if number != int(number) else f"{int(number)}"


def _typologies(by_section: dict[str, list[Row]]) -> str:
    items: dict[str, str] = {}
    for r in by_section["mountain-remote-island"] + by_section["innovation-performance"]:
        about = value(r, "about")
        via = value(r, "via")
        where = (
            f" (through {html.link(via)})"
            if via and value(r, "item") == "territorial typology"
            else ""
        )
        items.setdefault(
            about + via,
            f"<li>{html.escape(value(r, 'item'))}: {html.link(about, value(r, 'value') or None)}{where}</li>",
        )
    return _section(
        "typologies",
        "Typologies and innovation performance",
        f"<ul>{''.join(items.values())}</ul>" if items else "",
    )


def _ris3(lookup: Lookup, by_section: dict[str, list[Row]], code: str) -> str:
    rows = []
    for period, section in (("2021-2027", "ris3-2021-2027"), ("2014-2020", "ris3-2014-2020")):
        for r in by_section[section]:
            rows.append(
                (
                    period,
                    html.link(value(r, "about")),
                    html.escape(value(r, "item")),
                    html.term(r.get("value")) + _sources(value(r, "sources")),
                )
            )
    status = lookup.canned("gaps/no-pm-priority", {"region": code})
    text = "".join(
        f'<p class="status">RIS3 2021-2027: <strong>{html.escape(value(r, "status"))}</strong>'
        + (f" ({html.link(value(r, 'strategy'))})" if value(r, "strategy") else "")
        + "</p>"
        for r in status
    )
    if not status and rows:
        text = '<p class="status">RIS3 2021-2027: <strong>prioritises personalised medicine (stated)</strong></p>'
    table = html.table(["period", "strategy", "item", "value"], rows) if rows else ""
    return _section("ris3", "RIS3 status", text + table)


def _memberships(lookup: Lookup, rows: list[Row]) -> str:
    memberships = {value(r, "about") for r in rows}
    facts = lookup.facts(memberships, [ORG + "role", ORG + "member"])
    roles = {
        value(f, "s"): value(f, "oLabel") or value(f, "o")
        for f in facts
        if value(f, "p") == ORG + "role"
    }
    members = {
        value(f, "s"): (value(f, "o"), value(f, "oLabel"))
        for f in facts
        if value(f, "p") == ORG + "member"
    }
    labels = lookup.labels(value(r, "value") for r in rows)
    out = []
    for r in rows:
        m, org = value(r, "about"), value(r, "value")
        member, member_label = members.get(m, (value(r, "via"), ""))
        out.append(
            (
                html.link(org, labels.get(org)),
                html.escape(roles.get(m, "(not stated)")),
                html.link(member, member_label or None)
                + (" (larger region)" if value(r, "item") != "membership" else ""),
                html.link(m, "membership") + _sources(value(r, "sources")),
            )
        )
    return _section(
        "memberships",
        "Memberships",
        html.table(["initiative", "role", "member", "evidence"], out) if out else "",
    )


def _practices(rows: list[Row]) -> str:
    items = {
        value(
            r, "about"
        ): f"<li>{html.link(value(r, 'about'), value(r, 'value') or None)}{_sources(value(r, 'sources'))}</li>"
        for r in rows
    }
    return _section(
        "practices",
        "Best practices, pilots and projects",
        f"<ul>{''.join(items.values())}</ul>" if items else "",
    )


def _stakeholders(lookup: Lookup, rows: list[Row]) -> str:
    actors = {value(r, "about"): value(r, "value") for r in rows}
    facts = lookup.facts(actors, [ORG + "classification", SPH + "activeInStage"])
    helix: dict[str, list[str]] = defaultdict(list)
    stage: dict[str, list[str]] = defaultdict(list)
    for f in facts:
        label = value(f, "oLabel") or html.short(value(f, "o"))
        (helix if value(f, "p") == ORG + "classification" else stage)[value(f, "s")].append(label)
    grid: dict[tuple[str, str], int] = defaultdict(int)
    for a in actors:
        for h in helix.get(a) or ["(helix not stated)"]:
            for s in stage.get(a) or ["(stage not stated)"]:
                grid[(h, s)] += 1
    listed = (
        html.table(
            ["stakeholder", "helix", "value-chain stages"],
            [
                (
                    html.link(a, actors[a] or None),
                    html.escape(", ".join(sorted(helix.get(a, [])))),
                    html.escape(", ".join(sorted(stage.get(a, [])))),
                )
                for a in sorted(actors, key=lambda a: actors[a])
            ],
        )
        if actors
        else ""
    )
    helices = sorted({h for h, _ in grid})
    stages = sorted({s for _, s in grid})
    matrix = (
        html.table(
            ["helix \\ stage", *stages],
            [(html.escape(h), *(str(grid.get((h, s), "")) for s in stages)) for h in helices],
            "matrix",
        )
        if grid
        else ""
    )
    return _section(
        "stakeholders",
        "Stakeholders by helix and value-chain stage",
        matrix + listed,
        "No stakeholder located in the region is recorded.",
    )


def _gaps(lookup: Lookup, code: str) -> str:
    items = []
    stages = lookup.canned("gaps/missing-stages", {"region": code})
    if stages:
        items.append(
            "<li>Value-chain stages with no actor recorded: "
            + ", ".join(
                html.link(value(r, "stage"), value(r, "stageLabel") or None) for r in stages
            )
            + f' <span class="muted">({value(stages[0], "actorsRecorded", "0")} actors recorded in the region)</span></li>'
        )
    helices = lookup.canned("gaps/missing-helices", {"region": code})
    if helices:
        items.append(
            "<li>Quadruple-helix categories with no actor recorded: "
            + ", ".join(
                html.link(value(r, "helix"), value(r, "helixLabel") or None) for r in helices
            )
            + "</li>"
        )
    for r in lookup.canned("gaps/no-pm-priority", {"region": code}):
        items.append(f"<li>Smart specialisation: {html.escape(value(r, 'status'))}</li>")
    networks: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    for r in lookup.canned("gaps/missing-networks", {"region": code}):
        labels[value(r, "network")] = value(r, "networkLabel")
        peer = html.link(value(r, "peer"), value(r, "peerLabel") or None)
        if peer not in networks[value(r, "network")]:
            networks[value(r, "network")].append(peer)
    for n, peers in sorted(networks.items()):
        items.append(
            f"<li>Not a member of {html.link(n, labels[n] or None)}, which comparable regions belong to: {', '.join(peers)}</li>"
        )
    content = f'<ul class="gaps">{"".join(items)}</ul>' if items else ""
    return _section("gaps", "Gaps found", content, "No gap found by the gap analyses.")


def _partners(lookup: Lookup, region: str, code: str) -> str:
    hints: dict[str, set[str]] = defaultdict(set)
    for r in lookup.canned("complementarity/special-needs-peers"):
        if value(r, "special") == region:
            hints[value(r, "peer")].add(
                f"{value(r, 'basis')} (special need: {html.short(value(r, 'need'))})"
            )
    for r in lookup.canned("complementarity/stage-partners", {"region": code}):
        hints[value(r, "partner")].add(f"has actors at {value(r, 'stageLabel')}")
    for r in lookup.canned("gaps/missing-networks", {"region": code}):
        hints[value(r, "peer")].add(f"member of {value(r, 'networkLabel')}")
    candidates = sorted(
        (p for p in hints if p.startswith(REGION_NS) and p != region),
        key=lambda p: (-len(hints[p]), p),
    )
    scored = []
    for peer in candidates[: PARTNERS * 2]:
        try:
            reasons = lookup.canned(
                "complementarity/score", {"region_a": code, "region_b": peer[len(REGION_NS) :]}
            )
        except ParameterError:
            continue
        score = int(value(reasons[0], "score", "0")) if reasons else 0
        scored.append((score, peer, reasons))
    scored.sort(key=lambda s: (-s[0], s[1]))
    labels = lookup.labels(p for _, p, _ in scored)
    out = []
    for score, peer, reasons in scored[:PARTNERS]:
        why = sorted(
            {
                f"{value(r, 'reason')} ({value(r, 'direction')}): {value(r, 'aboutLabel') or html.short(value(r, 'about'))}"
                for r in reasons
            }
        )
        listed = "".join(f"<li>{html.escape(w)}</li>" for w in why + sorted(hints[peer]))
        out.append(
            f'<li class="partner">{html.link(peer, labels.get(peer))} — score <strong>{score}</strong>'
            f"<ul>{listed}</ul></li>"
        )
    content = f'<ol class="partners">{"".join(out)}</ol>' if out else ""
    return _section(
        "partners",
        "Most complementary partner regions",
        content,
        "No partner region suggested by the complementarity analyses.",
    )


def _roadmap(lookup: Lookup, code: str) -> str:
    rows = lookup.canned("observatory/roadmap-module", {"region": code})
    if not rows:
        return _section("roadmap", "Suggested roadmap module", "")
    labels = lookup.labels(
        {value(r, "module") for r in rows} | {value(r, "initiative") for r in rows}
    )
    module = value(rows[0], "module")
    evidence = "".join(
        f"<li>{html.link(value(r, 'evidence'), 'evidence')}"
        + (
            f" · {html.link(value(r, 'initiative'), labels.get(value(r, 'initiative')))}"
            if value(r, "initiative")
            else ""
        )
        + (f" · through {html.link(value(r, 'via'))}" if value(r, "via") else "")
        + "</li>"
        for r in rows
        if value(r, "evidence")
    )
    content = (
        f'<p class="module">Start from <strong>{html.link(module, labels.get(module))}</strong> — '
        f"rule “{html.escape(value(rows[0], 'rule'))}”</p>"
        + (f"<ul>{evidence}</ul>" if evidence else "")
    )
    return _section("roadmap", "Suggested roadmap module", content)


# ---------------------------------------------------------------------------------------------
# The index of regions and initiatives


def index_rows(lookup: Lookup, q: str) -> tuple[list[Row], list[Row]]:
    """Regions and initiatives; without `q` the observatory regions, with it any region whose
    name or code contains it (case-insensitive)."""
    if q:
        needle = literal(q.lower())
        match = f"FILTER(CONTAINS(LCASE(STR(?label)), {needle}) || CONTAINS(LCASE(STR(?code)), {needle}))"
        regions = lookup.select(
            f"SELECT ?r (SAMPLE(?label) AS ?name) (SAMPLE(?code) AS ?nuts) (SAMPLE(?o) AS ?observatory) WHERE {{ "
            f"?r a <{SPH}Region> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?label . "
            f"OPTIONAL {{ ?r <{SPH}nutsCode> ?c }} BIND(COALESCE(?c, STRAFTER(STR(?r), {literal(REGION_NS)})) AS ?code) "
            f"OPTIONAL {{ ?r a <{SPH}ObservatoryRegion> BIND(true AS ?o) }} {match} }} GROUP BY ?r ORDER BY ?nuts LIMIT 200"
        )
        code_match = (
            f"FILTER(CONTAINS(LCASE(STR(?label)), {needle}) || CONTAINS(LCASE(STR(?i)), {needle}))"
        )
    else:
        regions = lookup.select(
            f"SELECT ?r (SAMPLE(?label) AS ?name) (SAMPLE(?c) AS ?nuts) (true AS ?observatory) WHERE {{ "
            f"?r a <{SPH}ObservatoryRegion> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?label . "
            f"OPTIONAL {{ ?r <{SPH}nutsCode> ?c }} }} GROUP BY ?r ORDER BY ?nuts ?r"
        )
        code_match = ""
    initiatives = lookup.select(
        f"SELECT ?i (SAMPLE(?label) AS ?name) (SAMPLE(?k) AS ?kind) WHERE {{ ?i a ?k ; {LABELS} ?label . "
        f"FILTER(STRSTARTS(STR(?i), {literal(BASE + 'id/initiative/')})) {code_match} }} GROUP BY ?i ORDER BY ?name"
    )
    return regions, initiatives


def router(resolved: Catalog | None) -> APIRouter:
    """`/regions` and `/examples`; `resolved` is the catalogue with its enums read from the store."""
    api = APIRouter(tags=["Pages"])

    @api.get(
        "/regions",
        summary="Index of regions and initiatives, with search by name or code",
        response_class=Response,
    )
    def regions(
        request: Request,
        endpoint: Annotated[Endpoint, Depends(get_endpoint)],
        q: Annotated[str, Query(max_length=100, description="Part of a name or code")] = "",
    ) -> Response:
        lookup = Lookup(endpoint, resolved)
        q = q.strip()
        found, initiatives = index_rows(lookup, q)
        region_rows = [
            (
                html.escape(value(r, "nuts")),
                html.link(value(r, "r"), value(r, "name")),
                "observatory" if value(r, "observatory") == "true" else "",
            )
            for r in found
        ]
        initiative_rows = [
            (html.link(value(r, "i"), value(r, "name")), html.link(value(r, "kind")))
            for r in initiatives
        ]
        heading = (
            f"Regions matching “{html.escape(q)}” ({len(found)})"
            if q
            else f"Observatory regions ({len(found)})"
        )
        body = (
            '<form class="search" method="get" action="/regions" role="search">'
            f'<input type="search" name="q" value="{html.escape(q, quote=True)}" placeholder="name or code, e.g. Flanders, FI1D, vanguard" '
            'aria-label="Search regions and initiatives"> <button type="submit">Search</button></form>'
            f"<h2>{heading}</h2>"
            + (
                html.table(["code", "region", ""], region_rows, "index")
                if region_rows
                else "<p class=muted>No region matches.</p>"
            )
            + f"<h2>Initiatives ({len(initiatives)})</h2>"
            + (
                html.table(["initiative", "kind"], initiative_rows, "index")
                if initiative_rows
                else "<p class=muted>No initiative matches.</p>"
            )
        )
        page = html.page(
            "Regions and initiatives",
            body,
            subtitle="The SAPHIRe Observatory's regions and the initiatives they take part in",
        )
        return Response(
            page, media_type=HTML.content_type, headers={"Cache-Control": "public, max-age=60"}
        )

    @api.get("/examples", summary="The canned analyses as SPARQL with their example values bound")
    def examples() -> JSONResponse:
        found = []
        for query in resolved or ():
            try:
                text = bind_text(query.sparql, query.bind(query.examples()))
            except ParameterError:
                continue  # an example that needs values the catalogue does not give
            found.append({"name": query.name, "title": query.title, "sparql": text})
        return JSONResponse(found, headers={"Cache-Control": "public, max-age=60"})

    return api
