"""The tests' software authenticator against py_webauthn alone (no database, no service)."""

from __future__ import annotations

import pytest
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.exceptions import InvalidAuthenticationResponse

from .softkey import ORIGIN, RP_ID, SoftKey, b64url


class TestSoftKey:
    """The tests' software authenticator produces what py_webauthn accepts, and no more."""

    def test_registration_and_assertion_verify(self) -> None:
        """A 'none' attestation and an ES256 assertion pass the library's own checks."""
        key = SoftKey()
        challenge = b"c" * 32
        registered = verify_registration_response(
            credential=key.register({"challenge": b64url(challenge), "rp": {"id": RP_ID}}),
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
        )
        assert registered.credential_id == key.credential_id
        verified = verify_authentication_response(
            credential=key.authenticate({"challenge": b64url(challenge), "rpId": RP_ID}),
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
            credential_public_key=registered.credential_public_key,
            credential_current_sign_count=0,
        )
        assert verified.new_sign_count == 1

    def test_another_keys_signature_fails(self) -> None:
        """A signature by a different private key does not verify against the stored one."""
        key = SoftKey()
        challenge = b"d" * 32
        registered = verify_registration_response(
            credential=key.register({"challenge": b64url(challenge), "rp": {"id": RP_ID}}),
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=ORIGIN,
        )
        forger = SoftKey(credential_id=key.credential_id)
        with pytest.raises(InvalidAuthenticationResponse):
            verify_authentication_response(
                credential=forger.authenticate({"challenge": b64url(challenge), "rpId": RP_ID}),
                expected_challenge=challenge,
                expected_rp_id=RP_ID,
                expected_origin=ORIGIN,
                credential_public_key=registered.credential_public_key,
                credential_current_sign_count=0,
            )
