"""One table maps error kinds to HTTP statuses; every error is RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from privault import errors

logger = logging.getLogger("privault.api")

STATUS_BY_KIND: dict[type[errors.PrivaultError], int] = {
    errors.InvalidInput: 422,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.IntegrityViolation: 500,
    errors.Unavailable: 503,
}

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}

PROBLEM_JSON = "application/problem+json"


def status_for(exc: errors.PrivaultError) -> int:
    """The HTTP status of an error kind (the nearest kind in its class hierarchy)."""
    for kind in type(exc).__mro__:
        if kind in STATUS_BY_KIND:
            return STATUS_BY_KIND[kind]
    return 500


def problem(status: int, *, detail: str, code: str, instance: str, **extra: Any) -> JSONResponse:
    """A problem+json response (RFC 9457)."""
    body = {
        "type": f"https://privault.dev/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(errors.PrivaultError)
    async def _privault(request: Request, exc: errors.PrivaultError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            logger.error("request failed: %s (%s)", exc.code, type(exc).__name__)
        return problem(status, detail=exc.message, code=exc.code, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Pydantic's errors echo the input; keep location and message, drop the value.
        issues = [
            {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        return problem(
            422,
            detail="the request is malformed",
            code="invalid_request",
            instance=request.url.path,
            errors=issues,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            detail=str(exc.detail),
            code=TITLES.get(exc.status_code, "error").lower().replace(" ", "_"),
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected %s on %s", type(exc).__name__, request.url.path)
        return problem(
            500, detail="internal error", code="internal_error", instance=request.url.path
        )
