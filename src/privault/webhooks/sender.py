"""Sending one signed delivery over HTTP (httpx), with the network's errors translated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

from privault import __version__


@dataclass(frozen=True)
class Answer:
    """What an attempt got back: the status, or the kind of failure (never a body)."""

    status: int | None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """A 2xx status: delivered."""
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    """Something that POSTs a body to a URL (httpx; a test double)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST ``body``; never raise for network trouble, answer it."""
        ...


class HttpSender:
    """POSTs with httpx: a timeout on every step, no redirects followed, no cookies kept."""

    def __init__(self, *, timeout_s: float) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,  # a redirect could point anywhere: only configured URLs
            headers={"User-Agent": f"privault/{__version__}"},
            trust_env=False,
        )

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST ``body`` to ``url``; network errors come back as the answer's error."""
        try:
            # The response body is never read beyond what httpx buffers; it is not kept.
            response = self._client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            return Answer(status=None, error=exc)
        return Answer(status=response.status_code)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
