"""API keys for the shop's services: each bound to a role and optionally to purposes and regions.

Call it through the service functions re-exported here (keyword-only, ``db_session`` first,
flush never commit). Only a keyed hash of a key is stored; see ``docs/api-keys.md``.
"""

from __future__ import annotations

from privault.apikeys.cache import ApiKeyCache
from privault.apikeys.models import ApiKey
from privault.apikeys.schemas import ApiKeyRead, CreatedApiKey
from privault.apikeys.service import (
    HASH_KEY_LABEL,
    KEY_PREFIX,
    LAST_USED_GRANULARITY,
    authenticate,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
)

__all__ = [
    "HASH_KEY_LABEL",
    "KEY_PREFIX",
    "LAST_USED_GRANULARITY",
    "ApiKey",
    "ApiKeyCache",
    "ApiKeyRead",
    "CreatedApiKey",
    "authenticate",
    "create_api_key",
    "get_api_key",
    "list_api_keys",
    "revoke_api_key",
]
