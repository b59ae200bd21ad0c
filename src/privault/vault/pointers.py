"""Pointer tokens: the ``random`` token kind, without a token table.

A pointer token is the deterministic authenticated encryption (AES-SIV, RFC 5297, from
``cryptography``) of where a value lives — record id, collection and field — under a key
derived from the root secret, with the region as associated data::

    tok_<region>_<base32 of SIV tag (16 bytes) || ciphertext>

To anyone without the key the token is indistinguishable from random (the 128-bit SIV tag is
a PRF output) and cannot be forged or altered (SIV authenticates). It names nothing but the
region. It stays the same for the life of the field (an update keeps it), resolves through the
record it points to, and stops resolving the moment that record is deleted or its customer is
erased, with no token table to keep in step and nothing to enumerate.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

_TOKEN_RE: Final = re.compile(r"tok_([a-z][a-z0-9_]{0,62}?)_([a-z2-7]{40,200})")
_SEPARATOR: Final = b"\x1f"


@dataclass(frozen=True)
class PointerTarget:
    """Where a pointer token points."""

    region: str
    collection: str
    record_id: str
    field: str


def _record_id_bytes(record_id: str) -> bytes:
    prefix, _, body = record_id.partition("_")
    if prefix != "rec" or len(body) != 32:
        raise ValueError("not a record id")
    return bytes.fromhex(body)


class PointerTokenizer:
    """Makes and resolves pointer tokens under one 512-bit AES-SIV key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 64:
            raise ValueError("pointer token key must be 64 bytes (AES-256-SIV)")
        self._siv = AESSIV(key)

    def token(self, *, region: str, collection: str, record_id: str, field: str) -> str:
        """The token of one field of one record."""
        plaintext = _record_id_bytes(record_id) + collection.encode() + _SEPARATOR + field.encode()
        sealed = self._siv.encrypt(plaintext, [region.encode()])
        body = base64.b32encode(sealed).decode("ascii").rstrip("=").lower()
        return f"tok_{region}_{body}"

    def resolve(self, token: str) -> PointerTarget | None:
        """Where a token points, or None if it is not a valid pointer token of this key."""
        match = _TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
        if match is None:
            return None
        region, body = match.groups()
        try:
            sealed = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
            # One spelling per token: a last character differing only in unused bits decodes
            # to the same bytes and is refused rather than accepted as an alias.
            if base64.b32encode(sealed).decode("ascii").rstrip("=").lower() != body:
                return None
            plaintext = self._siv.decrypt(sealed, [region.encode()])
        except (binascii.Error, ValueError, InvalidTag):
            return None
        raw_id, names = plaintext[:16], plaintext[16:]
        collection, separator, field = names.partition(_SEPARATOR)
        if not separator or len(raw_id) != 16:
            return None
        return PointerTarget(
            region=region,
            collection=collection.decode(),
            record_id=f"rec_{raw_id.hex()}",
            field=field.decode(),
        )
