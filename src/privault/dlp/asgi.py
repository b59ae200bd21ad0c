"""ASGI middleware that scans outbound response bodies: report, redact or block.

Usable with any ASGI application (FastAPI, Starlette, Django ASGI), without the privault
server. ``report`` streams the body through untouched and reports what it saw; ``redact`` and
``block`` hold the body (streamed or not) up to ``max_body_bytes`` and fail closed beyond it.
Place it inside any compression middleware: a compressed body cannot be scanned, and in
``redact``/``block`` mode such a response is withheld.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from privault.dlp.engine import Scanner
from privault.dlp.findings import Finding
from privault.dlp.redact import Redactor
from privault.dlp.scanners import analyze_segments
from privault.errors import InvalidInput

__all__ = ["DLPMiddleware", "ResponseReport"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Action = Literal["report", "redact", "block"]

_log = logging.getLogger(__name__)
_TAIL = 256  # bytes kept between chunks in report mode, so a value cut in two is still seen


@dataclass(frozen=True)
class ResponseReport:
    """What the middleware saw in one response: path, status, counts per type, what it did."""

    path: str
    status: int
    counts: dict[str, int]
    action: str


def _log_report(report: ResponseReport) -> None:
    _log.warning(
        "personal data in response to %s: %s (%s)", report.path, report.counts, report.action
    )


class DLPMiddleware:
    """Scan text and JSON response bodies for personal data; report, redact or block."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        action: Action = "report",
        scanner: Scanner | None = None,
        redactor: Redactor | None = None,
        on_findings: Callable[[ResponseReport], None] = _log_report,
        content_types: Sequence[str] = (
            "application/json",
            "text/",
            "application/xml",
            "application/x-ndjson",
            "application/problem+json",
        ),
        max_body_bytes: int = 8 << 20,
        block_status: int = 500,
    ) -> None:
        if action not in ("report", "redact", "block"):
            raise InvalidInput("unknown middleware action", code="dlp_bad_action", action=action)
        self.app = app
        self.action = action
        self.scanner = scanner or Scanner()
        self.redactor = redactor or Redactor("label")
        self.on_findings = on_findings
        self.content_types = tuple(content_types)
        self.max_body_bytes = max_body_bytes
        self.block_status = block_status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the wrapped app, intercepting its response messages."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(self, scope, send)
        await self.app(scope, receive, exchange.send)
        await exchange.finish()


class _Exchange:
    """The state of one response passing through the middleware."""

    def __init__(self, owner: DLPMiddleware, scope: Scope, send: Send) -> None:
        self.owner = owner
        self.path = str(scope.get("path", ""))
        self.downstream = send
        self.start: Message | None = None
        self.scan = False
        self.encoded = False
        self.json = False
        self.chunks: list[bytes] = []
        self.size = 0
        self.tail = b""
        self.counts: dict[str, int] = {}
        self.done = False

    def _header(self, name: bytes) -> bytes | None:
        for key, value in (self.start or {}).get("headers", []):
            if key.lower() == name:
                return bytes(value)
        return None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            content_type = (self._header(b"content-type") or b"").decode("latin-1").lower()
            encoding = (self._header(b"content-encoding") or b"identity").decode("latin-1")
            self.json = "json" in content_type
            self.scan = content_type.startswith(self.owner.content_types)
            self.encoded = self.scan and encoding.strip().lower() not in ("", "identity")
            if self.encoded and self.owner.action == "report":
                self.scan = False  # compressed bytes cannot be read; nothing to withhold either
            if self.owner.action == "report" or not self.scan:
                await self.downstream(message)
            return
        if message["type"] != "http.response.body":
            await self.downstream(message)
            return
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if not self.scan:
            await self.downstream(message)
            return
        if self.owner.action == "report":
            self._count(self.tail + body, overlap=len(self.tail))
            self.tail = body[-_TAIL:] if more else b""
            await self.downstream(message)
            if not more:
                self._report("report")
            return
        if self.done:
            return  # already withheld: drop the rest of the body
        self.chunks.append(body)
        self.size += len(body)
        if self.size > self.owner.max_body_bytes:
            self.chunks = []
            await self._withhold("too-large")
            return
        if not more:
            await self._release()

    def _count(self, data: bytes, *, overlap: int = 0) -> list[Finding]:
        text = data.decode("utf-8", "surrogateescape")
        findings = self.owner.scanner.analyze(text)
        seen = len(data[:overlap].decode("utf-8", "surrogateescape"))
        for finding in findings:
            if finding.end > seen:  # wholly inside the previous chunk's tail: already counted
                self.counts[finding.type] = self.counts.get(finding.type, 0) + 1
        return findings

    def _report(self, action: str) -> None:
        if self.counts:
            status = int(self.start["status"]) if self.start else 0
            self.owner.on_findings(ResponseReport(self.path, status, dict(self.counts), action))

    async def _release(self) -> None:
        if self.done:
            return
        self.done = True
        data = b"".join(self.chunks)
        if self.encoded:
            await self._withhold("encoded", mark_done=False)
            return
        text = data.decode("utf-8", "surrogateescape")
        if self.json:
            redacted, counts = self._redact_json(text)
        else:
            findings = self.owner.scanner.analyze(text)
            counts = _tally(findings)
            redacted = self.owner.redactor.apply(text, findings) if findings else text
        self.counts = counts
        if counts and self.owner.action == "block":
            await self._withhold("blocked", mark_done=False)
            return
        self._report("redact")
        body = redacted.encode("utf-8", "surrogateescape")
        start = self.start or {"type": "http.response.start", "status": 200}
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await self.downstream({**start, "headers": headers})
        await self.downstream({"type": "http.response.body", "body": body, "more_body": False})

    def _redact_json(self, text: str) -> tuple[str, dict[str, int]]:
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            findings = self.owner.scanner.analyze(text)
            return self.owner.redactor.apply(text, findings), _tally(findings)
        counts: dict[str, int] = {}
        redacted = _redact_json_values(document, self.owner.scanner, self.owner.redactor, counts)
        if not counts:
            return text, counts
        return json.dumps(redacted, ensure_ascii=False), counts

    async def _withhold(self, reason: str, *, mark_done: bool = True) -> None:
        if mark_done:
            if self.done:
                return
            self.done = True
        self._report(f"withheld:{reason}")
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Response withheld",
                "status": self.owner.block_status,
                "detail": "The response was withheld by the data-leak guard.",
            }
        ).encode()
        await self.downstream(
            {
                "type": "http.response.start",
                "status": self.owner.block_status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                ],
            }
        )
        await self.downstream({"type": "http.response.body", "body": body, "more_body": False})

    async def finish(self) -> None:
        """After the app returns: release a body the app never closed."""
        if self.scan and self.owner.action != "report" and self.start is not None and not self.done:
            await self._release()


def _tally(findings: Sequence[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.type] = counts.get(finding.type, 0) + 1
    return counts


def _redact_json_values(
    node: object, scanner: Scanner, redactor: Redactor, counts: dict[str, int]
) -> object:
    # Values are scanned with their key as context, and replaced by strings: the body stays JSON.
    slots: list[tuple[str | None, str]] = []

    def collect(value: object, key: str | None) -> None:
        if isinstance(value, dict):
            for name, child in value.items():
                slots.append((None, name))
                collect(child, name)
        elif isinstance(value, list):
            for child in value:
                collect(child, key)
        elif isinstance(value, str) or (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            slots.append((key, str(value)))

    collect(node, None)
    results = iter(analyze_segments(scanner, slots))
    texts = iter(slots)

    def rebuild(value: object) -> object:
        if isinstance(value, dict):
            out: dict[str, object] = {}
            for child in value.values():
                _, key_text = next(texts)
                key_findings = next(results)
                new_name = _apply(key_text, key_findings, redactor, counts)
                while new_name in out:
                    new_name += "~"
                out[new_name] = rebuild(child)
            return out
        if isinstance(value, list):
            return [rebuild(child) for child in value]
        if isinstance(value, str) or (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            _, text = next(texts)
            findings = next(results)
            return _apply(text, findings, redactor, counts) if findings else value
        return value

    return rebuild(node)


def _apply(text: str, findings: list[Finding], redactor: Redactor, counts: dict[str, int]) -> str:
    for finding in findings:
        counts[finding.type] = counts.get(finding.type, 0) + 1
    return redactor.apply(text, findings) if findings else text
