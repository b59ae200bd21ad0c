"""WebAuthn pieces that need no database: transport hints and the owner's view."""

from __future__ import annotations

from datetime import UTC, datetime

from webauthn.helpers.structs import AuthenticatorTransport

from privault.auth.models import WebAuthnCredential
from privault.auth.passkeys import descriptor_of, split_transports, view_of


def credential(transports: str) -> WebAuthnCredential:
    """An unsaved credential row."""
    return WebAuthnCredential(
        id="wak_1",
        account_id="acc_1",
        credential_id=b"\x01\x02",
        public_key=b"k",
        sign_count=0,
        transports=transports,
        aaguid="00000000-0000-0000-0000-000000000000",
        backed_up=False,
        created_at=datetime(2026, 11, 29, tzinfo=UTC),
    )


class TestTransports:
    """Transport hints are stored as one column and echoed back to the browser."""

    def test_split_ignores_empty_parts(self) -> None:
        """An empty column means no hints."""
        assert split_transports("") == []
        assert split_transports("usb,,nfc") == ["usb", "nfc"]

    def test_unknown_hint_is_left_out_of_thedescriptor_of(self) -> None:
        """A hint newer than the library does not break the login options."""
        descriptor = descriptor_of(credential("usb,quantum-link,internal"))
        assert descriptor.transports == [
            AuthenticatorTransport.USB,
            AuthenticatorTransport.INTERNAL,
        ]
        assert descriptor.id == b"\x01\x02"

    def test_view_has_no_key_material(self) -> None:
        """The owner's view carries ids, times and hints only."""
        view = view_of(credential("usb"))
        assert set(vars(view)) == {"id", "transports", "backed_up", "created_at", "last_used_at"}
