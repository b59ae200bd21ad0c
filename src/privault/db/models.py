"""Imports every domain's tables so ``Base.metadata`` is complete (for migrations and tests)."""

from __future__ import annotations

from privault.apikeys import models as apikeys_models
from privault.audit import models as audit_models
from privault.auth import models as auth_models
from privault.consent import models as consent_models
from privault.crypto import models as crypto_models
from privault.db.base import Base
from privault.idempotency import models as idempotency_models
from privault.integrations.shopify import models as shopify_models
from privault.retention import models as retention_models
from privault.rights import models as rights_models
from privault.rights.fulfil import models as fulfilment_models
from privault.rights.retained import models as retained_models
from privault.vault import models as vault_models
from privault.webhooks import models as webhooks_models

__all__ = [
    "Base",
    "apikeys_models",
    "audit_models",
    "auth_models",
    "consent_models",
    "crypto_models",
    "fulfilment_models",
    "idempotency_models",
    "retained_models",
    "retention_models",
    "rights_models",
    "shopify_models",
    "vault_models",
    "webhooks_models",
]
