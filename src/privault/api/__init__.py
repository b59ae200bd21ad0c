"""The HTTP API."""

from __future__ import annotations

from privault.api.app import create_app

__all__ = ["create_app"]
