"""The query page a browser gets at /sparql: a form, a results table, the dataset; no CDN, no build.

The canned analyses are offered as examples (fetched from `/examples`, their example values
bound); choosing one puts its SPARQL in the editor. It posts the query as
`application/sparql-query` to the same URL and renders SPARQL JSON
results as a table (RDF answers as text). The service description is embedded as JSON-LD.
"""

from __future__ import annotations

from html import escape

from ..service_description import Dataset, Limits

EXAMPLE = """PREFIX sph: <https://w3id.org/saphire/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

SELECT ?region ?label ?level WHERE {
  ?region a sph:Region ; skos:prefLabel ?label ; sph:nutsLevel ?level .
}
ORDER BY ?level ?label
LIMIT 25"""

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fafbfc}
header{background:#123c69;color:#fff;padding:.8rem 1.5rem}header h1{margin:0;font-size:1.25rem}
header p{margin:.2rem 0 0;opacity:.85;font-size:.9rem}main{padding:1rem 1.5rem;max-width:72rem}
textarea{width:100%;min-height:14rem;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;padding:.6rem;
border:1px solid #c9d1d9;border-radius:6px;box-sizing:border-box}
.bar{display:flex;gap:.6rem;align-items:center;margin:.6rem 0;flex-wrap:wrap}
button{background:#123c69;color:#fff;border:0;border-radius:6px;padding:.45rem 1.1rem;font-size:.95rem;cursor:pointer}
select{padding:.35rem;border-radius:6px;border:1px solid #c9d1d9}#status{color:#57606a;font-size:.9rem}
#error{white-space:pre-wrap;color:#a40e26;background:#ffebe9;border:1px solid #ffcecb;padding:.6rem;border-radius:6px;display:none}
table{border-collapse:collapse;width:100%;font-size:.88rem;background:#fff}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f0f3f6}pre#raw{white-space:pre-wrap;background:#fff;border:1px solid #d0d7de;
padding:.6rem;display:none}details{margin-top:1.5rem}code{font-size:.85rem}.muted{color:#57606a}
"""

_SCRIPT = """
const form = document.getElementById('q');
const examples = document.getElementById('examples');
fetch('/examples').then(r => r.ok ? r.json() : []).then(list => {
  for (const e of list) {
    const o = document.createElement('option'); o.value = e.sparql; o.textContent = e.name + ' — ' + e.title;
    examples.appendChild(o);
  }
  examples.disabled = list.length === 0;
}).catch(() => {});
examples.addEventListener('change', () => { if (examples.value) document.getElementById('query').value = examples.value; });
const out = document.getElementById('out'), raw = document.getElementById('raw');
const err = document.getElementById('error'), status = document.getElementById('status');
function cell(t) {
  if (!t) return '';
  if (t.type === 'uri') { const a = document.createElement('a'); a.href = t.value; a.textContent = t.value; return a; }
  let s = t.value; if (t['xml:lang']) s += ' @' + t['xml:lang'];
  return document.createTextNode(s);
}
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const chosen = document.getElementById('accept').value;
  // the other kind of answer as a fallback: a table asked for a CONSTRUCT shows its Turtle
  const graph = chosen === 'text/turtle' || chosen === 'application/ld+json';
  const accept = chosen + (graph ? ', application/sparql-results+json;q=0.5' : ', text/turtle;q=0.5');
  err.style.display = 'none'; raw.style.display = 'none'; out.replaceChildren(); status.textContent = 'running…';
  const t0 = performance.now();
  let res;
  try {
    res = await fetch(form.action, {method: 'POST', body: document.getElementById('query').value,
      headers: {'Content-Type': 'application/sparql-query', 'Accept': accept}});
  } catch (e) { status.textContent = ''; err.textContent = String(e); err.style.display = 'block'; return; }
  const ms = Math.round(performance.now() - t0), text = await res.text();
  if (!res.ok) { status.textContent = res.status + ' in ' + ms + ' ms'; err.textContent = text; err.style.display = 'block'; return; }
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/sparql-results+json')) {
    const data = JSON.parse(text);
    if ('boolean' in data) { status.textContent = 'ASK: ' + data.boolean + ' (' + ms + ' ms)'; return; }
    const vars = data.head.vars, rows = data.results.bindings;
    const table = document.createElement('table'), head = table.insertRow();
    for (const v of vars) { const th = document.createElement('th'); th.textContent = v; head.appendChild(th); }
    table.id = 'results';
    for (const b of rows) { const tr = table.insertRow(); for (const v of vars) tr.insertCell().append(cell(b[v])); }
    out.appendChild(table);
    status.textContent = rows.length + ' row(s) in ' + ms + ' ms';
  } else {
    raw.textContent = text; raw.style.display = 'block'; status.textContent = type + ', ' + ms + ' ms';
  }
});
"""


def query_page(endpoint: str, dataset: Dataset, limits: Limits, sd_jsonld: str) -> str:
    """The whole page; every value from the data is escaped."""
    rows = "".join(
        f"<tr><td><code>{escape(g.iri)}</code></td><td>{'' if g.triples is None else g.triples}</td></tr>"
        for g in dataset.graphs
    )
    total = "" if dataset.triples is None else f"{dataset.triples} triples, "
    services = ", ".join(escape(s) for s in limits.allow_services) or "none"
    options = "".join(
        f'<option value="{m}">{label}</option>'
        for m, label in (
            ("application/sparql-results+json", "table (SPARQL JSON)"),
            ("text/csv", "CSV"),
            ("text/tab-separated-values", "TSV"),
            ("application/sparql-results+xml", "SPARQL XML"),
            ("text/turtle", "Turtle (CONSTRUCT/DESCRIBE)"),
            ("application/ld+json", "JSON-LD (CONSTRUCT/DESCRIBE)"),
        )
    )
    sd = sd_jsonld.replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SAPHIRe knowledge graph — SPARQL</title><style>{_STYLE}</style>
<script type="application/ld+json">{sd}</script></head>
<body><header><h1>SAPHIRe knowledge graph — SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 at <code>{escape(endpoint)}</code> · dataset version {escape(dataset.version)}</p></header>
<main>
<form id="q" action="{escape(endpoint)}" method="post">
<div class="bar"><label>Example: <select id="examples" disabled><option value="">canned analyses…</option></select></label>
<a href="/regions">regions and initiatives</a></div>
<label for="query" class="muted">Query (the default graph is the union of all named graphs)</label>
<textarea id="query" name="query" spellcheck="false">{escape(EXAMPLE)}</textarea>
<div class="bar"><button type="submit">Run</button>
<label>as <select id="accept">{options}</select></label><span id="status" aria-live="polite"></span></div>
</form>
<div id="error" role="alert"></div><div id="out"></div><pre id="raw"></pre>
<details><summary>Dataset: {total}{len(dataset.graphs)} named graphs</summary>
<table><tr><th>named graph</th><th>triples</th></tr>{rows}</table></details>
<details><summary>Limits and formats</summary><p>Each query may run {limits.timeout:g} s (then 503, never a
partial result) and return {limits.max_results or "any number of"} rows or triples (then 507). SERVICE
calls go only to: {services}. Results: SPARQL JSON, XML, CSV, TSV; graphs: Turtle, N-Triples, N-Quads,
TriG, RDF/XML, JSON-LD. The service description is at this URL with
<code>Accept: text/turtle</code>; the VoID/DCAT description at <a href="/.well-known/void">/.well-known/void</a>.</p>
</details>
</main><script>{_SCRIPT}</script></body></html>
"""
