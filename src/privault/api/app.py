"""The HTTP application: ``create_app(settings)``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from privault import __version__
from privault.api import errors
from privault.api.deps import RateLimitedError, api_key_hash_key
from privault.api.middleware import (
    BodySizeLimitMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    rate_limited,
)
from privault.api.routes import admin as admin_routes
from privault.api.routes import audit as audit_routes
from privault.api.routes import auth as auth_routes
from privault.api.routes import consent as consent_routes
from privault.api.routes import records as records_routes
from privault.api.routes import rights as rights_routes
from privault.api.routes import shopify as shopify_routes
from privault.api.routes import tokens as tokens_routes
from privault.api.routes import webhooks as webhooks_routes
from privault.apikeys import ApiKeyCache
from privault.audit import audit_size, checkpointed_size
from privault.auth import AuthKeys
from privault.config import Settings
from privault.db import SCHEMA_REVISION
from privault.errors import PrivaultError
from privault.integrations.shopify import ShopifyConfig, shop_redact_task
from privault.integrations.shopify import config_of as shopify_config
from privault.retention import RetentionScheduler
from privault.rights import outbox_code_sender, retained_purger
from privault.vault import Vault
from privault.webhooks import DeliveryWorker

logger = logging.getLogger("privault.api")


class Health(BaseModel):
    """Liveness and readiness."""

    status: str = Field(description="`ok` when the database answers and keys are loaded.")
    database: str = Field(description="Database dialect in use.", examples=["sqlite"])


class VersionInfo(BaseModel):
    """What is running."""

    version: str = Field(description="privault version.", examples=[__version__])
    schema_revision: str = Field(description="Database schema revision.")


class Checkpointer:
    """Signs an audit checkpoint after N new events or T seconds with new events.

    Runs on a daemon thread of the server; one more checkpoint is signed at shutdown.
    """

    def __init__(self, vault: Vault, settings: Settings) -> None:
        self._vault = vault
        self._every_events = settings.audit.checkpoint_every_events
        self._every_s = settings.audit.checkpoint_every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="privault-checkpoints", daemon=True)

    def start(self) -> None:
        """Begin watching the log."""
        self._thread.start()

    def stop(self) -> None:
        """Stop, signing what is new."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._sign()

    def _sign(self) -> None:
        try:
            self._vault.audit.checkpoint(sessions=self._vault.database.session)
        except PrivaultError as exc:
            logger.error("audit checkpoint failed: %s", exc.code)

    def _run(self) -> None:
        last_size: int | None = None
        last_time = time.monotonic()
        while not self._stop.wait(min(1.0, self._every_s)):
            try:
                # A read-only look: on SQLite it does not queue for the write lock.
                with self._vault.database.read_session() as db_session:
                    if last_size is None:
                        last_size = checkpointed_size(db_session=db_session)
                    size = audit_size(db_session=db_session)
            except PrivaultError as exc:
                # A database that fails for a while must not end the thread for good.
                logger.error("audit checkpoint watch failed: %s", exc.code)
                continue
            due = size - last_size >= self._every_events or (
                size > last_size and time.monotonic() - last_time >= self._every_s
            )
            if due:
                self._sign()
                last_size, last_time = size, time.monotonic()


def _deliverer(
    vault: Vault, settings: Settings, shopify: ShopifyConfig | None
) -> DeliveryWorker | None:
    """The started background loop of webhooks (and shop/redact batches), unless turned off."""
    if not settings.webhooks.deliver_in_server:
        return None
    tasks = []
    if shopify is not None:
        tasks.append(
            shop_redact_task(
                sessions=vault.session,
                audit=vault.audit,
                config=shopify,
                clock=vault.records.clock,
                read_sessions=vault.database.read_session,
            )
        )
    worker = DeliveryWorker(
        sessions=vault.session,
        settings=settings.webhooks,
        clock=vault.records.clock,
        tasks=tasks,
        read_sessions=vault.database.read_session,
    )
    worker.start()
    return worker


def create_app(settings: Settings, *, vault: Vault | None = None) -> FastAPI:
    """Build the FastAPI app; opens the vault at start-up unless one is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = vault is None
        app.state.vault = vault or Vault.open(settings, actor="privault")
        app.state.api_key_hash_key = api_key_hash_key(app.state.vault)
        # One-time codes of data-subject requests go to the customer's stored e-mail address
        # through the outbox (SMTP delivery when configured).
        if getattr(app.state, "rights_code_sender", None) is None:
            app.state.rights_code_sender = outbox_code_sender(
                app.state.vault.records, AuthKeys.derive(app.state.vault.keys.derived)
            )
        checkpointer = Checkpointer(app.state.vault, settings)
        checkpointer.start()
        # Signed outgoing webhooks and Shopify's shop/redact batches run from the database;
        # deliveries are claimed by compare-and-set, so several processes may all run this.
        app.state.shopify = shopify_config(settings)
        deliverer = _deliverer(app.state.vault, settings, app.state.shopify)
        # Every server process schedules sweeps; a database lease lets one sweep at a time.
        sweeper = (
            RetentionScheduler(
                app.state.vault, settings.retention, also=retained_purger(app.state.vault)
            )
            if settings.retention.enabled
            else None
        )
        if sweeper is not None:
            sweeper.start()
        try:
            yield
        finally:
            if deliverer is not None:
                deliverer.stop()
            if sweeper is not None:
                sweeper.stop()
            checkpointer.stop()
            if own:
                app.state.vault.close()

    app = FastAPI(
        title="privault",
        version=__version__,
        summary="Customer-data vault, access control and privacy operations for online shops.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.state.api_key_cache = ApiKeyCache(settings.server.api_key_cache_s)
    app.state.rate_limiter = RateLimiter(
        rate_per_s=settings.server.rate_per_s, burst=settings.server.rate_burst
    )
    per_hour = settings.auth.account_requests_per_hour
    app.state.account_request_limiter = RateLimiter(
        rate_per_s=per_hour / 3600, burst=min(5, per_hour)
    )

    @app.exception_handler(RateLimitedError)
    async def _rate_limited(request: Request, exc: RateLimitedError) -> JSONResponse:
        return rate_limited(exc.retry_after, instance=request.url.path)

    app.include_router(records_routes.router)
    app.include_router(tokens_routes.router)
    app.include_router(consent_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(auth_routes.router)
    app.include_router(admin_routes.router)
    app.include_router(rights_routes.router)
    app.include_router(shopify_routes.router)
    app.include_router(webhooks_routes.router)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.server.tls_cert is not None)

    @app.get("/health", tags=["operations"], summary="Health check")
    def health() -> Health:
        """Whether the server can reach its database."""
        current: Vault = app.state.vault
        with current.database.session() as db_session:
            db_session.execute(text("SELECT 1"))
        return Health(status="ok", database=current.database.dialect)

    @app.get("/version", tags=["operations"], summary="Version")
    def version() -> VersionInfo:
        """The running privault version and database schema revision."""
        return VersionInfo(version=__version__, schema_revision=SCHEMA_REVISION)

    return app


def app_from_environment() -> FastAPI:
    """The app for one of several server processes (``privault serve --workers N``): settings
    from the environment."""
    return create_app(Settings())
