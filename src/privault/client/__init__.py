"""The Python SDK of privault's HTTP API v1.

    from privault.client import Client

    with Client("https://privault.internal:8443", api_key) as privault:
        stored = privault.store("customers", "C-1001", {"email": "ada@example.com"})
        record = privault.get("customers", stored.id, purpose="customer_support")

It needs only httpx and pydantic: nothing of the server (database, keys) is imported.
"""

from __future__ import annotations

from privault.client.client import Client
from privault.client.errors import ApiConnectionError, ApiError, ClientError, Issue
from privault.client.retry import Retry
from privault.client.schemas import (
    BatchItem,
    BatchResult,
    Consent,
    Detokenized,
    ItemError,
    NewRecord,
    Record,
    SearchMatch,
    StoredRecord,
)

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "BatchItem",
    "BatchResult",
    "Client",
    "ClientError",
    "Consent",
    "Detokenized",
    "Issue",
    "ItemError",
    "NewRecord",
    "Record",
    "Retry",
    "SearchMatch",
    "StoredRecord",
]
