"""The catalogue of canned analyses: `queries/**/*.rq`, their `#+` YAML headers and typed parameters.

Each file starts with a header of `#+ ` comment lines holding YAML:

    #+ title: Missing value-chain stages per region
    #+ description: >
    #+   What the analysis answers, how, and what an empty answer means.
    #+ tags: [gaps, value-chain]
    #+ parameters:
    #+   - name: region
    #+     type: region            # region | iri | string | integer | decimal | date | boolean | enum
    #+     required: false         # or `default: ...`
    #+     example: FI1D
    #+     description: The region to analyse (a NUTS code or x-slug); all observatory regions if absent.

A malformed header is a `QueryHeaderError` at `file:line`, never a warning. A parameter value is
checked against its declaration and turned into one RDF term (rdflib `URIRef` / `Literal`); the
query stage binds that term to the variable of the same name, never by pasting text.

The SPARQL text is also scanned (strings, IRIs and comments skipped) so that the two binding
modes of the query stage give the same answers: engine substitution (SEP-0007, which binds only
variables that every enclosing SELECT projects) and, for remote stores, token replacement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from rdflib import Literal, URIRef
from rdflib.term import Node

from .errors import ParameterError, QueryHeaderError
from .namespaces import ID, XSD

REGION_NS = str(ID["region/"])
TYPES = ("region", "iri", "string", "integer", "decimal", "date", "boolean", "enum")
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

_HEADER_KEYS = {"title", "description", "tags", "parameters"}
_PARAM_KEYS = {
    "name", "type", "required", "default", "example", "description",
    "namespace", "min", "max", "max_length", "values", "scheme", "scope",
}
_TYPE_KEYS = {  # keys allowed only with some types
    "namespace": {"iri"},
    "min": {"integer", "decimal"},
    "max": {"integer", "decimal"},
    "max_length": {"string"},
    "values": {"enum"},
    "scheme": {"enum"},
    "scope": {"region"},
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED_NAMES = ("format", "output")  # the answer's format, on every analysis (http.deps)
_CODE = re.compile(r"^[A-Z]{2}[0-9A-Z]{0,3}(-[0-9]{4})?$")
_SLUG = re.compile(r"^x-[a-z0-9]+(-[a-z0-9]+)*$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x20]*$")
_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.~\-]*$")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
DEFAULT_MAX_LENGTH = 200
MAX_IRI_LENGTH = 500


# ---------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its type, constraints, default and example."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: str | None = None
    example: str | None = None
    namespace: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    values: tuple[str, ...] = ()  # enum: the allowed keys (listed, or resolved from `scheme`)
    value_iris: Mapping[str, str] = field(default_factory=dict)  # enum from a scheme: key -> IRI
    scheme: str | None = None
    scope: str | None = None  # region: "observatory" restricts to sph:ObservatoryRegion
    line: int = 0  # where it is declared, for errors

    @property
    def resolved(self) -> bool:
        """False for an enum drawn from a concept scheme that has not been read yet."""
        return self.type != "enum" or bool(self.values)

    def term(self, raw: str, today: date | None = None) -> Node:
        """The RDF term for a value given as text; `ParameterError` if it does not fit."""
        value = str(raw)
        if self.type != "string":  # a string is taken as given, spaces and newlines included
            value = value.strip()
        if len(value) > max(self.max_length, MAX_IRI_LENGTH if self.type == "iri" else 0):
            raise ParameterError(self.name, f"too long ({len(value)} characters; at most {self.max_length})", _clip(value))
        check = getattr(self, f"_{self.type}")
        return check(value, today)

    def _region(self, value: str, today: date | None) -> Node:
        key = value[len(REGION_NS):] if value.startswith(REGION_NS) else value
        if _SLUG.match(key):
            return URIRef(REGION_NS + key)
        if _CODE.match(key.upper()):
            return URIRef(REGION_NS + key.upper())
        raise ParameterError(self.name, "expected a NUTS code (e.g. FI1D) or the key of a region without one (e.g. x-jersey)", _clip(value))

    def _iri(self, value: str, today: date | None) -> Node:
        if self.namespace and _LOCAL.match(value) and ":" not in value:
            value = self.namespace + value
        if not _IRI.match(value):
            raise ParameterError(self.name, "expected an absolute IRI", _clip(value))
        if self.namespace and not value.startswith(self.namespace):
            raise ParameterError(self.name, f"expected an IRI in {self.namespace} (or the part after it)", _clip(value))
        return URIRef(value)

    def _string(self, value: str, today: date | None) -> Node:
        if any(ord(c) < 0x20 and c not in "\t\n\r" for c in value):
            raise ParameterError(self.name, "control characters are not allowed", _clip(value))
        return Literal(value)

    def _integer(self, value: str, today: date | None) -> Node:
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            raise ParameterError(self.name, "expected an integer", _clip(value))
        self._in_range(Decimal(value), _clip(value))  # (before its size: "at most 100")
        if len(value.lstrip("+-").lstrip("0")) > 18:
            raise ParameterError(self.name, "expected an integer of at most 18 digits", _clip(value))
        return Literal(int(value), datatype=XSD.integer)

    def _decimal(self, value: str, today: date | None) -> Node:
        if not re.fullmatch(r"[+-]?([0-9]{1,18}(\.[0-9]{0,12})?|\.[0-9]{1,12})", value):
            raise ParameterError(self.name, "expected a decimal number (e.g. 12.5)", _clip(value))
        try:
            number = Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern above rules it out
            raise ParameterError(self.name, "expected a decimal number", _clip(value)) from exc
        self._in_range(number, value)
        return Literal(number, datatype=XSD.decimal)

    def _in_range(self, number: Decimal, value: str) -> None:
        if self.minimum is not None and number < self.minimum:
            raise ParameterError(self.name, f"must be at least {self.minimum}", value)
        if self.maximum is not None and number > self.maximum:
            raise ParameterError(self.name, f"must be at most {self.maximum}", value)

    def _date(self, value: str, today: date | None) -> Node:
        if value == "today":
            return Literal((today or date.today()).isoformat(), datatype=XSD.date)
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ParameterError(self.name, "expected a date as YYYY-MM-DD (or `today`)", _clip(value))
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ParameterError(self.name, f"not a date: {exc}", value) from exc
        return Literal(day.isoformat(), datatype=XSD.date)

    def _boolean(self, value: str, today: date | None) -> Node:
        flag = _BOOLEANS.get(value.lower())
        if flag is None:
            raise ParameterError(self.name, "expected true or false", _clip(value))
        return Literal(flag)

    def _enum(self, value: str, today: date | None) -> Node:
        if self.scheme:
            if not self.values:
                raise ParameterError(self.name, f"the concepts of {self.scheme} have not been read from the store")
            key = next((k for k, iri in self.value_iris.items() if iri == value), value)
            if key in self.value_iris:
                return URIRef(self.value_iris[key])
        elif value in self.values:
            return Literal(value)
        raise ParameterError(self.name, "expected one of: " + ", ".join(self.values), _clip(value))

    def openapi_schema(self) -> dict[str, Any]:
        """This parameter as an OpenAPI 3.1 schema (type, pattern, bounds, enum, default)."""
        schema: dict[str, Any] = {"type": "string"}
        if self.type == "region":
            schema["pattern"] = r"^([A-Za-z]{2}[0-9A-Za-z]{0,3}(-[0-9]{4})?|x-[a-z0-9]+(-[a-z0-9]+)*)$"
        elif self.type == "integer":
            schema = {"type": "integer"}
        elif self.type == "decimal":
            schema = {"type": "number"}
        elif self.type == "boolean":
            schema = {"type": "boolean"}
        elif self.type == "date":
            schema["format"] = "date"
        elif self.type == "enum":
            schema["enum"] = list(self.values)
        elif self.type == "string":
            schema["maxLength"] = self.max_length
        elif self.type == "iri" and self.namespace is None:  # (else a local name will do too)
            schema["format"] = "iri"
        if self.minimum is not None:
            schema["minimum"] = float(self.minimum) if self.type == "decimal" else int(self.minimum)
        if self.maximum is not None:
            schema["maximum"] = float(self.maximum) if self.type == "decimal" else int(self.maximum)
        if self.default is not None and self.default != "today":
            schema["default"] = _typed(self.type, self.default)
        return schema

    def describe(self) -> dict[str, Any]:
        """A plain description (for `--list --format json` and `GET /queries`)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        for key in ("description", "default", "example", "namespace", "scheme", "scope"):
            if getattr(self, key) not in (None, ""):
                out[key] = getattr(self, key)
        if self.values:
            out["values"] = list(self.values)
        if self.minimum is not None:
            out["min"] = str(self.minimum)
        if self.maximum is not None:
            out["max"] = str(self.maximum)
        return out


def _typed(kind: str, value: str) -> Any:
    if kind == "integer":
        return int(value)
    if kind == "decimal":
        return float(value)
    if kind == "boolean":
        return _BOOLEANS.get(value.lower(), value)
    return value


def _clip(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit] + f"… ({len(value)} characters)"


# ---------------------------------------------------------------------------------------------
# SPARQL scanning: where each variable occurs, so that binding by text gives the engine's answer

_TOKEN = re.compile(
    r'(?P<ws>\s+)'
    r'|(?P<comment>\#[^\n]*)'
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r'|(?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)'
    r'|(?P<word>[A-Za-z0-9_:\u00C0-\uFFFF][A-Za-z0-9_:.\-%\u00B7\u00C0-\uFFFF]*)'
    r'|(?P<punct>.)',
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(sparql: str, first_line: int = 1) -> list[Token]:
    """Tokens of a SPARQL text; strings, IRIs and comments are single tokens, never looked into."""
    tokens, line = [], first_line
    for m in _TOKEN.finditer(sparql):
        kind = m.lastgroup or "punct"
        tokens.append(Token(kind, m.group(), line))
        line += m.group().count("\n")
    return tokens


@dataclass(eq=False)  # compared by identity: two sub-selects may look alike
class _Level:
    """One SELECT (the query, or a sub-select): what it projects and where variables occur."""

    parent: _Level | None
    open_depth: int  # brace depth at which the SELECT keyword stands
    select_parens: int = 0  # paren depth at the SELECT keyword: projected variables stand there
    projected: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    children: list[_Level] = field(default_factory=list)
    star: bool = False


@dataclass(frozen=True)
class Occurrence:
    """A variable token and the role it plays where it stands."""

    index: int  # into the token list
    name: str
    role: str  # "projected" | "grouped" (bare in GROUP/ORDER BY) | "bound" (after AS) | "values" | "term"
    level: int  # id of the SELECT level


@dataclass(frozen=True)
class Scan:
    """The structure of a query text that binding needs."""

    tokens: list[Token]
    form: str
    occurrences: list[Occurrence]
    projected_by_child: dict[int, frozenset[str]]  # level id -> variables its sub-selects project
    levels: dict[int, tuple[int | None, frozenset[str], frozenset[str], bool]]  # id -> parent, projected, used, star


def scan(sparql: str, first_line: int = 1) -> Scan:
    """Find each variable's role: projected, grouped, bound by AS, in VALUES, or a plain term."""
    tokens = tokenize(sparql, first_line)
    braces = parens = 0
    form = ""
    levels: list[_Level] = []
    stack: list[_Level] = []
    occurrences: list[Occurrence] = []
    mode = "prologue"  # prologue | projection | body | modifiers
    sub: tuple[str, int] | None = None  # ("group"|"order"|"values", paren depth) inside modifiers
    values_vars = False
    after_as = False
    pending: str | None = None  # "GROUP" / "ORDER" waiting for BY

    def current() -> _Level | None:
        return stack[-1] if stack else None

    for i, tok in enumerate(tokens):
        if tok.kind in ("ws", "comment"):
            continue
        kw = tok.keyword
        if kw in FORMS and not form:
            form = kw
        if kw == "SELECT":
            level = _Level(parent=current(), open_depth=braces, select_parens=parens)
            if level.parent:
                level.parent.children.append(level)
            levels.append(level)
            stack.append(level)
            mode, sub, after_as = "projection", None, False
            continue
        if tok.kind == "punct" and tok.text == "*" and mode == "projection" and stack:
            stack[-1].star = True
        if kw == "VALUES":
            values_vars, sub = True, None
            continue
        if kw in ("GROUP", "ORDER"):
            pending = kw
            continue
        if kw == "BY" and pending:
            sub, pending = ("group" if pending == "GROUP" else "order", parens), None
            continue
        if kw in ("HAVING", "LIMIT", "OFFSET"):
            sub = None
        if kw == "WHERE" and mode == "projection":
            mode = "body"
        if kw == "AS":
            after_as = True
            continue
        if tok.kind == "punct":
            if tok.text == "{":
                if mode == "projection":
                    mode = "body"
                values_vars = False
                sub = None
                braces += 1
            elif tok.text == "}":
                braces -= 1
                sub = None
                while stack and braces < stack[-1].open_depth:
                    stack.pop()
                if (stack and braces == stack[-1].open_depth) or (not stack and braces == 0 and form):
                    mode = "modifiers"
            elif tok.text == "(":
                parens += 1
            elif tok.text == ")":
                parens -= 1
                if sub and parens < sub[1]:
                    sub = None
            if tok.text not in "()":
                after_as = False
            continue
        if tok.kind != "var":
            after_as = False
            continue
        name = tok.text[1:]
        here = current()
        level_id = levels.index(here) if here else -1
        if after_as:
            role = "bound"
        elif values_vars:
            role = "values"
        elif mode == "projection" and here and parens == here.select_parens:
            role = "projected"
        elif sub and sub[0] in ("group", "order") and parens == sub[1]:
            role = "grouped"
        else:
            role = "term"
        after_as = False
        if here is not None:
            if role == "projected":
                here.projected.add(name)
            else:
                here.used.add(name)
        occurrences.append(Occurrence(i, name, role, level_id))

    projected_by_child = {
        n: frozenset(v for child in level.children for v in child.projected) for n, level in enumerate(levels)
    }
    table = {
        n: (levels.index(level.parent) if level.parent else None, frozenset(level.projected), frozenset(level.used), level.star)
        for n, level in enumerate(levels)
    }
    return Scan(tokens, form or "SELECT", occurrences, projected_by_child, table)


# ---------------------------------------------------------------------------------------------
# Canned queries and the catalogue


@dataclass(frozen=True)
class CannedQuery:
    """One analysis: its name (path under queries/ without .rq), header and SPARQL text."""

    name: str
    path: Path
    title: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    sparql: str  # the whole file; `#+` lines are comments to SPARQL
    form: str

    @property
    def folder(self) -> str:
        return self.name.split("/", 1)[0] if "/" in self.name else ""

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ParameterError(name, "no such parameter; expected one of: " + (", ".join(p.name for p in self.parameters) or "none"))

    def bind(self, raw: Mapping[str, str], today: date | None = None) -> dict[str, Node]:
        """Check every given value and apply defaults: variable name -> RDF term.

        Unknown names and missing required parameters are errors; optional parameters without a
        value and without a default stay unbound (the query then ranges over every value).
        """
        for name in raw:
            self.parameter(name)  # raises for an unknown name
        terms: dict[str, Node] = {}
        for p in self.parameters:
            value = raw.get(p.name)
            if value is None or (isinstance(value, str) and value.strip() == ""):
                if p.required:
                    raise ParameterError(p.name, "is required" + (f" (e.g. {p.example})" if p.example else ""))
                if p.default is None:
                    continue
                value = p.default
            terms[p.name] = p.term(value, today)
        return terms

    def examples(self) -> dict[str, str]:
        """A value for every parameter that has an example (the documented call)."""
        return {p.name: p.example for p in self.parameters if p.example is not None}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "form": self.form,
            "parameters": [p.describe() for p in self.parameters],
        }


@dataclass(frozen=True)
class Catalog:
    """Every canned query, by name, in name order."""

    root: Path
    queries: Mapping[str, CannedQuery]

    def __iter__(self) -> Iterator[CannedQuery]:
        return iter(self.queries[name] for name in sorted(self.queries))

    def __len__(self) -> int:
        return len(self.queries)

    def get(self, name: str) -> CannedQuery:
        from .errors import UnknownQuery

        query = self.queries.get(name.removesuffix(".rq").strip("/"))
        if query is None:
            raise UnknownQuery(name)
        return query

    def schemes(self) -> set[str]:
        """The concept schemes enum parameters draw their values from."""
        return {p.scheme for q in self for p in q.parameters if p.scheme}

    def with_schemes(self, concepts: Callable[[str], Mapping[str, str]]) -> Catalog:
        """The catalogue with every scheme-drawn enum resolved: `concepts(scheme)` gives key -> IRI.

        A default or example that is not a concept of its scheme is a `QueryHeaderError`.
        """
        resolved: dict[str, CannedQuery] = {}
        cache: dict[str, Mapping[str, str]] = {}
        for q in self:
            params = []
            for p in q.parameters:
                if p.scheme:
                    if p.scheme not in cache:
                        cache[p.scheme] = dict(sorted(concepts(p.scheme).items()))
                    found = cache[p.scheme]
                    if not found:
                        raise QueryHeaderError(q.path, p.line, 1, f"parameter {p.name!r}: scheme {p.scheme} has no concepts in the store")
                    p = replace(p, values=tuple(found), value_iris=found)
                    for what in ("default", "example"):
                        value = getattr(p, what)
                        if value is not None:
                            try:
                                p.term(value)
                            except ParameterError as err:
                                raise QueryHeaderError(q.path, p.line, 1, f"{what} of {err}") from None
                params.append(p)
            resolved[q.name] = replace(q, parameters=tuple(params))
        return Catalog(self.root, resolved)


def load_catalog(folder: Path) -> Catalog:
    """Read every `*.rq` under `folder`; the first malformed header raises `QueryHeaderError`."""
    queries = {}
    for path in sorted(folder.rglob("*.rq")) if folder.is_dir() else []:
        query = read_query(path, folder)
        queries[query.name] = query
    return Catalog(folder, queries)


def read_query(path: Path, root: Path) -> CannedQuery:
    """Parse one `.rq` file: its header (YAML in `#+` lines) and its SPARQL."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(root).with_suffix("").as_posix()
    lines = text.splitlines()
    header_lines = []
    for number, line in enumerate(lines, start=1):
        if line.startswith("#+ ") or line.rstrip() == "#+":
            header_lines.append((number, line[3:] if line.startswith("#+ ") else ""))
        else:
            break
    if not header_lines:
        raise QueryHeaderError(path, 1, 1, "a canned query starts with a header of `#+ ` lines (YAML: title, description, parameters)")
    data, node = _parse_yaml(path, header_lines)
    where = _Where(path, header_lines, node)
    if not isinstance(data, dict):
        raise QueryHeaderError(path, header_lines[0][0], 1, "the header must be a YAML mapping (title: …, description: …)")
    for key in data:
        if key not in _HEADER_KEYS:
            raise where.error(f"unknown header key {key!r}; expected {', '.join(sorted(_HEADER_KEYS))}", key)
    for key in ("title", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise where.error(f"the header needs a non-empty `{key}`", key if key in data else None)
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise where.error("`tags` must be a list of words", "tags")
    raw_params = data.get("parameters", []) or []
    if not isinstance(raw_params, list):
        raise where.error("`parameters` must be a list of mappings", "parameters")
    body_start = header_lines[-1][0] + 1
    body = "\n".join(lines[body_start - 1:])
    scanned = scan(body, first_line=body_start)
    params = tuple(_parameter(where, i, item) for i, item in enumerate(raw_params))
    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise QueryHeaderError(path, p.line, 1, f"parameter {p.name!r} is declared twice")
        seen.add(p.name)
    _check_body(path, scanned, params, body_start)
    return CannedQuery(
        name=name,
        path=path,
        title=" ".join(data["title"].split()),
        description=data["description"].strip(),
        tags=tuple(tags),
        parameters=params,
        sparql=text,
        form=scanned.form,
    )


def _parse_yaml(path: Path, header_lines: list[tuple[int, str]]) -> tuple[Any, Any]:
    text = "\n".join(line for _, line in header_lines) + "\n"
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        index = min(mark.line, len(header_lines) - 1) if mark else 0
        column = (mark.column + 4) if mark else 1
        problem = err.problem or err.context or "invalid YAML"
        raise QueryHeaderError(path, header_lines[index][0], column, f"header is not valid YAML: {problem}") from None
    except yaml.YAMLError as err:
        raise QueryHeaderError(path, header_lines[0][0], 1, f"header is not valid YAML: {err}") from None
    finally:
        loader.dispose()
    return data, node


class _Where:
    """Maps YAML nodes back to the file lines they came from."""

    def __init__(self, path: Path, header_lines: list[tuple[int, str]], node: Any) -> None:
        self.path = path
        self.header_lines = header_lines
        self.node = node

    def line_of(self, node: Any) -> int:
        if node is None or not hasattr(node, "start_mark"):
            return self.header_lines[0][0]
        return self.header_lines[min(node.start_mark.line, len(self.header_lines) - 1)][0]

    def key_node(self, mapping: Any, key: str) -> Any:
        if isinstance(mapping, yaml.MappingNode):
            for k, _ in mapping.value:
                if k.value == key:
                    return k
        return mapping

    def value_node(self, mapping: Any, key: str) -> Any:
        if isinstance(mapping, yaml.MappingNode):
            for k, v in mapping.value:
                if k.value == key:
                    return v
        return mapping

    def param_node(self, index: int) -> Any:
        params = self.value_node(self.node, "parameters")
        if isinstance(params, yaml.SequenceNode) and index < len(params.value):
            return params.value[index]
        return params

    def error(self, message: str, key: str | None = None, node: Any = None) -> QueryHeaderError:
        target = node if node is not None else (self.key_node(self.node, key) if key else self.node)
        return QueryHeaderError(self.path, self.line_of(target), 1, message)


def _parameter(where: _Where, index: int, item: Any) -> Parameter:
    node = where.param_node(index)
    line = where.line_of(node)

    def fail(message: str, key: str | None = None, value: bool = False) -> QueryHeaderError:
        target = (where.value_node(node, key) if value else where.key_node(node, key)) if key else node
        return QueryHeaderError(where.path, where.line_of(target), 1, message)

    if not isinstance(item, dict):
        raise fail("each parameter is a mapping with at least `name`, `type` and `description`")
    label = f"parameter {item.get('name')!r}" if isinstance(item.get("name"), str) else f"parameter #{index + 1}"
    for key in item:
        if key not in _PARAM_KEYS:
            raise fail(f"{label}: unknown key {key!r}; expected {', '.join(sorted(_PARAM_KEYS))}", key)
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        hint = " (YAML reads on/off/yes/no as booleans: quote it)" if isinstance(name, bool) else ""
        raise fail(f"{label}: `name` must be a lower-case SPARQL variable name (a-z, 0-9, _){hint}", "name" if "name" in item else None, True)
    if name in RESERVED_NAMES:
        raise fail(f"{label}: `name` {name!r} is taken: /queries reads it as the answer's format", "name", True)
    kind = item.get("type")
    if kind not in TYPES:
        raise fail(f"{label}: `type` must be one of {', '.join(TYPES)}", "type" if "type" in item else None, True)
    for key, kinds in _TYPE_KEYS.items():
        if key in item and kind not in kinds:
            raise fail(f"{label}: `{key}` does not apply to type {kind}", key)
    description = item.get("description")
    if not isinstance(description, str) or not description.strip():
        raise fail(f"{label}: needs a `description`", "description" if "description" in item else None, True)
    required = item.get("required", False)
    if not isinstance(required, bool):
        raise fail(f"{label}: `required` is true or false", "required", True)
    if required and "default" in item:
        raise fail(f"{label}: a required parameter has no default", "default")
    bounds: dict[str, Decimal | None] = {}
    for key in ("min", "max"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise fail(f"{label}: `{key}` must be a number", key, True)
        bounds[key] = Decimal(str(value)) if value is not None else None
    max_length = item.get("max_length", DEFAULT_MAX_LENGTH)
    if not isinstance(max_length, int) or isinstance(max_length, bool) or not 1 <= max_length <= 10000:
        raise fail(f"{label}: `max_length` is an integer from 1 to 10000", "max_length", True)
    namespace = item.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not _IRI.match(namespace)):
        raise fail(f"{label}: `namespace` must be an absolute IRI", "namespace", True)
    scope = item.get("scope")
    if scope is not None and scope != "observatory":
        raise fail(f"{label}: `scope` can only be `observatory`", "scope", True)
    values: tuple[str, ...] = ()
    scheme = item.get("scheme")
    if kind == "enum":
        listed = item.get("values")
        if (listed is None) == (scheme is None):
            raise fail(f"{label}: an enum lists its `values` or names the `scheme` they are drawn from (one of the two)")
        if listed is not None:
            if not isinstance(listed, list) or not listed or not all(isinstance(v, str) and v for v in listed):
                raise fail(f"{label}: `values` must be a non-empty list of strings", "values", True)
            values = tuple(listed)
        elif not isinstance(scheme, str) or not _IRI.match(scheme):
            raise fail(f"{label}: `scheme` must be the IRI of a skos:ConceptScheme", "scheme", True)
    param = Parameter(
        name=name,
        type=kind,
        description=" ".join(description.split()),
        required=required,
        default=_text(item.get("default")),
        example=_text(item.get("example")),
        namespace=namespace,
        minimum=bounds["min"],
        maximum=bounds["max"],
        max_length=max_length,
        values=values,
        scheme=scheme,
        scope=scope,
        line=line,
    )
    if not required and param.default is None and param.example is None:
        pass
    for what in ("default", "example"):
        value = getattr(param, what)
        if value is None:
            if what == "example" and required:
                raise fail(f"{label}: a required parameter needs an `example`")
            continue
        if param.resolved:
            try:
                param.term(value)
            except ParameterError as err:
                raise fail(f"{what} of {err}", what, True) from None
    return param


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _check_body(path: Path, scanned: Scan, params: tuple[Parameter, ...], body_start: int) -> None:
    """The SPARQL must use each parameter where both binding modes can bind it the same way."""
    for _, (_, _, _, star) in scanned.levels.items():
        if star:
            raise QueryHeaderError(path, body_start, 1, "canned queries name their result columns: no SELECT *")
    names = {p.name: p for p in params}
    seen: dict[str, int] = {}
    for occ in scanned.occurrences:
        p = names.get(occ.name)
        if p is None:
            continue
        seen[occ.name] = seen.get(occ.name, 0) + 1
        line = scanned.tokens[occ.index].line
        if occ.role == "bound":
            raise QueryHeaderError(path, line, 1, f"?{occ.name} is a parameter: it cannot be bound with AS")
        if occ.role == "values":
            raise QueryHeaderError(path, line, 1, f"?{occ.name} is a parameter: it cannot be a VALUES variable")
    for p in params:
        if p.name not in seen:
            raise QueryHeaderError(path, p.line, 1, f"parameter {p.name!r}: the query does not use ?{p.name}")
    # SEP-0007 (the engine's substitution) binds a variable only where every enclosing SELECT
    # projects it; text binding replaces it everywhere. Require the projection so both agree.
    for level, (parent, projected, used, _) in scanned.levels.items():
        for p in params:
            inside = p.name in used or p.name in scanned.projected_by_child.get(level, frozenset())
            if inside and p.name not in projected:
                where = "the query" if parent is None else "a sub-select"
                line = next(
                    (scanned.tokens[o.index].line for o in scanned.occurrences if o.name == p.name and o.level == level),
                    p.line,
                )
                raise QueryHeaderError(
                    path, line, 1,
                    f"?{p.name} is used in {where} whose SELECT does not project it; project it "
                    "(parameters are bound as in SEP-0007, which binds projected variables only)",
                )
    if scanned.form == "SELECT" and 0 in scanned.levels:
        top_projected = scanned.levels[0][1]
        for p in params:
            if p.name not in top_projected:
                raise QueryHeaderError(path, p.line, 1, f"parameter {p.name!r}: the result rows must carry ?{p.name} (add it to the SELECT)")
