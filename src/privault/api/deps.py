"""Dependencies of the HTTP routes: the vault, the request's transaction, the caller.

The request's session is its one commit point: it commits when the route returns, before the
answer is sent, and rolls back when the route raises.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from privault.api.middleware import RateLimiter
from privault.apikeys import HASH_KEY_LABEL, ApiKeyCache, ApiKeyRead, authenticate
from privault.audit import AuditRecord
from privault.db import commit, unavailable
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


async def get_session(vault: VaultDep) -> AsyncIterator[Session]:
    """The request's transaction, committed when the route returns and before the answer goes.

    Scoped to the route function (below): with FastAPI's default scope the commit would run
    after the response was sent, so a read could reach the caller while the audit event that
    records it failed to commit. Async, so that a request costs no thread-pool hop here: making
    a session does no I/O, and a route that commits itself (:func:`finish`) leaves nothing to
    do at the end; otherwise the commit or rollback runs in the thread pool.
    """
    db_session = vault.database.sessions()
    try:
        yield db_session
        if db_session.in_transaction():
            await run_in_threadpool(commit, db_session)
    except OperationalError as exc:
        await run_in_threadpool(db_session.rollback)
        raise unavailable(exc) from exc
    except BaseException:
        if db_session.in_transaction():
            await run_in_threadpool(db_session.rollback)
        raise
    finally:
        db_session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def finish(db_session: Session) -> None:
    """Commit the request's transaction inside the route (its worker thread), before answering.

    For the hot read routes: the data they return leaves only once its audit events are stored,
    and the dependency's exit then has nothing left to do (no second thread-pool hop).
    """
    commit(db_session)


def _authenticate(request: Request, vault: Vault, presented: str, at: datetime) -> ApiKeyRead:
    """The key from the database, in a transaction of its own; a refusal is audited."""
    hash_key: bytes = request.app.state.api_key_hash_key
    try:
        with vault.database.session() as db_session:
            return authenticate(
                db_session=db_session, hash_key=hash_key, presented=presented, at=at
            )
    except Unauthenticated:
        # The route's template is logged, never the path: paths carry customer ids.
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


async def get_principal(
    request: Request,
    vault: VaultDep,
    authorization: Annotated[
        str | None,
        Header(description="`Bearer pvk_...`: an API key made with `privault apikey create`."),
    ] = None,
) -> Principal:
    """The caller, from the API key in ``Authorization: Bearer``; refusals are audited.

    A key that authenticated in the last ``server.api_key_cache_s`` seconds is recognised from
    this process's memory (:class:`~privault.apikeys.ApiKeyCache`); otherwise the database is
    asked in the thread pool, in a transaction of the key's own.
    """
    # Only the Bearer scheme (case-insensitive, RFC 9110 11.1) carries a key; a bare key or
    # another scheme is refused like a wrong key.
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    presented = credentials.strip() if scheme.lower() == "bearer" else ""
    hash_key: bytes = request.app.state.api_key_hash_key
    cache: ApiKeyCache = request.app.state.api_key_cache
    at = vault.records.clock.now()
    key = cache.lookup(hash_key=hash_key, presented=presented, at=at)
    if key is None:
        key = await run_in_threadpool(_authenticate, request, vault, presented, at)
        cache.remember(hash_key=hash_key, presented=presented, key=key)
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
