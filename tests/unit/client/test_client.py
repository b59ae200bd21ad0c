"""Client against a fake server (httpx.MockTransport): what it sends, how it reads answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from privault.client import (
    ApiConnectionError,
    ApiError,
    Client,
    NewRecord,
    Retry,
)

KEY = "pvk_test_secret"
CANARY = "canary-ada@example.com"  # a customer value that must never reach an exception


class FakeServer:
    """Records requests; answers each with the next scripted response."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def last(self) -> httpx.Request:
        """The last request received."""
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        """The JSON body of a request."""
        return json.loads(self.requests[index].content)


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    """A JSON (or problem+json for errors) response."""
    content_type = "application/json" if status < 400 else "application/problem+json"
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(
        status, content=content, headers={"content-type": content_type, **headers}
    )


STORED = {
    "id": "rec_1",
    "collection": "customers",
    "subject_id": "C-1",
    "region": "eu",
    "version": 1,
    "tokens": {"email": "tok_eu_d_x"},
}
CONSENT = {
    "subject_id": "C-1",
    "purpose": "marketing",
    "granted": True,
    "source": "web",
    "notice_version": "2026-01",
    "updated_at": "2026-11-29T10:00:00Z",
}


@pytest.fixture
def connect() -> Iterator[Callable[..., tuple[Client, FakeServer]]]:
    """Make a Client talking to a FakeServer."""
    clients: list[Client] = []

    def make(*answers: httpx.Response | Exception, **options: Any) -> tuple[Client, FakeServer]:
        server = FakeServer(*answers)
        client = Client(
            "https://privault.test/", KEY, transport=httpx.MockTransport(server), **options
        )
        clients.append(client)
        return client, server

    yield make
    for client in clients:
        client.close()


class TestRequests:
    """Each method sends the documented request."""

    def test_store_sends_record_and_idempotency_key(self, connect: Callable[..., Any]) -> None:
        """store POSTs subject, region and values with Authorization and Idempotency-Key."""
        client, server = connect(answer(201, STORED, **{"idempotent-replayed": "true"}))
        stored = client.store(
            "customers", "C-1", {"email": CANARY}, region="eu", idempotency_key="order-7"
        )
        assert server.last.method == "POST"
        assert server.last.url == "https://privault.test/v1/collections/customers/records"
        assert server.last.headers["authorization"] == f"Bearer {KEY}"
        assert server.last.headers["idempotency-key"] == "order-7"
        assert "x-privault-purpose" not in server.last.headers
        assert server.body() == {"subject_id": "C-1", "values": {"email": CANARY}, "region": "eu"}
        assert stored.id == "rec_1"
        assert stored.tokens == {"email": "tok_eu_d_x"}
        assert stored.replayed is True

    def test_store_many_sends_records_in_order(self, connect: Callable[..., Any]) -> None:
        """store_many POSTs {"records": [...]} and reads per-item results."""
        batch = {
            "stored": 1,
            "failed": 1,
            "results": [
                {"index": 0, "status": 201, "record": STORED},
                {"index": 1, "status": 422, "error": {"code": "invalid_value", "detail": "d"}},
            ],
        }
        client, server = connect(answer(200, batch))
        result = client.store_many(
            "customers",
            [NewRecord("C-1", {"email": "a@x.io"}), NewRecord("C-2", {"x": "y"}, region="us")],
        )
        assert server.body() == {
            "records": [
                {"subject_id": "C-1", "values": {"email": "a@x.io"}},
                {"subject_id": "C-2", "values": {"x": "y"}, "region": "us"},
            ]
        }
        assert [item.ok for item in result.results] == [True, False]
        error = result.results[1].error
        assert error is not None
        assert error.code == "invalid_value"
        assert result.replayed is False

    def test_get_sends_purpose_and_fields(self, connect: Callable[..., Any]) -> None:
        """get sends X-Privault-Purpose and fields=a,b, and reads fields, views, withheld."""
        record = {
            **STORED,
            "created_at": "2026-11-29T10:00:00Z",
            "updated_at": "2026-11-29T10:00:00Z",
            "fields": {"email": "a***@example.com"},
            "views": {"email": "email_mask"},
            "withheld": ["card"],
        }
        client, server = connect(answer(200, record))
        read = client.get(
            "customers", "rec_1", purpose="customer_support", fields=["email", "name"]
        )
        assert server.last.headers["x-privault-purpose"] == "customer_support"
        assert server.last.url.params["fields"] == "email,name"
        assert read.fields == {"email": "a***@example.com"}
        assert read.withheld == ("card",)
        assert read.created_at.tzinfo is not None

    def test_update_sends_nulls_and_expected_version(self, connect: Callable[..., Any]) -> None:
        """update PATCHes values (None removes a field) and expected_version."""
        client, server = connect(answer(200, {**STORED, "version": 4}))
        stored = client.update("customers", "rec_1", {"phone": None}, expected_version=3)
        assert server.last.method == "PATCH"
        assert server.body() == {"values": {"phone": None}, "expected_version": 3}
        assert stored.version == 4

    def test_delete_reads_204(self, connect: Callable[..., Any]) -> None:
        """delete sends DELETE and returns None on 204."""
        client, server = connect(httpx.Response(204))
        assert client.delete("customers", "rec_1") is None
        assert server.last.method == "DELETE"

    def test_detokenize_and_search(self, connect: Callable[..., Any]) -> None:
        """detokenize and search send their bodies and purpose, and read results in order."""
        client, server = connect(
            answer(200, {"results": [{"token": "t1", "value": "v", "view": "plain"},
                                     {"token": "t2", "error": "not_found"}]}),
            answer(200, {"matches": [{"record_id": "r", "subject_id": "s", "token": "t"}]}),
        )  # fmt: skip
        results = client.detokenize(["t1", "t2"], purpose="fraud_prevention")
        assert server.body() == {"tokens": ["t1", "t2"]}
        assert [(r.token, r.ok, r.error) for r in results] == [
            ("t1", True, None),
            ("t2", False, "not_found"),
        ]
        matches = client.search("customers", "email", "Ada@Example.com ", purpose="p")
        assert server.last.url.path == "/v1/collections/customers/search"
        assert server.body() == {"field": "email", "value": "Ada@Example.com "}
        assert matches[0].record_id == "r"

    def test_consent_calls(self, connect: Callable[..., Any]) -> None:
        """grant sends source and notice version; consent() is None when none was recorded."""
        client, server = connect(
            answer(200, CONSENT),
            answer(200, {**CONSENT, "granted": False}),
            answer(404, {"code": "no_consent", "detail": "no consent recorded"}),
        )
        granted = client.grant_consent("C-1", "marketing", source="web", notice_version="2026-01")
        assert server.body(0) == {"source": "web", "notice_version": "2026-01"}
        assert granted.granted is True
        assert client.withdraw_consent("C-1", "marketing").granted is False
        assert server.requests[1].method == "DELETE"
        assert client.consent("C-1", "marketing") is None

    def test_grant_without_details_sends_no_body(self, connect: Callable[..., Any]) -> None:
        """A bare grant sends an empty body (the server's defaults apply)."""
        client, server = connect(answer(200, CONSENT))
        client.grant_consent("C-1", "marketing")
        assert server.last.content == b""

    def test_other_404_on_consent_raises(self, connect: Callable[..., Any]) -> None:
        """consent() returns None only for no_consent, not for any 404."""
        client, _ = connect(answer(404, {"code": "not_found", "detail": "no route"}))
        with pytest.raises(ApiError, match="not_found"):
            client.consent("C-1", "marketing")

    @pytest.mark.parametrize(
        ("subject_id", "expected"),
        [
            ("C/1?x#y", "/v1/subjects/C%2F1%3Fx%23y/consents/marketing"),
            ("..", "/v1/subjects/%2E%2E/consents/marketing"),
            (".", "/v1/subjects/%2E/consents/marketing"),
            ("a..b", "/v1/subjects/a..b/consents/marketing"),
            ("Zoë 1", "/v1/subjects/Zo%C3%AB%201/consents/marketing"),
        ],
    )
    def test_path_segments_are_encoded(
        self, connect: Callable[..., Any], subject_id: str, expected: str
    ) -> None:
        """Ids holding '/', '?', '#', dots or spaces stay one path segment."""
        client, server = connect(answer(200, CONSENT))
        client.grant_consent(subject_id, "marketing")
        assert server.last.url.raw_path.decode() == expected


class TestErrors:
    """Error answers and failures become ApiError / ApiConnectionError, without values."""

    def test_problem_json_raises_api_error(self, connect: Callable[..., Any]) -> None:
        """A 403 problem raises ApiError with its code; the request's values are not in it."""
        client, _ = connect(answer(403, {"code": "field_not_granted", "detail": "no"}))
        with pytest.raises(ApiError) as caught:
            client.store("customers", "C-CANARY", {"email": CANARY})
        assert (caught.value.status, caught.value.code) == (403, "field_not_granted")
        for text in (str(caught.value), repr(caught.value)):
            assert CANARY not in text
            assert "C-CANARY" not in text

    def test_answer_not_matching_the_api_is_api_error_without_values(
        self, connect: Callable[..., Any]
    ) -> None:
        """A 200 whose body does not fit names the bad locations, never the values."""
        bad = {"results": [{"token": "t", "value": {"leak": CANARY}}]}
        client, _ = connect(answer(200, bad))
        with pytest.raises(ApiError) as caught:
            client.detokenize(["t"], purpose="p")
        assert caught.value.code == "invalid_response"
        assert "results.0.value" in str(caught.value)
        assert CANARY not in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    @pytest.mark.parametrize("body", [b"", b"not json", b"[]"])
    def test_unreadable_success_is_api_error(
        self, connect: Callable[..., Any], body: bytes
    ) -> None:
        """A 200 that is not JSON of the right shape raises invalid_response."""
        client, _ = connect(httpx.Response(200, content=body))
        with pytest.raises(ApiError, match="invalid_response"):
            client.grant_consent("C-1", "marketing")

    def test_redirect_is_not_followed(self, connect: Callable[..., Any]) -> None:
        """A 3xx (e.g. http -> https) is an error, not silently re-sent with the key."""
        client, server = connect(httpx.Response(301, headers={"location": "https://evil.test/"}))
        with pytest.raises(ApiError) as caught:
            client.grant_consent("C-1", "marketing")
        assert caught.value.status == 301
        assert len(server.requests) == 1

    @pytest.mark.parametrize(
        ("failure", "message"),
        [
            (httpx.ConnectError("refused"), "could not reach"),
            (httpx.ReadTimeout("timed out"), "did not answer in time"),
        ],
    )
    def test_transport_failures_are_connection_errors(
        self, connect: Callable[..., Any], failure: Exception, message: str
    ) -> None:
        """Network failures raise ApiConnectionError naming the server, not the request."""
        client, _ = connect(failure)
        with pytest.raises(ApiConnectionError, match=message) as caught:
            client.store("customers", "C-CANARY", {"email": CANARY})
        assert "https://privault.test" in str(caught.value)
        assert "C-CANARY" not in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    def test_repr_hides_the_api_key(self, connect: Callable[..., Any]) -> None:
        """The client's repr shows the server, never the key."""
        client, _ = connect(answer(200, CONSENT))
        assert KEY not in repr(client)
        assert "privault.test" in repr(client)


class TestRetries:
    """429 and 503 are retried only when asked, honouring Retry-After, boundedly."""

    @pytest.fixture
    def waits(self, monkeypatch: pytest.MonkeyPatch) -> list[float]:
        """Sleeps recorded instead of slept."""
        slept: list[float] = []
        monkeypatch.setattr("privault.client.client.time.sleep", slept.append)
        return slept

    def test_no_retry_by_default(self, connect: Callable[..., Any], waits: list[float]) -> None:
        """Without a Retry policy a 429 raises at once, with retry_after."""
        client, server = connect(answer(429, {"code": "rate_limited"}, **{"retry-after": "2"}))
        with pytest.raises(ApiError) as caught:
            client.grant_consent("C-1", "marketing")
        assert caught.value.retry_after == 2.0
        assert (len(server.requests), waits) == (1, [])

    @pytest.mark.parametrize("status", [429, 503])
    def test_retries_then_succeeds(
        self, connect: Callable[..., Any], waits: list[float], status: int
    ) -> None:
        """With Retry, a 429/503 is retried after Retry-After, with the same request."""
        client, server = connect(
            answer(status, {"code": "later"}, **{"retry-after": "2"}),
            answer(status, {"code": "later"}, **{"retry-after": "1"}),
            answer(201, STORED),
            retry=Retry(attempts=2),
        )
        stored = client.store("customers", "C-1", {"email": "a@x.io"}, idempotency_key="k1")
        assert stored.id == "rec_1"
        assert waits == [2.0, 1.0]
        assert len(server.requests) == 3
        assert {r.headers["idempotency-key"] for r in server.requests} == {"k1"}
        assert len({r.content for r in server.requests}) == 1

    def test_gives_up_after_attempts(self, connect: Callable[..., Any], waits: list[float]) -> None:
        """After `attempts` retries the last error is raised."""
        client, server = connect(
            answer(503, {"code": "unavailable"}), retry=Retry(attempts=2, backoff_s=0.1)
        )
        with pytest.raises(ApiError, match="unavailable"):
            client.delete("customers", "rec_1")
        assert len(server.requests) == 3
        assert len(waits) == 2
        assert all(0.05 <= w <= 0.2 for w in waits)

    def test_retry_after_beyond_bound_is_not_waited(
        self, connect: Callable[..., Any], waits: list[float]
    ) -> None:
        """A Retry-After longer than max_wait_s raises at once."""
        client, server = connect(
            answer(429, {"code": "rate_limited"}, **{"retry-after": "3600"}),
            retry=Retry(max_wait_s=30),
        )
        with pytest.raises(ApiError) as caught:
            client.delete("customers", "rec_1")
        assert caught.value.retry_after == 3600.0
        assert (len(server.requests), waits) == (1, [])

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 500, 502])
    def test_other_statuses_are_never_retried(
        self, connect: Callable[..., Any], waits: list[float], status: int
    ) -> None:
        """Only 429 and 503 are retried."""
        client, server = connect(answer(status, {"code": "x"}), retry=Retry(attempts=5))
        with pytest.raises(ApiError):
            client.delete("customers", "rec_1")
        assert len(server.requests) == 1

    def test_connection_errors_are_not_retried(
        self, connect: Callable[..., Any], waits: list[float]
    ) -> None:
        """A request that may have reached the server is not silently re-sent."""
        client, server = connect(httpx.ReadTimeout("t"), retry=Retry(attempts=5))
        with pytest.raises(ApiConnectionError):
            client.delete("customers", "rec_1")
        assert len(server.requests) == 1


class TestArguments:
    """Bad arguments raise before anything is sent, naming the argument, never the value."""

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda c: c.store("", "C-1", {"email": "x"}), ValueError),
            (lambda c: c.store("customers", "", {"email": "x"}), ValueError),
            (lambda c: c.store("customers", "C-1", {"": "x"}), ValueError),
            (lambda c: c.store("customers", "C-1", {"email": [5]}), TypeError),
            (lambda c: c.store("customers", "C-1", {"email": b"x"}), TypeError),
            (lambda c: c.store("customers", "C-1", {"n": float("nan")}), ValueError),
            (lambda c: c.store("customers", "C-1", {}), ValueError),
            (lambda c: c.update("customers", "rec_1", {}), ValueError),
            (lambda c: c.store("customers", "C-1", {"email": None}), TypeError),
            (lambda c: c.store("customers", "C-1", [("email", "x")]), TypeError),
            (lambda c: c.store("customers", "C-1", {"e": "x"}, region=""), ValueError),
            (lambda c: c.store("customers", "C-1", {"e": "x"}, idempotency_key=""), ValueError),
            (lambda c: c.store("customers", "C-1", {"e": "x"}, idempotency_key="a b"), ValueError),
            (lambda c: c.store("customers", "C-1", {"e": "x"}, idempotency_key="k" * 256),
             ValueError),
            (lambda c: c.store_many("customers", []), ValueError),
            (lambda c: c.store_many("customers", NewRecord("C", {})), TypeError),
            (lambda c: c.store_many("customers", [{"subject_id": "C"}]), TypeError),
            (lambda c: c.get("customers", "rec_1", purpose=""), ValueError),
            (lambda c: c.get("customers", "", purpose="p"), ValueError),
            (lambda c: c.get("customers", "rec_1", purpose="p", fields=[]), ValueError),
            (lambda c: c.get("customers", "rec_1", purpose="p", fields="email"), TypeError),
            (lambda c: c.get("customers", "rec_1", purpose="p", fields=["a,b"]), ValueError),
            (lambda c: c.update("customers", "rec_1", {"e": "x"}, expected_version="3"),
             TypeError),
            (lambda c: c.update("customers", "rec_1", {"e": "x"}, expected_version=True),
             TypeError),
            (lambda c: c.detokenize("tok_eu_x", purpose="p"), TypeError),
            (lambda c: c.detokenize([], purpose="p"), ValueError),
            (lambda c: c.detokenize([""], purpose="p"), ValueError),
            (lambda c: c.search("customers", "email", "", purpose="p"), ValueError),
            (lambda c: c.grant_consent("C-1", "marketing", source=""), ValueError),
            (lambda c: c.consent(None, "marketing"), TypeError),
        ],
    )  # fmt: skip
    def test_refused_before_sending(
        self, connect: Callable[..., Any], call: Callable[[Client], object], error: type
    ) -> None:
        """Nothing reaches the server."""
        client, server = connect(answer(200, {}))
        with pytest.raises(error):
            call(client)
        assert server.requests == []

    def test_value_errors_name_fields_not_values(self, connect: Callable[..., Any]) -> None:
        """A wrong value type names the field only."""
        client, _ = connect(answer(200, {}))
        with pytest.raises(TypeError) as caught:
            client.store("customers", "C-1", {"email": [CANARY]})
        assert "email" in str(caught.value)
        assert CANARY not in str(caught.value)

    @pytest.mark.parametrize(
        ("base_url", "api_key"),
        [("", KEY), ("privault.test", KEY), ("https://x", ""), ("https://x", "pvk a"),
         ("https://x", "pvk\n"), ("https://x", "pvké")],
    )  # fmt: skip
    def test_bad_construction(self, base_url: str, api_key: str) -> None:
        """A base URL without scheme or a key with spaces or control characters is refused."""
        with pytest.raises(ValueError, match=r"base_url|api_key") as caught:
            Client(base_url, api_key)
        assert api_key == "" or api_key not in str(caught.value)

    def test_transport_and_http_client_exclude_each_other(self) -> None:
        """Only one way to inject the HTTP layer."""
        with httpx.Client() as http, pytest.raises(ValueError, match="either"):
            Client("https://x", KEY, transport=httpx.MockTransport(FakeServer()), http_client=http)


class TestLifecycle:
    """The client closes what it owns, and only that."""

    def test_context_manager_closes_own_client(self) -> None:
        """Leaving the with block closes the client's connections."""
        with Client("https://x", KEY) as client:
            http = client._http
        assert http.is_closed

    def test_injected_http_client_is_left_open(self) -> None:
        """An injected httpx.Client belongs to the caller and still works after close()."""
        server = FakeServer(answer(200, CONSENT))
        with httpx.Client(transport=httpx.MockTransport(server)) as http:
            with Client("https://privault.test", KEY, http_client=http) as client:
                client.grant_consent("C-1", "marketing")
            assert not http.is_closed
        assert server.last.headers["authorization"] == f"Bearer {KEY}"
