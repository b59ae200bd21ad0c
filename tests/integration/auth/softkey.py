"""A software WebAuthn authenticator for tests: an EC P-256 key, 'none' attestation.

It builds what a browser and a security key would send: clientDataJSON, authenticatorData (RP id
hash, flags, signature counter, attested credential data) and an ES256 signature, so the server
runs the real ceremonies. Every field can be bent to test a refusal.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers.encode_cbor import encode_cbor

FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_AT = 0x40  # attested credential data included
ORIGIN = "https://shop.example"
RP_ID = "shop.example"


def b64url(data: bytes) -> str:
    """Unpadded base64url, as WebAuthn's JSON uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftKey:
    """One credential on a software authenticator."""

    sign_count: int = 0
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    # The user handle the relying party gave at registration; a passkey returns it.
    user_handle: bytes | None = None

    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key map (EC2, ES256, P-256)."""
        numbers = self.private_key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _auth_data(self, *, rp_id: str, flags: int, counter: int, attested: bool) -> bytes:
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)
        if attested:
            data += (
                bytes(16)  # AAGUID: all zero for a 'none' attestation
                + struct.pack(">H", len(self.credential_id))
                + self.credential_id
                + self.cose_public_key()
            )
        return data

    @staticmethod
    def _client_data(kind: str, challenge: bytes, origin: str) -> bytes:
        body = {
            "type": kind,
            "challenge": b64url(challenge),
            "origin": origin,
            "crossOrigin": False,
        }
        return json.dumps(body).encode()

    def register(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        challenge: bytes | None = None,
        flags: int = FLAG_UP | FLAG_AT,
    ) -> dict[str, Any]:
        """Answer registration options as ``navigator.credentials.create()`` would."""
        if "user" in options:
            self.user_handle = unb64url(options["user"]["id"])
        client_data = self._client_data(
            "webauthn.create", challenge or unb64url(options["challenge"]), origin
        )
        auth_data = self._auth_data(
            rp_id=rp_id or options["rp"]["id"], flags=flags, counter=self.sign_count, attested=True
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["usb", "nfc"],
            },
            "clientExtensionResults": {},
        }

    def authenticate(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        challenge: bytes | None = None,
        counter: int | None = None,
        flags: int = FLAG_UP,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """Answer authentication options as ``navigator.credentials.get()`` would; the counter
        rises by one unless ``counter`` is given. The user handle is sent if known (a passkey)
        or given."""
        if counter is None:
            self.sign_count += 1
            counter = self.sign_count
        client_data = self._client_data(
            "webauthn.get", challenge or unb64url(options["challenge"]), origin
        )
        auth_data = self._auth_data(
            rp_id=rp_id or options["rpId"], flags=flags, counter=counter, attested=False
        )
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        handle = user_handle if user_handle is not None else self.user_handle
        if handle is not None:
            response["userHandle"] = b64url(handle)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        }
