"""Security headers, body-size limit and per-key rate limiting, on tiny ASGI apps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from privault.api.middleware import (
    BodySizeLimitMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    _BodyTooLarge,
    rate_limited,
)

LIMIT = 1024


def _fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/cached")
    def cached() -> PlainTextResponse:
        return PlainTextResponse(
            "x", headers={"Cache-Control": "max-age=3600", "X-Frame-Options": "ALLOW"}
        )

    @app.post("/v1/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/v1/json")
    def json_body(payload: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(payload)}

    return app


@pytest.fixture
def headers_client() -> Iterator[TestClient]:
    """A FastAPI app behind SecurityHeadersMiddleware without HSTS."""
    app = _fastapi_app()
    app.add_middleware(SecurityHeadersMiddleware, hsts=False)
    with TestClient(app) as client:
        yield client


class TestSecurityHeaders:
    """SecurityHeadersMiddleware."""

    def test_api_response_gets_every_header(self, headers_client: TestClient) -> None:
        """A JSON response carries nosniff, no-referrer, DENY, no-store and the strict CSP."""
        response = headers_client.get("/v1/thing")
        assert response.json() == {"ok": "yes"}
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )

    def test_no_hsts_without_tls(self, headers_client: TestClient) -> None:
        """HSTS is not sent when the middleware is told the server is not on TLS."""
        assert "strict-transport-security" not in headers_client.get("/v1/thing").headers

    def test_hsts_when_enabled(self) -> None:
        """With hsts=True every response carries the two-year HSTS header."""
        app = _fastapi_app()
        app.add_middleware(SecurityHeadersMiddleware, hsts=True)
        with TestClient(app) as client:
            for path in ("/v1/thing", "/docs"):
                assert client.get(path).headers["strict-transport-security"] == (
                    "max-age=63072000; includeSubDomains"
                )

    def test_error_responses_get_headers(self, headers_client: TestClient) -> None:
        """A 404 also carries the headers."""
        response = headers_client.get("/nowhere")
        assert response.status_code == 404
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_app_headers_are_replaced_not_duplicated(self, headers_client: TestClient) -> None:
        """A route's own caching or framing header is replaced by the safe one, once."""
        response = headers_client.get("/cached")
        assert response.headers.get_list("cache-control") == ["no-store"]
        assert response.headers.get_list("x-frame-options") == ["DENY"]

    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    def test_docs_pages_keep_working(self, headers_client: TestClient, path: str) -> None:
        """The docs pages load (200 HTML) without the strict CSP or no-store, yet keep nosniff."""
        response = headers_client.get(path)
        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]
        assert "content-security-policy" not in response.headers
        assert "cache-control" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"

    def test_docs_prefix_does_not_match_lookalikes(self, headers_client: TestClient) -> None:
        """`/docsx` is not a docs page: it gets the strict headers."""
        response = headers_client.get("/docsx")
        assert response.headers["content-security-policy"].startswith("default-src 'none'")

    def test_non_http_scopes_pass_through(self) -> None:
        """Lifespan and websocket scopes reach the app untouched."""
        seen: list[str] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["type"])

        middleware = SecurityHeadersMiddleware(app, hsts=True)
        asyncio.run(middleware({"type": "lifespan"}, _no_receive, _no_send))
        assert seen == ["lifespan"]


async def _no_receive() -> Message:
    raise AssertionError("receive must not be called")


async def _no_send(message: Message) -> None:
    raise AssertionError("send must not be called")


def _http_scope(headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/echo",
        "headers": headers or [],
        "query_string": b"",
    }


def _run_raw(
    app: Any, chunks: list[bytes], headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[list[Message], int]:
    """Drive ``app`` with a body sent in ``chunks``; return what it sent and chunks it read."""
    sent: list[Message] = []
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        if reads < len(chunks):
            reads += 1
            return {
                "type": "http.request",
                "body": chunks[reads - 1],
                "more_body": reads < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(_http_scope(headers), receive, send))
    return sent, reads


async def _reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, then answers 200 with its size."""
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await PlainTextResponse(str(size))(scope, receive, send)


def _status(sent: list[Message]) -> int:
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


def _body(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.fixture
def limited_client() -> Iterator[TestClient]:
    """A FastAPI app behind BodySizeLimitMiddleware(max_bytes=1024)."""
    app = _fastapi_app()
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=LIMIT)
    with TestClient(app) as client:
        yield client


class TestBodySizeLimit:
    """BodySizeLimitMiddleware."""

    def test_body_at_the_limit_passes(self, limited_client: TestClient) -> None:
        """Exactly max_bytes is accepted and reaches the route whole."""
        response = limited_client.post("/v1/echo", content=b"x" * LIMIT)
        assert response.status_code == 200
        assert response.json() == {"size": LIMIT}

    def test_declared_oversize_is_413_problem(self, limited_client: TestClient) -> None:
        """A Content-Length one byte over is refused with 413 problem+json."""
        response = limited_client.post("/v1/echo", content=b"x" * (LIMIT + 1))
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["status"], body["code"], body["max_bytes"]) == (
            413,
            "payload_too_large",
            LIMIT,
        )

    def test_chunked_oversize_is_413_through_fastapi(self, limited_client: TestClient) -> None:
        """A body without Content-Length that grows past the limit is 413 even though FastAPI's
        body parser would turn the failed read into a 400."""

        def stream() -> Iterator[bytes]:
            yield b'{"a": "' + b"x" * (LIMIT * 2) + b'"}'

        response = limited_client.post(
            "/v1/json", content=stream(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"

    def test_app_is_not_called_for_declared_oversize(self) -> None:
        """A declared oversize body never reaches the app."""
        middleware = BodySizeLimitMiddleware(_no_app, max_bytes=10)
        sent, reads = _run_raw(middleware, [b"x" * 11], [(b"content-length", b"11")])
        assert _status(sent) == 413
        assert reads == 0

    @pytest.mark.parametrize("declared", [b"9" * 40, b"9" * 5000])
    def test_absurd_content_length_is_413(self, declared: bytes) -> None:
        """Content-Length with tens or thousands of digits is refused without parsing it."""
        middleware = BodySizeLimitMiddleware(_no_app, max_bytes=10)
        sent, _ = _run_raw(middleware, [b""], [(b"content-length", declared)])
        assert _status(sent) == 413

    def test_streamed_chunks_are_counted_and_reading_stops(self) -> None:
        """Chunks summing past the limit give 413 and no chunk after the limit is read."""
        middleware = BodySizeLimitMiddleware(_reading_app, max_bytes=100)
        sent, reads = _run_raw(middleware, [b"x" * 40] * 10)
        assert _status(sent) == 413
        assert reads == 3  # 40, 80, 120 > 100: the fourth chunk is never pulled
        assert b"payload_too_large" in _body(sent)
        assert len([m for m in sent if m["type"] == "http.response.start"]) == 1

    def test_streamed_body_under_limit_passes(self) -> None:
        """Chunks summing to the limit pass untouched."""
        middleware = BodySizeLimitMiddleware(_reading_app, max_bytes=100)
        sent, _ = _run_raw(middleware, [b"x" * 25] * 4)
        assert _status(sent) == 200
        assert _body(sent) == b"100"

    def test_app_that_swallows_the_error_is_overridden(self) -> None:
        """An app that catches the failed read and answers 400 is answered with 413 instead."""

        async def forgiving(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await _reading_app(scope, receive, send)
            except Exception:
                await PlainTextResponse("bad", status_code=400)(scope, receive, send)

        sent, _ = _run_raw(BodySizeLimitMiddleware(forgiving, max_bytes=10), [b"x" * 8] * 3)
        assert _status(sent) == 413

    def test_overflow_after_response_started_aborts(self) -> None:
        """When the app already answered, the overflow propagates (the server drops the
        connection) rather than sending a second response."""

        async def early(scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            while (await receive()).get("more_body"):
                pass

        middleware = BodySizeLimitMiddleware(early, max_bytes=10)
        with pytest.raises(_BodyTooLarge):
            _run_raw(middleware, [b"x" * 8] * 3)

    def test_negative_limit_is_refused(self) -> None:
        """A negative limit is a configuration error."""
        with pytest.raises(ValueError, match="negative"):
            BodySizeLimitMiddleware(_no_app, max_bytes=-1)


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the app must not be called")


class TestRateLimiter:
    """RateLimiter: token bucket per key."""

    def test_burst_then_refused_with_retry_after(self) -> None:
        """`burst` requests pass at once; the next is told how long to wait for one token."""
        limiter = RateLimiter(rate_per_s=2, burst=3)
        assert [limiter.check("k", now=0.0) for _ in range(3)] == [None, None, None]
        assert limiter.check("k", now=0.0) == pytest.approx(0.5)

    def test_tokens_refill_at_the_rate(self) -> None:
        """After waiting the advertised time, one more request passes, and only one."""
        limiter = RateLimiter(rate_per_s=2, burst=1)
        assert limiter.check("k", now=10.0) is None
        retry = limiter.check("k", now=10.1)
        assert retry == pytest.approx(0.4)
        assert limiter.check("k", now=10.5) is None
        assert limiter.check("k", now=10.5) is not None

    def test_refill_is_capped_at_burst(self) -> None:
        """A long idle period gives back at most `burst` tokens."""
        limiter = RateLimiter(rate_per_s=100, burst=2)
        limiter.check("k", now=0.0)
        results = [limiter.check("k", now=1000.0) for _ in range(3)]
        assert results[:2] == [None, None]
        assert results[2] is not None

    def test_keys_have_separate_buckets(self) -> None:
        """One key's exhaustion does not affect another."""
        limiter = RateLimiter(rate_per_s=1, burst=1)
        assert limiter.check("a", now=0.0) is None
        assert limiter.check("a", now=0.0) is not None
        assert limiter.check("b", now=0.0) is None

    def test_clock_going_back_does_not_refill(self) -> None:
        """A `now` earlier than the last one adds no tokens."""
        limiter = RateLimiter(rate_per_s=1, burst=1)
        assert limiter.check("k", now=100.0) is None
        assert limiter.check("k", now=50.0) is not None

    def test_concurrent_checks_never_exceed_burst(self) -> None:
        """Eight threads hammering one key at a frozen clock get exactly `burst` passes."""
        limiter = RateLimiter(rate_per_s=1, burst=50)
        passed: list[int] = []
        lock = threading.Lock()

        def hammer() -> None:
            ok = sum(limiter.check("k", now=0.0) is None for _ in range(1000))
            with lock:
                passed.append(ok)

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(passed) == 50

    def test_memory_is_bounded(self) -> None:
        """Past max_keys, full idle buckets are dropped and the count stays bounded."""
        limiter = RateLimiter(rate_per_s=1, burst=1, max_keys=100)
        for i in range(10_000):
            limiter.check(f"k{i}", now=float(i) / 1000)
        assert len(limiter._buckets) <= 100
        assert limiter.check("k9999", now=9.999) is not None  # the newest is still tracked

    @pytest.mark.parametrize(
        ("rate", "burst"), [(0, 1), (-1, 1), (float("nan"), 1), (float("inf"), 1), (1, 0)]
    )
    def test_bad_configuration_is_refused(self, rate: float, burst: int) -> None:
        """Non-positive or non-finite rates and a burst under 1 are refused."""
        with pytest.raises(ValueError, match="must"):
            RateLimiter(rate_per_s=rate, burst=burst)

    def test_rate_limited_response(self) -> None:
        """The 429 answer is problem+json with Retry-After rounded up to whole seconds."""
        response = rate_limited(0.2, instance="/v1/detokenize")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        assert response.media_type == "application/problem+json"
        assert rate_limited(2.01, instance="/x").headers["retry-after"] == "3"
