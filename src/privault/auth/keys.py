"""The keys authentication uses, each derived from the key store's root for one purpose.

Login names and client addresses are looked up by HMAC; login names (for notifications) and TOTP
secrets are sealed with AES-256-GCM under associated data naming the purpose and the account, so
a ciphertext copied to another account's row does not open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from privault.auth.passwords import Pepper
from privault.crypto import DerivedKeys
from privault.errors import IntegrityViolation, InvalidInput

_VERSION = b"\x01"
_NONCE_BYTES = 12
_MAX_LOGIN_LENGTH = 320  # RFC 5321: 64 local + @ + 255 domain


def normalise_login(login: str) -> str:
    """The canonical login name: NFKC, trimmed, case-folded; InvalidInput if it cannot be one."""
    if not isinstance(login, str) or len(login) > _MAX_LOGIN_LENGTH:
        raise InvalidInput("login name is too long", code="login_invalid")
    folded = unicodedata.normalize("NFKC", login).strip().casefold()
    local, at, domain = folded.partition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in folded):
        raise InvalidInput("login name must be an email address", code="login_invalid")
    return folded


@dataclass(frozen=True)
class AuthKeys:
    """Purpose keys of the auth domain."""

    login_ref: bytes = field(repr=False)
    login_seal: bytes = field(repr=False)
    totp_seal: bytes = field(repr=False)
    recovery: bytes = field(repr=False)
    session: bytes = field(repr=False)
    address: bytes = field(repr=False)
    reset: bytes = field(repr=False)
    pepper: Pepper | None = None
    previous_peppers: tuple[Pepper, ...] = ()

    @classmethod
    def derive(
        cls,
        derived: DerivedKeys,
        *,
        pepper_key_id: str | None = None,
        previous_pepper_key_ids: Sequence[str] = (),
    ) -> AuthKeys:
        """Derive every auth key from the root secret (HKDF labels ``auth/.../v1``)."""

        def pepper(key_id: str) -> Pepper:
            return Pepper(key_id, derived.derive(f"auth/pepper/{key_id}"))

        return cls(
            login_ref=derived.derive("auth/login-ref/v1"),
            login_seal=derived.derive("auth/login-seal/v1"),
            totp_seal=derived.derive("auth/totp/v1"),
            recovery=derived.derive("auth/recovery/v1"),
            session=derived.derive("auth/session/v1"),
            address=derived.derive("auth/address/v1"),
            reset=derived.derive("auth/reset/v1"),
            pepper=pepper(pepper_key_id) if pepper_key_id else None,
            previous_peppers=tuple(pepper(key_id) for key_id in previous_pepper_key_ids),
        )

    def login_ref_of(self, kind: str, normalised_login: str) -> bytes:
        """The lookup key of a login name within an account kind."""
        message = f"{kind}\x00{normalised_login}".encode()
        return hmac.new(self.login_ref, message, hashlib.sha256).digest()

    def address_ref_of(self, address: str) -> bytes:
        """The keyed hash naming a client address (addresses are personal data)."""
        return hmac.new(self.address, address.encode("utf-8", "replace"), hashlib.sha256).digest()

    def token_hash_of(self, token: str) -> bytes:
        """What is stored of a session token."""
        return hmac.new(self.session, token.encode("utf-8", "replace"), hashlib.sha256).digest()

    def email_code_hash_of(self, code: str) -> bytes:
        """What is stored of an e-mail change confirmation code (its own HMAC domain)."""
        message = b"email-change\x00" + code.encode("utf-8", "replace")
        return hmac.new(self.reset, message, hashlib.sha256).digest()

    def seal_login(self, account_id: str, login: str) -> bytes:
        """Encrypt a login name for one account."""
        return _seal(self.login_seal, login.encode(), _aad("login", account_id))

    def open_login(self, account_id: str, sealed: bytes) -> str:
        """Decrypt a login name; IntegrityViolation if tampered or moved."""
        return _open(self.login_seal, sealed, _aad("login", account_id)).decode()

    def seal_outbox(self, part: str, text: str) -> bytes:
        """Encrypt part of an outbox message ("recipient" or "body"); bound to no account,
        since a message outlives its account."""
        return _seal(self.login_seal, text.encode(), _aad(f"outbox-{part}", ""))

    def open_outbox(self, part: str, sealed: bytes) -> str:
        """Decrypt part of an outbox message."""
        return _open(self.login_seal, sealed, _aad(f"outbox-{part}", "")).decode()

    def seal_totp(self, account_id: str, secret: str) -> bytes:
        """Encrypt a TOTP secret for one account."""
        return _seal(self.totp_seal, secret.encode("ascii"), _aad("totp", account_id))

    def open_totp(self, account_id: str, sealed: bytes) -> str:
        """Decrypt a TOTP secret; IntegrityViolation if tampered or moved."""
        return _open(self.totp_seal, sealed, _aad("totp", account_id)).decode("ascii")


def _aad(purpose: str, account_id: str) -> bytes:
    return f"privault/auth/{purpose}/v1\x00{account_id}".encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _VERSION:
        raise IntegrityViolation("sealed auth value is malformed", code="auth_seal_malformed")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise IntegrityViolation(
            "sealed auth value does not open (tampered, moved or wrong key)",
            code="auth_seal_invalid",
        ) from None
