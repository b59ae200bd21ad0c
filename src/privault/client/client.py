"""``Client``: the shop's services call privault's HTTP API v1 through typed methods."""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from privault import __version__
from privault.client.arguments import (
    consent_path,
    field_names,
    field_values,
    new_record,
    records_path,
    required,
    segment,
    valid_idempotency_key,
)
from privault.client.errors import ApiConnectionError, ApiError
from privault.client.retry import RETRYABLE_STATUSES, Retry
from privault.client.schemas import (
    BatchResult,
    Consent,
    Detokenized,
    FieldValue,
    NewRecord,
    Record,
    SearchMatch,
    StoredRecord,
)

__all__ = ["Client"]

_Answer = TypeVar("_Answer", bound=BaseModel)

USER_AGENT = f"privault-python/{__version__}"


class Client:
    """A synchronous client of one privault server, authenticated with one API key.

    Use it as a context manager (or call ``close()``) to release its connections. It is safe
    to share between threads, as its ``httpx.Client`` is.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        retry: Retry | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        base = required("base_url", base_url).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        key = required("api_key", api_key)
        if not key.isascii() or not key.isprintable() or " " in key:
            raise ValueError("api_key must be printable ASCII without spaces")
        if http_client is not None and transport is not None:
            raise ValueError("give either transport or http_client, not both")
        self.base_url = base
        self.retry = retry
        self._headers = {
            "Authorization": f"Bearer {key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=timeout, verify=verify, transport=transport, follow_redirects=False
        )

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    def close(self) -> None:
        """Release the connections (an injected ``http_client`` is left to its owner)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Records

    def store(
        self,
        collection: str,
        subject_id: str,
        values: Mapping[str, FieldValue],
        *,
        region: str | None = None,
        idempotency_key: str | None = None,
    ) -> StoredRecord:
        """Store one customer record; returns its id and the token of each field."""
        body = new_record(NewRecord(subject_id=subject_id, values=values, region=region))
        response = self._call(
            "POST", records_path(collection),
            json=body, idempotency_key=idempotency_key,
        )  # fmt: skip
        stored = _parse(StoredRecord, response)
        return stored.model_copy(update={"replayed": _replayed(response)})

    def store_many(
        self,
        collection: str,
        records: Sequence[NewRecord],
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Store a batch; good items are stored even when others are refused (see results)."""
        if isinstance(records, NewRecord) or not isinstance(records, Sequence):
            raise TypeError("records must be a sequence of NewRecord")
        if not records:
            raise ValueError("records must not be empty")
        body = {"records": [new_record(record) for record in records]}
        response = self._call(
            "POST", records_path(collection),
            json=body, idempotency_key=idempotency_key,
        )  # fmt: skip
        result = _parse(BatchResult, response)
        return result.model_copy(update={"replayed": _replayed(response)})

    def get(
        self,
        collection: str,
        record_id: str,
        *,
        purpose: str,
        fields: Sequence[str] | None = None,
    ) -> Record:
        """Read a record for a purpose: each field in the view the policy grants."""
        params: dict[str, str] = {}
        if fields is not None:
            params["fields"] = ",".join(field_names(fields))
        response = self._call(
            "GET", records_path(collection, record_id),
            params=params, purpose=purpose,
        )  # fmt: skip
        return _parse(Record, response)

    def update(
        self,
        collection: str,
        record_id: str,
        values: Mapping[str, FieldValue | None],
        *,
        expected_version: int | None = None,
    ) -> StoredRecord:
        """Change fields (None removes one); with ``expected_version``, 409 if it moved on."""
        body: dict[str, Any] = {"values": field_values(values, nullable=True)}
        if expected_version is not None:
            if isinstance(expected_version, bool) or not isinstance(expected_version, int):
                raise TypeError("expected_version must be an int")
            body["expected_version"] = expected_version
        response = self._call("PATCH", records_path(collection, record_id), json=body)
        return _parse(StoredRecord, response)

    def delete(self, collection: str, record_id: str) -> None:
        """Delete a record: its tokens and lookups stop resolving."""
        self._call("DELETE", records_path(collection, record_id))

    # Tokens and search

    def detokenize(self, tokens: Sequence[str], *, purpose: str) -> list[Detokenized]:
        """Resolve tokens for a purpose: one result per token, in order."""
        if isinstance(tokens, str) or not isinstance(tokens, Sequence):
            raise TypeError("tokens must be a sequence of strings")
        if not tokens:
            raise ValueError("tokens must not be empty")
        body = {"tokens": [required("token", token) for token in tokens]}
        response = self._call("POST", "/v1/detokenize", json=body, purpose=purpose)
        return list(_parse(_DetokenizeAnswer, response).results)

    def search(self, collection: str, field: str, value: str, *, purpose: str) -> list[SearchMatch]:
        """Records whose searchable ``field`` equals ``value`` (normalised): ids and tokens."""
        body = {"field": required("field", field), "value": required("value", value)}
        response = self._call(
            "POST",
            f"/v1/collections/{segment('collection', collection)}/search",
            json=body,
            purpose=purpose,
        )
        return list(_parse(_SearchAnswer, response).matches)

    # Consent

    def grant_consent(
        self,
        subject_id: str,
        purpose: str,
        *,
        source: str | None = None,
        notice_version: str | None = None,
    ) -> Consent:
        """Record the customer's consent to a purpose."""
        body: dict[str, str] = {}
        if source is not None:
            body["source"] = required("source", source)
        if notice_version is not None:
            body["notice_version"] = required("notice_version", notice_version)
        response = self._call(
            "POST", consent_path(subject_id, purpose), json=body if body else None
        )
        return _parse(Consent, response)

    def withdraw_consent(self, subject_id: str, purpose: str) -> Consent:
        """Withdraw the customer's consent to a purpose."""
        return _parse(Consent, self._call("DELETE", consent_path(subject_id, purpose)))

    def consent(self, subject_id: str, purpose: str) -> Consent | None:
        """The customer's current consent for a purpose; None if none was ever recorded."""
        try:
            response = self._call("GET", consent_path(subject_id, purpose))
        except ApiError as exc:
            if exc.status == 404 and exc.code == "no_consent":
                return None
            raise
        return _parse(Consent, response)

    # Transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        params: Mapping[str, str] | None = None,
        purpose: str | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = dict(self._headers)
        if purpose is not None:
            headers["X-Privault-Purpose"] = required("purpose", purpose)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = valid_idempotency_key(idempotency_key)
        retry = 0
        while True:
            response = self._send(method, path, json=json, params=params, headers=headers)
            if response.is_success:
                return response
            error = ApiError.from_response(response.status_code, response.headers, response.content)
            retry += 1
            wait = (
                self.retry.delay(retry=retry, retry_after=error.retry_after)
                if self.retry is not None and response.status_code in RETRYABLE_STATUSES
                else None
            )
            if wait is None:
                raise error
            time.sleep(wait)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: object,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> httpx.Response:
        try:
            return self._http.request(
                method, self.base_url + path, json=json, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            # The request (with its URL and values) stays out of the chain: `from None`.
            raise ApiConnectionError(
                f"privault at {self.base_url} did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise ApiConnectionError(
                f"could not reach privault at {self.base_url} ({type(exc).__name__})"
            ) from None


class _DetokenizeAnswer(BaseModel):
    results: tuple[Detokenized, ...]


class _SearchAnswer(BaseModel):
    matches: tuple[SearchMatch, ...]


def _parse(model: type[_Answer], response: httpx.Response) -> _Answer:
    """The answer as ``model``; an answer that does not fit is an ``ApiError``, values unshown."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        where = sorted({".".join(str(p) for p in err["loc"]) or "body" for err in exc.errors()})
        raise ApiError(
            response.status_code,
            "invalid_response",
            f"the server's answer does not match the API at: {', '.join(where[:10])}",
        ) from None


def _replayed(response: httpx.Response) -> bool:
    return str(response.headers.get("idempotent-replayed", "")).lower() == "true"
