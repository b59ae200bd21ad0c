"""Idempotency keys: a retried write returns the first answer instead of writing twice."""

from __future__ import annotations

from privault.idempotency import models
from privault.idempotency.service import (
    KEEP_FOR,
    Replay,
    check_key,
    recall,
    remember,
    request_hash,
)

__all__ = ["KEEP_FOR", "Replay", "check_key", "models", "recall", "remember", "request_hash"]
