"""Settings: read once from the environment (prefix ``PRIVAULT_``, nesting ``__``) and passed down.

There is no module-level settings object: build one with ``Settings()`` (or
``Settings(home=...)``) at the edge (CLI, server, test) and hand it to what needs it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    """Where customer data is stored."""

    url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL. Unset means the embedded SQLite file `privault.db` in the home "
            "directory. PostgreSQL: `postgresql+psycopg://user@host:5432/dbname`."
        ),
    )
    echo: bool = Field(default=False, description="Log every SQL statement (never values).")
    pool_size: int = Field(default=5, ge=1, le=200, description="Connections kept per process.")


class KeySettings(BaseModel):
    """How the key files in the home directory are protected."""

    passphrase: SecretStr | None = Field(
        default=None,
        description=(
            "Passphrase protecting the key files (scrypt + AES-256-GCM). Unset means the key "
            "files are stored unencrypted with mode 0600; set it in production."
        ),
    )
    kms_key_uri: str | None = Field(
        default=None,
        description=(
            "Tink KMS key URI (e.g. `gcp-kms://...`, `aws-kms://...`) whose key encrypts the "
            "key files instead of a passphrase. Needs the matching Tink KMS client installed."
        ),
    )
    reload_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="How often a running process checks the key files for a rotation.",
    )


class ServerSettings(BaseModel):
    """The HTTP server."""

    host: str = Field(default="127.0.0.1", description="Address to bind.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to bind.")
    tls_cert: Path | None = Field(
        default=None, description="PEM certificate (chain) to serve HTTPS; with `tls_key`."
    )
    tls_key: Path | None = Field(default=None, description="PEM private key of `tls_cert`.")
    rate_per_s: float = Field(
        default=200.0, gt=0, description="Requests per second per API key (per process)."
    )
    rate_burst: int = Field(default=400, ge=1, description="Burst allowance per API key.")
    max_body_bytes: int = Field(
        default=1 << 20, ge=1024, description="Larger request bodies are refused with 413."
    )


class ImportSettings(BaseModel):
    """Bulk import."""

    batch_size: int = Field(
        default=1000, ge=1, le=100_000, description="Rows per transaction during import."
    )


class AuditSettings(BaseModel):
    """The tamper-evident audit log."""

    checkpoint_dir: Path | None = Field(
        default=None,
        description=(
            "Where signed checkpoints are also written, outside the database (ship this "
            "folder elsewhere). Default: <home>/audit-checkpoints."
        ),
    )
    checkpoint_every_events: int = Field(
        default=1000,
        ge=1,
        description="`privault serve` signs a checkpoint after this many events.",
    )
    checkpoint_every_s: float = Field(
        default=60.0, gt=0, description="... or after this many seconds with new events."
    )


class Settings(BaseSettings):
    """Everything privault reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="PRIVAULT_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(
        default=Path(".privault"),
        description="Home directory: privault.yaml, keys/ and (by default) privault.db.",
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    keys: KeySettings = Field(default_factory=KeySettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    log_level: str = Field(default="INFO", description="Log level of privault's own logger.")

    @property
    def datamap_path(self) -> Path:
        """Path of the data map file."""
        return self.home / "privault.yaml"

    @property
    def keys_dir(self) -> Path:
        """Directory holding the key files and the erasure ledger."""
        return self.home / "keys"

    @property
    def audit_checkpoint_dir(self) -> Path:
        """Folder of the checkpoint copies kept outside the database."""
        return self.audit.checkpoint_dir or self.home / "audit-checkpoints"

    @property
    def database_url(self) -> str:
        """The effective database URL (the embedded SQLite file when none is set)."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.home / 'privault.db').resolve()}"
