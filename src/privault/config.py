"""Settings: read once from the environment (prefix ``PRIVAULT_``, nesting ``__``) and passed down.

There is no module-level settings object: build one with ``Settings()`` (or
``Settings(home=...)``) at the edge (CLI, server, test) and hand it to what needs it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

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
    sqlite_cache_mib: int = Field(
        default=64,
        ge=2,
        le=4096,
        description="SQLite page cache per connection (import workers use a sixteenth of it).",
    )


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
    api_key_cache_s: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description=(
            "Seconds a server process recognises a key that authenticated from memory; a key "
            "revoked by another process keeps working here for at most this long. 0 turns "
            "the cache off."
        ),
    )
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


class RightsSettings(BaseModel):
    """Data-subject requests: identity verification codes, who handles requests, deadlines."""

    code_ttl_s: int = Field(
        default=900, ge=60, le=86_400, description="How long a one-time code stays valid."
    )
    code_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Wrong entries after which a code is burned."
    )
    code_digits: int = Field(default=6, ge=6, le=10, description="Digits in a one-time code.")
    codes_per_request: int = Field(
        default=5, ge=1, le=50, description="Codes that may be sent for one request, in all."
    )
    default_regime: Literal["gdpr", "ccpa"] = Field(
        default="gdpr", description="Regime whose deadlines apply when a request names none."
    )
    handler_purpose: str = Field(
        default="privacy_requests",
        description="Data-map purpose whose roles may list, verify, decide and close requests.",
    )
    near_deadline_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="`privault requests overdue` also lists requests due within this many days.",
    )
    gpc_last_update: date = Field(
        default=date(2026, 11, 29),
        description="`lastUpdate` served in /.well-known/gpc.json: when GPC handling changed.",
    )


class ConsentSettings(BaseModel):
    """Consent notices and receipts."""

    default_language: str = Field(
        default="en",
        pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$",
        description="BCP 47 language notices fall back to, and grants name when they name none.",
    )
    controller_name: str | None = Field(
        default=None,
        max_length=200,
        description="Controller named in consent receipts; unset uses the data map's `shop`.",
    )


class RetentionSettings(BaseModel):
    """The retention sweep, which deletes data past its data-map retention."""

    enabled: bool = Field(
        default=True, description="`privault serve` sweeps on a schedule (one process at a time)."
    )
    interval_s: float = Field(default=3600.0, gt=0, description="Seconds between scheduled sweeps.")
    start_delay_s: float = Field(
        default=60.0, ge=0, description="Seconds after server start before the first sweep."
    )
    batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Records examined per transaction."
    )
    lease_s: float = Field(
        default=900.0,
        ge=10,
        description="A sweeper that stops renewing its lease this long is taken over.",
    )


class AuthSettings(BaseModel):
    """Customer and operator authentication (NIST SP 800-63B rev 4)."""

    argon2_memory_kib: int = Field(
        default=19456, ge=8, description="argon2id memory per hash in KiB (OWASP floor 19456)."
    )
    argon2_time_cost: int = Field(default=2, ge=1, description="argon2id passes (OWASP floor 2).")
    argon2_parallelism: int = Field(default=1, ge=1, le=64, description="argon2id lanes.")
    argon2_allow_below_owasp: bool = Field(
        default=False, description="Accept argon2 parameters below OWASP's floor (tests only)."
    )
    pepper_key_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Mix a pepper derived from the key store under this id into every password.",
    )
    previous_pepper_key_ids: list[str] = Field(
        default_factory=list, description="Older pepper ids still accepted (re-peppered at login)."
    )
    min_password_length: int = Field(
        default=15, ge=8, description="Minimum password length without a second factor."
    )
    min_password_length_with_mfa: int = Field(
        default=8, ge=8, description="Minimum password length with a second factor."
    )
    max_password_length: int = Field(
        default=1024, ge=64, le=4096, description="Longer passwords are refused (4xx)."
    )
    breached_passwords: Path | None = Field(
        default=None, description="Offline Have I Been Pwned SHA-1 list (range dir or file)."
    )
    shop_name: str | None = Field(
        default=None, description="The shop's name: refused as part of a password."
    )
    session_idle_s: int = Field(
        default=3600, ge=60, description="A session unused this long ends (NIST: <= 1 h)."
    )
    session_absolute_s: int = Field(
        default=86_400, ge=300, description="A session ends this long after login, used or not."
    )
    mfa_pending_s: int = Field(
        default=300, ge=30, description="Time to present the second factor after the password."
    )
    step_up_s: int = Field(
        default=300, ge=30, description="Sensitive operations need a login or re-auth this recent."
    )
    password_reset_ttl_s: int = Field(
        default=1800, ge=60, le=86_400, description="How long a password-reset token works."
    )
    email_change_ttl_s: int = Field(
        default=3600, ge=300, le=86_400, description="How long a login e-mail change code works."
    )
    free_failures: int = Field(
        default=5, ge=0, le=99, description="Consecutive failed logins without a delay."
    )
    failure_base_delay_s: float = Field(
        default=1.0, gt=0, description="Delay after the first failure beyond the free ones."
    )
    failure_max_delay_s: float = Field(
        default=900.0, gt=0, description="Cap of the doubling delay between failed logins."
    )
    lock_after_failures: int = Field(
        default=100, ge=1, le=100, description="Consecutive failures that lock the login."
    )
    address_failures_per_minute: int = Field(
        default=20, ge=1, description="Failed logins allowed per client address per minute."
    )
    address_failures_per_hour: int = Field(
        default=200, ge=1, description="Failed logins allowed per client address per hour."
    )
    client_address_header: str | None = Field(
        default=None,
        description="Header carrying the end user's address (set only behind a trusted proxy).",
    )
    account_requests_per_hour: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description=(
            "Registrations and password-reset requests accepted per client address per hour "
            "(per server process; the first 5 may come at once)."
        ),
    )
    totp_issuer: str = Field(default="privault", description="Issuer shown by authenticator apps.")
    recovery_codes: int = Field(default=10, ge=10, le=100, description="Recovery codes per set.")
    webauthn_rp_id: str | None = Field(
        default=None,
        description="WebAuthn relying-party id (the shop's domain, e.g. shop.example); unset "
        "turns security keys and passkeys off.",
    )
    webauthn_rp_name: str = Field(
        default="privault", description="Relying-party name shown by authenticators."
    )
    webauthn_origins: list[str] = Field(
        default_factory=list,
        description="Origins a WebAuthn ceremony may come from (e.g. https://shop.example).",
    )
    webauthn_challenge_ttl_s: int = Field(
        default=300, ge=30, le=900, description="How long a WebAuthn challenge can be answered."
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for notifications; unset keeps them in the outbox."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port (STARTTLS).")
    smtp_username: str | None = Field(default=None, description="SMTP login.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    mail_from: str = Field(
        default="privault@localhost", description="Sender address of notifications."
    )


class WebhookEndpoint(BaseModel):
    """One downstream system that receives signed request and erasure events."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="Name shown in delivery state."
    )
    url: str = Field(
        pattern=r"^https?://[^\s]+$",
        max_length=2000,
        description="URL events are POSTed to (only configured URLs are ever called).",
    )
    secret: SecretStr | None = Field(
        default=None, description="HMAC-SHA256 signing secret (or `secret_file`)."
    )
    secret_file: Path | None = Field(
        default=None, description="File holding the signing secret (trailing newline ignored)."
    )
    events: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Event types sent, with `*` wildcards (`request.*`, `erasure.completed`).",
    )


class WebhookSettings(BaseModel):
    """Outgoing webhooks: signed events, retried with backoff from the database."""

    endpoints: list[WebhookEndpoint] = Field(
        default_factory=list, description="Where events go (JSON list in the environment)."
    )
    max_attempts: int = Field(
        default=8, ge=1, le=50, description="Attempts after which a delivery is dead."
    )
    backoff_base_s: float = Field(
        default=30.0, gt=0, description="Delay before the second attempt; doubles per attempt."
    )
    backoff_max_s: float = Field(default=21_600.0, gt=0, description="Cap of the delay.")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="HTTP timeout per attempt.")
    lease_s: float = Field(
        default=120.0, gt=0, description="A claimed delivery not settled this long is retried."
    )
    poll_interval_s: float = Field(
        default=5.0, gt=0, description="How often `privault serve` looks for due deliveries."
    )
    deliver_in_server: bool = Field(
        default=True, description="`privault serve` delivers in the background."
    )


class ShopifySettings(BaseModel):
    """Shopify's mandatory privacy webhooks: data requests, customer and shop redaction."""

    app_secret: SecretStr | None = Field(
        default=None, description="The app's client secret, which signs webhooks (or the file)."
    )
    app_secret_file: Path | None = Field(
        default=None, description="File holding the app's client secret."
    )
    shop_domain: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$",
        description="The shop served (`shop.myshopify.com`); other shops are refused.",
    )
    regime: Literal["gdpr", "ccpa"] | None = Field(
        default=None, description="Regime of opened requests (default: rights.default_regime)."
    )
    max_body_bytes: int = Field(
        default=262_144, ge=1024, le=1 << 20, description="Larger webhook bodies are refused."
    )
    redact_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Customers per transaction of shop/redact."
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
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rights: RightsSettings = Field(default_factory=RightsSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    consent: ConsentSettings = Field(default_factory=ConsentSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    shopify: ShopifySettings = Field(default_factory=ShopifySettings)
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
