"""What the vault takes and gives back.

Plain frozen dataclasses: they cross the service boundary in bulk (an import hands over
hundreds of thousands), where pydantic validation would cost more than the encryption. The
HTTP layer has its own pydantic models built from these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from privault.vault.repository import RecordRow


@dataclass(frozen=True)
class RecordCreate:
    """A record to store: a customer, a collection and field values (strings)."""

    collection: str
    subject_id: str
    values: Mapping[str, object]
    region: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    """Where a new record went."""

    id: str
    collection: str
    subject_id: str
    region: str
    # The token of each field (when asked for: computing pointer tokens costs an AES-SIV each).
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordRead:
    """A decrypted record."""

    id: str
    collection: str
    subject_id: str
    region: str
    values: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime
    # Tokens that cannot be recomputed (card and deterministic kinds), as stored; the rest are
    # pointer tokens (``RecordService.tokens_of``).
    stored_tokens: dict[str, str] = field(default_factory=dict)
    # Every field the record holds, also those not decrypted (``RecordService.get(only=...)``).
    held: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubjectExport:
    """Everything stored about one customer."""

    subject_id: str
    region: str
    exported_at: datetime
    records: list[RecordRead] = field(default_factory=list)


@dataclass(frozen=True)
class ErasureReceipt:
    """What ``erase_subject`` destroyed."""

    subject_id: str
    key_id: str
    records_deleted: int
    erased_at: datetime


@dataclass
class PreparedBatch:
    """Records validated and encrypted, with the new customer keys they need, not yet stored.

    Holds no key material in the clear (wrapped keys and ciphertexts only), so import workers
    can hand it to the process that writes.
    """

    # new customer keys to store: customer id -> (region, key id, master version, wrapped key)
    fresh: dict[str, tuple[str, str, int, bytes]] = field(default_factory=dict)
    # records: (id, collection, subject id, region, packed ciphertexts, stored tokens JSON)
    rows: list[tuple[str, str, str, str, bytes, str | None]] = field(default_factory=list)
    # lookups: (record id, field, kind, collection, digest)
    lookups: list[tuple[str, str, str, str, bytes]] = field(default_factory=list)
    sources: list[tuple[RecordCreate, dict[str, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class TokenMatch:
    """A record found by a token or a blind index, without decrypting anything."""

    record_id: str
    collection: str
    subject_id: str
    region: str
    field: str
    token: str
    # The stored row when resolving already read it (pointer tokens), so reading the value
    # does not load it again. Ciphertexts and a wrapped key only; never printed or compared.
    row: RecordRow | None = dataclasses.field(default=None, repr=False, compare=False)
