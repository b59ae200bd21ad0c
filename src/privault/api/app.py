"""The HTTP application: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import text

from privault import __version__
from privault.api import errors
from privault.config import Settings
from privault.db import SCHEMA_REVISION
from privault.vault import Vault


class Health(BaseModel):
    """Liveness and readiness."""

    status: str = Field(description="`ok` when the database answers and keys are loaded.")
    database: str = Field(description="Database dialect in use.", examples=["sqlite"])


class VersionInfo(BaseModel):
    """What is running."""

    version: str = Field(description="privault version.", examples=[__version__])
    schema_revision: str = Field(description="Database schema revision.")


def create_app(settings: Settings, *, vault: Vault | None = None) -> FastAPI:
    """Build the FastAPI app; opens the vault at start-up unless one is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = vault is None
        app.state.vault = vault or Vault.open(settings)
        try:
            yield
        finally:
            if own:
                app.state.vault.close()

    app = FastAPI(
        title="privault",
        version=__version__,
        summary="Customer-data vault, access control and privacy operations for online shops.",
        lifespan=lifespan,
    )
    errors.install(app)

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
