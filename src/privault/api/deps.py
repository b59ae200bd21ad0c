"""Dependencies of the HTTP routes: the vault, the request's transaction, the caller.

The request-scoped session is the one commit point of a request: it commits when the route
returns and rolls back when it raises.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session

from privault.api.middleware import RateLimiter
from privault.apikeys import HASH_KEY_LABEL, authenticate
from privault.audit import AuditRecord
from privault.errors import Unauthenticated, Unavailable
from privault.policy import Principal
from privault.vault import Vault


class RateLimitedError(Unavailable):
    """The caller's key went over its request rate (answered 429 with Retry-After)."""

    default_code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many requests for this API key; slow down", retry_after=retry_after)
        self.retry_after = retry_after


async def get_vault(request: Request) -> Vault:
    """The vault the server opened at start-up (async: no thread-pool hop for an attribute)."""
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]


def get_session(vault: VaultDep) -> Iterator[Session]:
    """The request's transaction."""
    with vault.database.session() as db_session:
        yield db_session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    authorization: Annotated[
        str | None,
        Header(description="`Bearer pvk_...`: an API key made with `privault apikey create`."),
    ] = None,
) -> Principal:
    """The caller, from the API key in ``Authorization: Bearer``; refusals are audited."""
    # Only the Bearer scheme (case-insensitive, RFC 9110 11.1) carries a key; a bare key or
    # another scheme is refused like a wrong key.
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    presented = credentials.strip() if scheme.lower() == "bearer" else ""
    hash_key: bytes = request.app.state.api_key_hash_key
    try:
        # In the request's own transaction: one transaction per request.
        key = authenticate(
            db_session=db_session,
            hash_key=hash_key,
            presented=presented,
            at=vault.records.clock.now(),
        )
    except Unauthenticated:
        # The request's transaction is rolled back first (on SQLite it may hold the write
        # lock the refusal's own transaction needs). The route's template is logged, never
        # the path: paths carry customer ids.
        db_session.rollback()
        route = request.scope.get("route")
        with vault.database.session() as refusal_session:
            vault.audit.record(
                db_session=refusal_session,
                event=AuditRecord(
                    actor="anonymous",
                    operation="auth.api_key",
                    outcome="denied",
                    detail={
                        "method": request.method,
                        "route": str(getattr(route, "path", "unknown"))[:200],
                    },
                ),
            )
        raise
    limiter: RateLimiter = request.app.state.rate_limiter
    retry_after = limiter.check(key.id, now=time.monotonic())
    if retry_after is not None:
        raise RateLimitedError(retry_after)
    return Principal(
        key_id=key.id,
        role=key.role,
        purposes=frozenset(key.purposes) if key.purposes is not None else None,
        regions=frozenset(key.regions) if key.regions is not None else None,
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def api_key_hash_key(vault: Vault) -> bytes:
    """The key under which API key secrets are hashed."""
    return vault.keys.derived.derive(HASH_KEY_LABEL)


Purpose = Annotated[
    str | None,
    Header(
        alias="X-Privault-Purpose",
        max_length=63,
        description="Why the data is read: a purpose of the data map held by the key's role.",
        examples=["customer_support"],
    ),
]


CollectionName = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="A collection declared in the data map.",
        examples=["customers"],
    ),
]


def logged_purpose(vault: Vault, purpose: str | None) -> str | None:
    """The purpose to write to the audit log: a declared one, or None (the header is input)."""
    return purpose if purpose in vault.datamap.purposes else None
