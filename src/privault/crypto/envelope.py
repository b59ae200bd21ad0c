"""Field encryption with a customer's data key (AES-256-GCM from ``cryptography``).

Ciphertext layout, version 1::

    0x01 | key tag (4 bytes) | nonce (12 bytes) | ciphertext || GCM tag (16 bytes)

The key tag is the last 4 (random) bytes of the customer key's id, so a ciphertext presented
under the wrong customer key is refused before any decryption. The version byte and key tag
are part of the associated data, together with the caller's context (collection, field,
record, subject), so flipping any byte, truncating, or moving a ciphertext to another field,
record or customer fails authentication: the result is ``IntegrityViolation``, never wrong
plaintext.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privault.errors import IntegrityViolation

VERSION = 1
_PREFIX_LEN = 5
_NONCE_LEN = 12
_TAG_LEN = 16
MIN_CIPHERTEXT_LEN = _PREFIX_LEN + _NONCE_LEN + _TAG_LEN


def new_data_key() -> bytes:
    """A fresh 256-bit customer data key from the OS CSPRNG."""
    return os.urandom(32)


def new_key_id() -> str:
    """A fresh id for a customer data key: 48-bit ms time + 80 random bits, hex.

    Time-ordered so the unique index on key ids grows at its end during bulk imports.
    """
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def field_context(collection: str, field: str, record_id: str, subject_id: str) -> bytes:
    """Associated data binding a field ciphertext to where it belongs."""
    # Collection and field names are identifiers and record ids are ours, so the separator can
    # only appear in the subject id, which comes last: the encoding is unambiguous.
    return f"{collection}\x1f{field}\x1f{record_id}\x1f{subject_id}".encode()


def field_context_format(collection: str, record_id: str, subject_id: str) -> str:
    """A ``str.format`` template giving :func:`field_context` for any field name."""
    escaped = subject_id.replace("{", "{{").replace("}", "}}")
    return f"{collection}\x1f{{}}\x1f{record_id}\x1f{escaped}"


class FieldCipher:
    """Encrypts and decrypts field values under one customer's data key."""

    __slots__ = ("_aead", "_prefix")

    def __init__(self, data_key: bytes, key_id: str) -> None:
        self._aead = AESGCM(data_key)
        self._prefix = bytes([VERSION]) + bytes.fromhex(key_id)[-4:]

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        """Encrypt one value; ``context`` comes from :func:`field_context`."""
        nonce = os.urandom(_NONCE_LEN)
        prefix = self._prefix
        return prefix + nonce + self._aead.encrypt(nonce, plaintext, prefix + context)

    def encrypt_fields(self, values: Mapping[str, str], context_format: str) -> dict[str, bytes]:
        """Encrypt several text values; ``context_format`` is :func:`field_context_format`'s."""
        encrypt = self._aead.encrypt
        prefix = self._prefix
        nonces = os.urandom(_NONCE_LEN * len(values))
        result: dict[str, bytes] = {}
        for i, (name, value) in enumerate(values.items()):
            nonce = nonces[i * _NONCE_LEN : (i + 1) * _NONCE_LEN]
            associated = prefix + context_format.format(name).encode()
            result[name] = prefix + nonce + encrypt(nonce, value.encode(), associated)
        return result

    def decrypt_fields(
        self, ciphertexts: Mapping[str, bytes], context_format: str
    ) -> dict[str, str]:
        """Decrypt several text values (see :meth:`encrypt_fields`); ``IntegrityViolation`` if
        any fails. Checks the prefix once per field, as :meth:`decrypt` does."""
        decrypt = self._aead.decrypt
        prefix = self._prefix
        values: dict[str, str] = {}
        try:
            for name, ciphertext in ciphertexts.items():
                if ciphertext[:_PREFIX_LEN] != prefix or len(ciphertext) < MIN_CIPHERTEXT_LEN:
                    values[name] = self.decrypt(ciphertext, b"").decode()  # raises the reason
                    continue
                nonce = ciphertext[_PREFIX_LEN : _PREFIX_LEN + _NONCE_LEN]
                associated = prefix + context_format.format(name).encode()
                values[name] = decrypt(
                    nonce, ciphertext[_PREFIX_LEN + _NONCE_LEN :], associated
                ).decode()
        except InvalidTag as exc:
            raise IntegrityViolation(
                "ciphertext failed authentication (altered or moved)",
                code="ciphertext_tampered",
            ) from exc
        except UnicodeDecodeError as exc:  # authenticated, so only a bug could cause it
            raise IntegrityViolation("a decrypted value is not text") from exc
        return values

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes:
        """Decrypt one value, or raise ``IntegrityViolation``."""
        if len(ciphertext) < MIN_CIPHERTEXT_LEN:
            raise IntegrityViolation("ciphertext is truncated", code="ciphertext_truncated")
        if ciphertext[0] != VERSION:
            raise IntegrityViolation("ciphertext has an unknown version", code="ciphertext_version")
        prefix = ciphertext[:_PREFIX_LEN]
        if prefix != self._prefix:
            raise IntegrityViolation(
                "ciphertext was made under another key", code="ciphertext_wrong_key"
            )
        nonce = ciphertext[_PREFIX_LEN : _PREFIX_LEN + _NONCE_LEN]
        try:
            return self._aead.decrypt(
                nonce, ciphertext[_PREFIX_LEN + _NONCE_LEN :], prefix + context
            )
        except InvalidTag as exc:
            raise IntegrityViolation(
                "ciphertext failed authentication (altered or moved)",
                code="ciphertext_tampered",
            ) from exc
