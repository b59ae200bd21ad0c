"""``/v1/collections/{collection}/records``: store, read, change and delete customer records."""

from __future__ import annotations

from privault.api.routes.records.routes import router

__all__ = ["router"]
