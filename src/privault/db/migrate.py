"""Schema migrations with Alembic, driven from code (``privault migrate``, ``privault init``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported when a migration function runs, not with privault.db: processes that
# only read and write records (API workers, import workers) do not pay its memory.


# The revision this version of privault's code expects. A test keeps it equal to the newest
# migration, so opening a database checks it without loading Alembic.
SCHEMA_REVISION = "0015_audit_rowid"


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, read with plain SQL (no Alembic import)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - see above

    config = Config()
    config.set_main_option("script_location", "privault.db:migrations")
    return config


def head_revision() -> str:
    """The newest revision this version of privault knows."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see above

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("privault ships no migrations")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - see above

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` in one transaction."""
    from alembic import command  # noqa: PLC0415 - see above

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
