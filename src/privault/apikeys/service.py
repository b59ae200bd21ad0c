"""Use cases of API keys: create (the plaintext shown once), authenticate, list, revoke.

A key reads ``pvk_<id>_<secret>``: 12 hex digits of id (the row's primary key) and 32 random
bytes of secret in unpadded urlsafe base64. Only HMAC-SHA256 of the whole key, under a key the
caller derives from the root secret, is stored; a stolen database therefore yields no usable key
and, the secret having 256 bits, no key can be guessed from its hash. Services flush and never
commit.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from privault.apikeys import repository
from privault.apikeys.models import KEY_ID_LENGTH, NAME_LENGTH, ApiKey
from privault.apikeys.schemas import ApiKeyRead, CreatedApiKey
from privault.datamap import DataMap
from privault.errors import InvalidInput, NotFound, Unauthenticated

__all__ = [
    "HASH_KEY_LABEL",
    "KEY_PREFIX",
    "LAST_USED_GRANULARITY",
    "authenticate",
    "create_api_key",
    "get_api_key",
    "list_api_keys",
    "revoke_api_key",
]

#: Label under which callers derive the hashing key: ``keys.derived.derive(HASH_KEY_LABEL)``.
HASH_KEY_LABEL = "api-key/v1"
KEY_PREFIX = "pvk_"
SECRET_BYTES = 32
#: ``last_used_at`` moves at most this often, so a busy key does not cost a write per request.
LAST_USED_GRANULARITY = timedelta(minutes=1)

_SECRET_CHARS = (SECRET_BYTES * 8 + 5) // 6  # unpadded base64 of 32 bytes: 43 characters
_KEY_LENGTH = len(KEY_PREFIX) + KEY_ID_LENGTH + 1 + _SECRET_CHARS
_KEY_FORMAT = re.compile(
    rf"pvk_([0-9a-f]{{{KEY_ID_LENGTH}}})_[A-Za-z0-9_-]{{{_SECRET_CHARS}}}", re.ASCII
)
_KEY_ID_FORMAT = re.compile(rf"[0-9a-f]{{{KEY_ID_LENGTH}}}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MIN_HASH_KEY = 32
# Compared against when the id is unknown, so an unknown id costs the same as a wrong secret.
_NO_SUCH_HASH = bytes(32)
_BAD_KEY = "invalid API key"


def _show(value: str, limit: int = 40) -> str:
    escaped = repr(value)[1:-1]
    return f"'{escaped[:limit]}...'" if len(escaped) > limit else f"'{escaped}'"


def _unknown(noun: str, value: str, choices: Sequence[str], scope: str = "") -> str:
    message = f"unknown {noun} {_show(value)}{scope}"
    lowered = {choice.lower(): choice for choice in choices}
    close = (
        [lowered[value.lower()]]
        if value.lower() in lowered
        else difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
        if len(value) < 100
        else []
    )
    if close:
        return f"{message} (did you mean '{close[0]}'?)"
    if not choices:
        return f"{message} (none is declared)"
    return f"{message} (expected one of: {', '.join(choices)})"


def _check_hash_key(hash_key: bytes) -> bytes:
    if not isinstance(hash_key, bytes) or len(hash_key) < _MIN_HASH_KEY:
        raise InvalidInput(
            f"the API-key hashing key must be at least {_MIN_HASH_KEY} bytes",
            code="weak_hash_key",
        )
    return hash_key


def _check_at(at: datetime) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput("time must be a timezone-aware datetime", code="naive_datetime")
    return at


def key_hash(hash_key: bytes, key: str) -> bytes:
    """The keyed hash stored for a key (HMAC-SHA256 of the whole ``pvk_...`` text)."""
    return hmac.new(hash_key, key.encode("ascii"), hashlib.sha256).digest()


def key_id_of(presented: str) -> str | None:
    """The id of a well-formed key (the 12 hex digits after ``pvk_``), else None."""
    if not isinstance(presented, str) or len(presented) != _KEY_LENGTH:
        return None
    match = _KEY_FORMAT.fullmatch(presented)
    return match.group(1) if match else None


def _subset(
    noun: str, given: Iterable[str] | None, allowed: Sequence[str], scope: str
) -> list[str] | None:
    """The given names, deduplicated in order, each checked against ``allowed``."""
    if given is None:
        return None
    names = list(dict.fromkeys(given))
    if not names:
        raise InvalidInput(
            f"give at least one {noun}, or none at all to allow every {noun}",
            code=f"empty_{noun}s",
        )
    for name in names:
        if not isinstance(name, str) or name not in allowed:
            raise InvalidInput(_unknown(noun, str(name), allowed, scope), code=f"unknown_{noun}")
    return names


def _check_name(name: str | None) -> str | None:
    if name is None:
        return None
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > NAME_LENGTH
        or _CONTROL.search(name)
    ):
        raise InvalidInput(
            f"the key's name must be 1 to {NAME_LENGTH} characters on one line",
            code="invalid_key_name",
        )
    return name


def _new_key_id(db_session: Session) -> str:
    # 48 random bits: a clash is rare but cheap to rule out before the insert.
    for _ in range(8):
        key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
        if repository.get(db_session=db_session, key_id=key_id) is None:
            return key_id
    raise RuntimeError("could not find a free API-key id")  # pragma: no cover


def create_api_key(
    *,
    db_session: Session,
    datamap: DataMap,
    hash_key: bytes,
    role: str,
    purposes: Iterable[str] | None = None,
    regions: Iterable[str] | None = None,
    name: str | None = None,
    at: datetime,
) -> CreatedApiKey:
    """Create a key for ``role`` (optionally narrowed to purposes and regions); return it once.

    ``purposes`` must be among the role's and ``regions`` among the data map's; None allows all.
    The plaintext key is in the result only; the table keeps an HMAC of it.
    """
    hash_key = _check_hash_key(hash_key)
    at = _check_at(at)
    if not isinstance(role, str) or role not in datamap.roles:
        raise InvalidInput(_unknown("role", str(role), list(datamap.roles)), code="unknown_role")
    checked_purposes = _subset(
        "purpose", purposes, datamap.roles[role].purposes, f" for role '{role}'"
    )
    checked_regions = _subset("region", regions, datamap.regions, "")
    checked_name = _check_name(name)
    key_id = _new_key_id(db_session)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode()
    key = f"{KEY_PREFIX}{key_id}_{secret}"
    record = ApiKey(
        id=key_id,
        name=checked_name,
        role=role,
        purposes=checked_purposes,
        regions=checked_regions,
        secret_hash=key_hash(hash_key, key),
        created_at=at,
        last_used_at=None,
        revoked_at=None,
    )
    repository.add(db_session=db_session, api_key=record)
    return CreatedApiKey(key=key, record=ApiKeyRead.model_validate(record))


def authenticate(
    *, db_session: Session, hash_key: bytes, presented: str, at: datetime
) -> ApiKeyRead:
    """The active key ``presented`` is, or ``Unauthenticated`` (code ``bad_api_key``).

    Malformed, unknown, wrong and revoked keys all get the same message, and a well-formed key
    costs one lookup and one HMAC whether its id exists or not, so neither the answer nor its
    timing tells which. Records the use at most once per ``LAST_USED_GRANULARITY``.
    """
    hash_key = _check_hash_key(hash_key)
    at = _check_at(at)
    key_id = key_id_of(presented)
    if key_id is None:
        # The format is public, so skipping the lookup reveals nothing; the HMAC keeps the
        # crypto work equal anyway.
        hmac.compare_digest(key_hash(hash_key, KEY_PREFIX), _NO_SUCH_HASH)
        raise Unauthenticated(_BAD_KEY, code="bad_api_key")
    record = repository.get_for_auth(db_session=db_session, key_id=key_id)
    expected = bytes(record.secret_hash) if record is not None else _NO_SUCH_HASH
    if not hmac.compare_digest(key_hash(hash_key, presented), expected):
        raise Unauthenticated(_BAD_KEY, code="bad_api_key")
    if record is None or record.revoked_at is not None:
        raise Unauthenticated(_BAD_KEY, code="bad_api_key")
    last_used = record.last_used_at
    if last_used is None or at - last_used >= LAST_USED_GRANULARITY:
        repository.touch(db_session=db_session, key_id=record.id, at=at)
        last_used = at
    return ApiKeyRead(
        id=record.id,
        name=record.name,
        role=record.role,
        purposes=record.purposes,
        regions=record.regions,
        created_at=record.created_at,
        last_used_at=last_used,
        revoked_at=None,
    )


def _get_or_raise(db_session: Session, key_id: str) -> ApiKey:
    found = (
        repository.get(db_session=db_session, key_id=key_id)
        if isinstance(key_id, str) and _KEY_ID_FORMAT.fullmatch(key_id)
        else None
    )
    if found is None:
        raise NotFound(
            "no API key with this id (an id is the 12 hex digits after 'pvk_')",
            code="api_key_not_found",
        )
    return found


def get_api_key(*, db_session: Session, key_id: str) -> ApiKeyRead:
    """One key by id; ``NotFound`` when there is none."""
    return ApiKeyRead.model_validate(_get_or_raise(db_session, key_id))


def list_api_keys(*, db_session: Session, include_revoked: bool = True) -> list[ApiKeyRead]:
    """Every key, oldest first (revoked ones too unless ``include_revoked`` is False)."""
    return [
        ApiKeyRead.model_validate(record)
        for record in repository.list_all(db_session=db_session, include_revoked=include_revoked)
    ]


def revoke_api_key(*, db_session: Session, key_id: str, at: datetime) -> ApiKeyRead:
    """Revoke a key: it stops authenticating at once. Revoking again keeps the first time."""
    at = _check_at(at)
    record = _get_or_raise(db_session, key_id)
    if record.revoked_at is None:
        record.revoked_at = at
        db_session.flush()
    return ApiKeyRead.model_validate(record)
