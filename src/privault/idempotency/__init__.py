"""Idempotency keys: a retried write returns the first answer instead of writing twice."""

from __future__ import annotations

from privault.idempotency import models

__all__ = ["models"]
