"""The ASGI middleware: canaries never pass in redact or block mode; report mode only reports."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import MutableMapping, Sequence
from typing import Any

import pytest

from privault.dlp.asgi import DLPMiddleware, ResponseReport

CARD = "2223003122003222"
EMAIL = "canary.customer@example.org"
Message = dict[str, Any]


def app_sending(
    chunks: Sequence[bytes],
    content_type: bytes = b"application/json",
    extra_headers: Sequence[tuple[bytes, bytes]] = (),
    length: bool = True,
) -> Any:
    """A bare ASGI app that sends ``chunks`` as a (possibly streamed) body."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", content_type), *extra_headers]
        if length:
            headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index, chunk in enumerate(chunks):
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1}
            )

    return app


def call(middleware: DLPMiddleware) -> tuple[int, dict[bytes, bytes], bytes]:
    """Run one GET through the middleware; return status, headers and the whole body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": "GET", "path": "/orders/1", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def _clean(body: bytes) -> None:
    assert CARD.encode() not in body
    assert EMAIL.encode() not in body


def test_redact_mode_redacts_json_and_keeps_it_json() -> None:
    """Redacted JSON stays valid JSON with the canaries replaced and Content-Length fixed."""
    payload = json.dumps({"email": EMAIL, "card": int(CARD), "note": f"card {CARD}"}).encode()
    status, headers, body = call(DLPMiddleware(app_sending([payload]), action="redact"))
    _clean(body)
    assert status == 200
    assert json.loads(body) == {"email": "[EMAIL]", "card": "[CARD]", "note": "card [CARD]"}
    assert headers[b"content-length"] == str(len(body)).encode()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11, 16, 40])
def test_redact_mode_catches_canary_split_across_chunks(size: int) -> None:
    """A card number and an address cut anywhere across streamed chunks are still redacted."""
    text = f"customer {EMAIL} paid with {CARD} today".encode()
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    app = app_sending(chunks, b"text/plain", length=False)
    _, _, body = call(DLPMiddleware(app, action="redact"))
    _clean(body)
    assert body == b"customer [EMAIL] paid with [CARD] today"


@pytest.mark.parametrize("size", [1, 3, 7, 16])
def test_block_mode_catches_canary_split_across_chunks(size: int) -> None:
    """Block mode withholds a streamed body whose card number is cut across chunks."""
    text = f"paid with {CARD} today".encode()
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    status, _, body = call(DLPMiddleware(app_sending(chunks, b"text/plain"), action="block"))
    _clean(body)
    assert status == 500


def test_block_mode_withholds_response_with_personal_data() -> None:
    """Block mode replaces a response holding personal data with a problem document."""
    status, headers, body = call(
        DLPMiddleware(app_sending([f"card {CARD}".encode()], b"text/plain"), action="block")
    )
    _clean(body)
    assert status == 500
    assert headers[b"content-type"] == b"application/problem+json"


def test_block_mode_passes_clean_response_unchanged() -> None:
    """A response without personal data passes block mode untouched."""
    payload = json.dumps({"order": "ORD-2024-000123", "total": 19.99}).encode()
    status, _, body = call(DLPMiddleware(app_sending([payload]), action="block"))
    assert (status, body) == (200, payload)


def test_report_mode_streams_through_and_reports_counts() -> None:
    """Report mode leaves the body alone and reports types and counts, not values."""
    reports: list[ResponseReport] = []
    text = f"{EMAIL} {CARD}".encode()
    chunks = [text[:20], text[20:]]
    middleware = DLPMiddleware(
        app_sending(chunks, b"text/plain"), action="report", on_findings=reports.append
    )
    _, _, body = call(middleware)
    assert body == text
    assert [(r.path, r.counts, r.action) for r in reports] == [
        ("/orders/1", {"email": 1, "card": 1}, "report")
    ]
    assert EMAIL not in repr(reports)


def test_oversized_body_is_withheld_in_redact_mode() -> None:
    """A body larger than the limit cannot be checked, so redact mode fails closed."""
    chunks = [f"{EMAIL} ".encode() * 100] * 5
    status, _, body = call(
        DLPMiddleware(
            app_sending(chunks, b"text/plain", length=False), action="redact", max_body_bytes=1000
        )
    )
    _clean(body)
    assert status == 500


def test_compressed_body_is_withheld_in_redact_mode() -> None:
    """A gzip-encoded body cannot be scanned, so redact mode withholds it."""
    payload = gzip.compress(f"card {CARD}".encode())
    status, _, body = call(
        DLPMiddleware(
            app_sending([payload], b"text/plain", [(b"content-encoding", b"gzip")]), action="redact"
        )
    )
    assert status == 500
    assert payload not in body


def test_binary_content_passes_untouched() -> None:
    """Content types outside the scanned list (images) pass without scanning."""
    payload = f"\x89PNG {CARD}".encode()
    status, _, body = call(DLPMiddleware(app_sending([payload], b"image/png"), action="block"))
    assert (status, body) == (200, payload)


def test_unknown_action_is_refused() -> None:
    """An action other than report, redact or block is an error."""
    from privault.errors import InvalidInput

    with pytest.raises(InvalidInput):
        DLPMiddleware(app_sending([b""]), action="shred")  # type: ignore[arg-type]


def test_non_http_scope_passes_through() -> None:
    """Lifespan and websocket scopes reach the app untouched."""
    seen: list[str] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def noop(*args: Any) -> Any:
        return {}

    asyncio.run(DLPMiddleware(app, action="block")({"type": "lifespan"}, noop, noop))
    assert seen == ["lifespan"]
