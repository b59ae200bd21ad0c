"""Errors raised by privault.

Every error privault raises on purpose is a ``PrivaultError``; third-party exceptions are
translated into one of its kinds at the boundary where they arise. The kinds map one to one
onto HTTP statuses in ``privault.api.errors``.

    PrivaultError
     ├── NotFound             the thing asked for does not exist (or was erased)
     ├── Conflict             the request clashes with the current state
     ├── InvalidInput         the input is malformed or breaks a rule
     ├── PermissionDenied     the caller is known but not allowed
     ├── Unauthenticated      the caller could not be identified
     ├── Unavailable          a dependency (database, key store) cannot be reached
     └── IntegrityViolation   stored data failed an integrity check (tampering, wrong key)

Messages and context never carry customer data: name the field, the line, the record id,
never the value.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "Conflict",
    "IntegrityViolation",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "PrivaultError",
    "Unauthenticated",
    "Unavailable",
]


class PrivaultError(Exception):
    """Root of every error privault raises on purpose."""

    default_code: ClassVar[str] = "error"

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.context: dict[str, Any] = context

    def __str__(self) -> str:
        return self.message


class NotFound(PrivaultError):
    """The thing asked for does not exist, or no longer exists."""

    default_code = "not_found"


class Conflict(PrivaultError):
    """The request clashes with the current state (duplicate, idempotency mismatch)."""

    default_code = "conflict"


class InvalidInput(PrivaultError):
    """The input is malformed or breaks a rule of the data map."""

    default_code = "invalid_input"


class PermissionDenied(PrivaultError):
    """The caller is identified but not allowed to do this."""

    default_code = "permission_denied"


class Unauthenticated(PrivaultError):
    """The caller could not be identified."""

    default_code = "unauthenticated"


class Unavailable(PrivaultError):
    """A dependency (database, key store, KMS) cannot be reached right now."""

    default_code = "unavailable"


class IntegrityViolation(PrivaultError):
    """Stored data failed an integrity check: tampered, moved, truncated or under a wrong key."""

    default_code = "integrity_violation"
