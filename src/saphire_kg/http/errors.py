"""Domain errors as HTTP answers: one table from exception class to status, one way to write them.

The body says what was wrong and how to fix it, as text (or RFC 9457 problem details when the
client asks for JSON); never a stack trace or a file path. Anything not in the table is a bug:
logged with its traceback, answered with a bare 500.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    NotAcceptable,
    ParameterError,
    UnknownQuery,
    Overloaded,
    ProtocolError,
    QueryError,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    RequestTooLarge,
    ResultTooLarge,
    SaphireError,
    ServiceFailed,
    ServiceNotAllowed,
    ServiceTimeout,
    StoreUnavailable,
    TooManyRequests,
    Unauthorized,
    UnknownDump,
    URITooLong,
    UnsupportedFunction,
    UnsupportedMediaType,
    UpdateRefused,
)
from ..negotiate import PROBLEM_JSON, error_format
from .methods import allowed_methods

log = logging.getLogger("saphire_kg.http")

# Most specific first: the first class an error is an instance of gives its status.
STATUS: list[tuple[type[SaphireError], int]] = [
    (ParameterError, 422),
    (UnknownQuery, 404),
    (UnknownDump, 404),
    (Unauthorized, 401),
    (TooManyRequests, 429),
    (UnsupportedMediaType, 415),
    (RequestTooLarge, 413),
    (URITooLong, 414),
    (NotAcceptable, 406),
    (ProtocolError, 400),
    (QuerySyntaxError, 400),
    (UnsupportedFunction, 400),
    (UpdateRefused, 403),
    (ServiceNotAllowed, 403),
    (QueryRefused, 403),
    (ServiceTimeout, 504),
    (QueryTimeout, 503),
    (Overloaded, 503),
    (StoreUnavailable, 503),
    (ResultTooLarge, 507),
    (ServiceFailed, 502),
    (QueryFailed, 500),
    (QueryError, 500),
    (SaphireError, 500),
]
# Not for QueryTimeout: the same query would run out of time again, and a client that retries
# on Retry-After would keep a worker busy for the whole limit each time.
RETRY_AFTER = {Overloaded: "2", StoreUnavailable: "5", TooManyRequests: "1"}


def status_of(exc: SaphireError) -> int:
    return next(status for cls, status in STATUS if isinstance(exc, cls))


def error_response(
    request: Request, status: int, detail: str, extra: dict | None = None
) -> Response:
    fmt = error_format(request.headers.get("accept"))
    title = HTTPStatus(status).phrase
    if fmt is PROBLEM_JSON:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": title,
                "status": status,
                "detail": detail,
                **(extra or {}),
            }
        )
    else:
        body = f"{status} {title}: {detail}\n"
    return Response(
        body.encode("utf-8"),
        status_code=status,
        media_type=fmt.content_type,
        headers={"Vary": "Accept"},  # (the format follows Accept)
    )


async def domain_error(request: Request, exc: Exception) -> Response:
    """The answer to a domain error: its status, a body that says what to fix, Retry-After."""
    assert isinstance(exc, SaphireError)
    status = status_of(exc)
    extra: dict = {}
    if isinstance(exc, QuerySyntaxError) and exc.line is not None:
        extra = {"line": exc.line, "column": exc.column}
    if isinstance(exc, NotAcceptable):
        extra = {"offered": exc.offered}
    if isinstance(exc, ParameterError):
        extra = {"parameter": exc.parameter}
    response = error_response(request, status, str(exc), extra)
    for cls, seconds in RETRY_AFTER.items():
        if isinstance(exc, cls):
            response.headers["Retry-After"] = seconds
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="saphire-kg admin"'
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return response


async def _bug(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "an internal error occurred; it has been logged")


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing's own errors (404, 405) in the service's error format; 405 with every method the
    path takes in `Allow`."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 405:
        response = error_response(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response
    allow = allowed_methods(request.app, request.url.path)
    says = f"{request.method} is not a method of {request.url.path}; it takes {', '.join(allow)}"
    response = error_response(request, 405, says)
    response.headers["Allow"] = ", ".join(allow)
    return response


async def _invalid(request: Request, exc: Exception) -> Response:
    """FastAPI's own check of a route's declared parameters, in the service's error format."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"parameter": str(e["loc"][-1]), "problem": e["msg"]}
        for e in exc.errors()
        if e.get("loc")
    ]
    detail = "; ".join(f"{p['parameter']}: {p['problem']}" for p in problems) or "invalid request"
    return error_response(request, 422, detail, {"problems": problems})


def install(app: FastAPI) -> None:
    app.add_exception_handler(SaphireError, domain_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _bug)
