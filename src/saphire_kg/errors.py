"""The one exception tree of saphire-kg; every error carries what a person needs to act on it.

    SaphireError
    ├── InputError              an input file cannot be read or parsed (file, line, column)
    │   └── QueryHeaderError        a canned query's `#+` header is malformed (queries/….rq:line)
    ├── ValidationFailed        SHACL found violations (the findings)
    ├── ImportFailed            a reference import found data it cannot represent
    ├── ReasoningError          the OWL reasoner could not run (its one-line cause)
    │   ├── ReasonerUnavailable     Java, which HermiT needs, is not installed
    │   └── Inconsistent            the graph is inconsistent (the clashes, at file:line)
    ├── UnknownQuery            no canned query by that name
    ├── ParameterError          a parameter value is invalid (the parameter, the value, why)
    ├── BuildError              the store could not be written (previous build kept)
    ├── Unauthorized            an admin operation without the right token
    ├── UnknownDump             no dataset dump by that name
    └── QueryError              a SPARQL request the service will not or cannot answer
        ├── ProtocolError           the request breaks the SPARQL protocol (what, and how to fix it)
        │   ├── UnsupportedMediaType    a POST body that is neither a form nor a SPARQL query
        │   ├── RequestTooLarge         a request body or query text past the size limit
        │   ├── URITooLong              a request URL past the length limit (POST the query instead)
        │   └── NotAcceptable           no result format the client accepts (the ones offered)
        ├── QuerySyntaxError        the query does not parse (line, column, the parser's message)
        ├── QueryRefused            the query is valid but not allowed here
        │   ├── UpdateRefused           SPARQL Update on this read-only service
        │   └── ServiceNotAllowed       SERVICE to an endpoint that is not on the allow-list
        ├── QueryTimeout            evaluation passed the deadline and was stopped (the limit)
        │   └── ServiceTimeout          … while the query was calling SERVICE endpoints (504, named)
        ├── ResultTooLarge          the result passed the size limit (the limit)
        ├── Overloaded              every query worker stayed busy until the deadline
        ├── TooManyRequests         this client already has its share of requests running
        ├── QueryFailed             evaluation failed (a SERVICE call, an engine error: its message)
        │   └── ServiceFailed           a SERVICE endpoint failed or could not be reached (502, named)
        └── StoreUnavailable        the store cannot answer now (closed, reloading, remote down)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SaphireError(Exception):
    """Base of every error saphire-kg raises on purpose."""


@dataclass
class InputError(SaphireError):
    """An input file cannot be parsed; rendered like a compiler error."""

    path: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: error: {self.message}"


class ValidationFailed(SaphireError):
    """The data violates shapes; `findings` holds every finding, violations first."""

    def __init__(self, findings: list[Any]) -> None:  # validate.Finding (a later stage)
        self.findings = findings
        n = sum(1 for f in findings if f.severity == "violation")
        super().__init__(f"{n} violation(s)")


class ImportFailed(SaphireError):
    """A reference import met data it cannot represent faithfully."""


class ReasoningError(SaphireError):
    """HermiT could not run, or failed; the message is the cause, not a Java stack trace."""


class ReasonerUnavailable(ReasoningError):
    """Java is not installed; HermiT needs it (`build --no-reason` skips reasoning)."""


class Inconsistent(ReasoningError):
    """HermiT found the graph inconsistent; `clashes` says which resources and axioms clash."""

    def __init__(self, clashes: list[Any]) -> None:  # reason.Clash (a later stage)
        self.clashes = clashes
        super().__init__(f"the graph is inconsistent ({len(clashes)} clash(es))")


class BuildError(SaphireError):
    """The store could not be written; the previous build is untouched."""


class QueryHeaderError(InputError):
    """A canned query in `queries/` has a malformed header; `line` is the line in the .rq file."""


class UnknownQuery(SaphireError):
    """No canned query has this name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no canned query named {name!r} (see `saphire-kg query --list`)")


class ParameterError(SaphireError):
    """A value given for a canned-query parameter is invalid; names the parameter and why."""

    def __init__(self, parameter: str, message: str, value: str | None = None) -> None:
        self.parameter = parameter
        self.value = value
        self.message = message
        super().__init__(f"parameter {parameter!r}: {message}")


class QueryError(SaphireError):
    """A SPARQL request the service will not or cannot answer; `str()` says why, for the client."""


class ProtocolError(QueryError):
    """The request breaks the SPARQL 1.1 Protocol (e.g. two `query` parameters, a non-UTF-8 body)."""


class UnsupportedMediaType(ProtocolError):
    """A POST body of a type the query operation does not take; `media_type` is what was sent."""

    def __init__(self, media_type: str | None) -> None:
        self.media_type = media_type
        sent = f"Content-Type {media_type!r}" if media_type else "no Content-Type"
        super().__init__(
            f"a query POST needs Content-Type application/x-www-form-urlencoded (query=...) or "
            f"application/sparql-query (the query as the body); this request has {sent}"
        )


class RequestTooLarge(ProtocolError):
    """The request body (or query text) is longer than the service takes; `limit` in bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the request is larger than this service's limit of {limit} bytes")


class NotAcceptable(ProtocolError):
    """None of the formats the client accepts can carry this result; `offered` lists those we have."""

    def __init__(self, accept: str, offered: list[str]) -> None:
        self.accept = accept
        self.offered = offered
        super().__init__(f"no acceptable format for Accept: {accept}; this result is available as " + ", ".join(offered))


class QuerySyntaxError(QueryError):
    """The query does not parse; `line` and `column` (1-based) point at the problem."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        where = f"{line}:{column}: " if line is not None else ""
        super().__init__(f"syntax error at {where}{message}" if where else f"syntax error: {message}")


class UnsupportedFunction(QueryError):
    """The query calls a function the engine does not have (an extension of another engine)."""

    def __init__(self, function: str) -> None:
        self.function = function
        super().__init__(
            f"the function <{function}> is not supported by this service's engine (Oxigraph: "
            "the functions of SPARQL 1.1 and part of GeoSPARQL's)"
        )


class QueryRefused(QueryError):
    """The query is valid SPARQL but this service does not run it."""


class UpdateRefused(QueryRefused):
    """SPARQL Update sent to this read-only service."""

    def __init__(self) -> None:
        super().__init__(
            "this SPARQL service is read-only: SPARQL Update is not accepted (the graph is built from "
            "curated files under git; change those and rebuild)"
        )


class ServiceNotAllowed(QueryRefused):
    """A SERVICE clause names an endpoint that is not on the allow-list; nothing was contacted."""

    def __init__(self, target: str, allowed: tuple[str, ...]) -> None:
        self.target = target
        self.allowed = allowed
        listed = ", ".join(allowed) if allowed else "none: federated queries are off"
        super().__init__(
            f"SERVICE {target} is not allowed: outbound SERVICE calls go only to the allow-list "
            f"({listed}); SERVICE SILENT skips a refused endpoint instead"
        )


class QueryTimeout(QueryError):
    """Evaluation ran past the deadline and was stopped; no partial result was sent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"the query ran longer than this service's limit of {seconds:g} s and was stopped; "
            "no partial result was sent (narrow the query or add a LIMIT: as it is, it would run "
            "out of time again)"
        )


class ResultTooLarge(QueryError):
    """The result passed the size limit (`limit` rows, or `max_bytes` bytes); nothing was sent."""

    def __init__(self, limit: int, unit: str = "rows") -> None:
        self.limit = limit
        self.unit = unit
        super().__init__(
            f"the result has more than {limit} {unit}, this service's limit; nothing was sent "
            "(add a LIMIT, and OFFSET to page through it)"
        )


class Overloaded(QueryError):
    """Every query worker stayed busy until the request's deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"every query worker was busy for {seconds:g} s; try again shortly")


class QueryFailed(QueryError):
    """Evaluation failed after the query parsed (a SERVICE endpoint failed, the engine erred)."""


class StoreUnavailable(QueryError):
    """The store cannot answer now (closed, reloading, a worker died, a remote store is down)."""


class ServiceFailed(QueryFailed):
    """A SERVICE endpoint the query calls failed or could not be reached (`services`, `cause`)."""

    def __init__(self, services: tuple[str, ...], cause: str) -> None:
        self.services = services
        self.cause = cause
        names = ", ".join(f"<{s}>" for s in services)
        super().__init__(f"the remote SPARQL service {names} failed: {cause}")


class ServiceTimeout(QueryTimeout):
    """A query calling SERVICE endpoints passed the deadline (they are named: the likely cause)."""

    def __init__(self, seconds: float, services: tuple[str, ...]) -> None:
        self.services = services
        super().__init__(seconds)
        names = ", ".join(f"<{s}>" for s in services)
        self.args = (
            f"the query calls the remote SPARQL service {names} and did not finish within this "
            f"service's limit of {seconds:g} s; it was stopped and no partial result was sent",
        )


class URITooLong(ProtocolError):
    """The request URL is longer than the service takes; `limit` in bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the request URL is longer than this service's limit of {limit} bytes; send a long "
            "query with POST (form field `query`, or the body as application/sparql-query)"
        )


class TooManyRequests(QueryError):
    """One client has `limit` requests running already; it may retry after `retry_after` s."""

    def __init__(self, limit: int, retry_after: int = 1) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(
            f"this client already has {limit} requests running, this service's limit per client; "
            f"wait for one to finish (retry after {retry_after} s)"
        )


class Unauthorized(SaphireError):
    """An admin operation without the admin token (`Authorization: Bearer …`)."""

    def __init__(self) -> None:
        super().__init__(
            "this operation needs the admin token: send `Authorization: Bearer <token>` with the "
            "token the server was started with (SAPHIRE_ADMIN_TOKEN)"
        )


class UnknownDump(SaphireError):
    """No dataset dump has this name; `available` lists those there are."""

    def __init__(self, name: str, available: tuple[str, ...]) -> None:
        self.name = name
        self.available = available
        super().__init__(f"no dump named {name!r}; the dumps are: {', '.join(available)}")
