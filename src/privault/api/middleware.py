"""Pure ASGI middleware for the API: security headers and a request-body size limit; and the
per-key rate limiter the authentication dependency consults.

Pure ASGI (no ``BaseHTTPMiddleware``) so streaming bodies pass through untouched and nothing
is buffered.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from privault.api.errors import problem

__all__ = [
    "BodySizeLimitMiddleware",
    "RateLimiter",
    "SecurityHeadersMiddleware",
    "rate_limited",
]

HSTS_VALUE = b"max-age=63072000; includeSubDomains"
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")


def _under(path: str, prefixes: Iterable[str]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


class SecurityHeadersMiddleware:
    """Add security headers to every HTTP response, replacing any the app set.

    The interactive docs pages (``docs_paths``) load scripts and styles, so they get neither the
    strict CSP nor ``Cache-Control: no-store``; everything else, data above all, gets both.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, docs_paths: Iterable[str] = DOCS_PATHS) -> None:
        self.app = app
        self.docs_paths = tuple(docs_paths)
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if hsts:
            common.append((b"strict-transport-security", HSTS_VALUE))
        self._docs_headers = common
        self._api_headers = [
            *common,
            (b"cache-control", b"no-store"),
            (b"content-security-policy", API_CSP),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; rewrite the response's headers as it starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._docs_headers if _under(scope["path"], self.docs_paths) else self._api_headers
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() not in names
                ]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    """Raised into the app when the streamed body passes the limit."""


class BodySizeLimitMiddleware:
    """Answer 413 problem+json to a request body larger than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before the app runs. A body without
    one (chunked) is counted as the app reads it; once it passes the limit the app's reads fail,
    whatever the app answers is dropped and a 413 is sent instead (if the response has not
    started). Nothing is buffered here.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, scope: Scope) -> JSONResponse:
        return problem(
            413,
            detail=f"the request body is larger than {self.max_bytes} bytes",
            code="payload_too_large",
            instance=scope.get("path", ""),
            max_bytes=self.max_bytes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse by Content-Length, or count the body as it streams."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            # More than 18 digits is over any limit; int() of thousands of digits is refused.
            and (len(declared) > 18 or int(declared) > self.max_bytes)
        ):
            await self._too_large(scope)(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a failed read is replaced by the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await self._too_large(scope)(scope, receive, send)


class RateLimiter:
    """Token buckets per key (API key id): ``rate_per_s`` sustained, ``burst`` at once.

    In memory and per process: with N worker processes a key gets up to N times the rate.
    Thread-safe. Buckets idle long enough to be full again are dropped when more than
    ``max_keys`` are held, so memory stays bounded.
    """

    def __init__(self, *, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        if not rate_per_s > 0 or not math.isfinite(rate_per_s):
            raise ValueError("rate_per_s must be a positive number")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate_per_s = float(rate_per_s)
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def check(self, key: str, *, now: float) -> float | None:
        """Take one token for ``key``: None when allowed, else seconds until one is available.

        ``now`` is a monotonic clock reading (``time.monotonic()``).
        """
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            # A clock that goes backwards refills nothing rather than draining the bucket.
            tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate_per_s)
            if tokens >= 1.0:
                self._store(key, tokens - 1.0, now)
                return None
            self._store(key, tokens, now)
            return (1.0 - tokens) / self.rate_per_s

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            refill = self.burst / self.rate_per_s
            self._buckets = {
                name: state
                for name, state in self._buckets.items()
                if now - state[1] < refill or name == key
            }
            if len(self._buckets) > self.max_keys:
                # Still too many busy keys: forget the oldest half (they restart full).
                ordered = sorted(self._buckets.items(), key=lambda item: item[1][1])
                self._buckets = dict(ordered[len(ordered) // 2 :])


def rate_limited(retry_after: float, *, instance: str, **extra: Any) -> JSONResponse:
    """A 429 problem+json with ``Retry-After`` in whole seconds (rounded up, at least 1)."""
    seconds = max(1, math.ceil(retry_after))
    response = problem(
        429,
        detail=f"rate limit exceeded; retry in {seconds} s",
        code="rate_limited",
        instance=instance,
        **extra,
    )
    response.headers["Retry-After"] = str(seconds)
    return response
