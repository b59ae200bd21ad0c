"""Master keysets: wrapping, versions, rotation seen by another process, retirement."""

from __future__ import annotations

from pathlib import Path

import pytest

from privault.common.clock import utcnow
from privault.crypto.keyfile import KeyProtection
from privault.crypto.keyring import MasterKeyring
from privault.crypto.ledger import ErasureLedger
from privault.errors import Conflict, IntegrityViolation, InvalidInput

AD = b"context"


@pytest.fixture
def ring(tmp_path: Path) -> MasterKeyring:
    """A keyring with regions eu and us."""
    return MasterKeyring.create(tmp_path, ["eu", "us"], KeyProtection())


class TestMasterKeyring:
    """One Tink AEAD keyset per region."""

    def test_wrap_round_trip_names_the_version(self, ring: MasterKeyring) -> None:
        """A wrapped key unwraps and names the primary version."""
        wrapped, version = ring.wrap("eu", b"k" * 32, AD)
        assert version == ring.primary_version("eu")
        assert ring.unwrap("eu", wrapped, AD) == b"k" * 32

    def test_other_region_cannot_unwrap(self, ring: MasterKeyring) -> None:
        """Regions have separate master keys."""
        wrapped, _ = ring.wrap("eu", b"k" * 32, AD)
        with pytest.raises(IntegrityViolation):
            ring.unwrap("us", wrapped, AD)

    def test_wrong_context_is_refused(self, ring: MasterKeyring) -> None:
        """The associated data binds the wrapped key to its customer."""
        wrapped, _ = ring.wrap("eu", b"k" * 32, AD)
        with pytest.raises(IntegrityViolation):
            ring.unwrap("eu", wrapped, b"other")

    def test_create_refuses_to_overwrite(self, tmp_path: Path, ring: MasterKeyring) -> None:
        """Existing key files are never overwritten."""
        with pytest.raises(Conflict, match="refusing to overwrite"):
            MasterKeyring.create(tmp_path, ["eu"], KeyProtection())

    def test_old_version_still_unwraps_after_rotation(self, ring: MasterKeyring) -> None:
        """Rotation adds a primary; older versions stay readable until retired."""
        old, old_version = ring.wrap("eu", b"k" * 32, AD)
        new_version = ring.add_version("eu")
        assert new_version != old_version
        assert ring.primary_version("eu") == new_version
        assert ring.unwrap("eu", old, AD) == b"k" * 32
        assert [v.primary for v in ring.versions("eu")] == [False, True]

    def test_another_process_sees_the_rotation(self, tmp_path: Path, ring: MasterKeyring) -> None:
        """A second keyring (another server process) unwraps keys made under the new version."""
        server = MasterKeyring(tmp_path, KeyProtection(), reload_interval_s=3600)
        server.wrap("eu", b"x" * 32, AD)  # loads and caches the keyset
        ring.add_version("eu")
        wrapped, _ = ring.wrap("eu", b"k" * 32, AD)
        assert server.unwrap("eu", wrapped, AD) == b"k" * 32

    def test_retired_version_no_longer_unwraps(self, ring: MasterKeyring) -> None:
        """Removing a version makes what it wrapped unreadable."""
        old, old_version = ring.wrap("eu", b"k" * 32, AD)
        ring.add_version("eu")
        ring.remove_version("eu", old_version)
        with pytest.raises(IntegrityViolation, match="not available"):
            ring.unwrap("eu", old, AD)

    def test_primary_cannot_be_removed(self, ring: MasterKeyring) -> None:
        """The primary version is never retired."""
        with pytest.raises(InvalidInput, match="primary"):
            ring.remove_version("eu", ring.primary_version("eu"))

    def test_tampered_wrapped_key_is_refused(self, ring: MasterKeyring) -> None:
        """A flipped byte in a wrapped key fails."""
        wrapped = bytearray(ring.wrap("eu", b"k" * 32, AD)[0])
        wrapped[-1] ^= 1
        with pytest.raises(IntegrityViolation):
            ring.unwrap("eu", bytes(wrapped), AD)

    def test_passphrase_keyring_round_trips(self, tmp_path: Path) -> None:
        """A passphrase-protected keyring works the same."""
        protection = KeyProtection(passphrase=b"s3cret passphrase")
        ring = MasterKeyring.create(tmp_path, ["eu"], protection)
        wrapped, _ = ring.wrap("eu", b"k" * 32, AD)
        reopened = MasterKeyring(tmp_path, protection)
        assert reopened.unwrap("eu", wrapped, AD) == b"k" * 32


class TestKmsProtection:
    """Key files sealed by a Tink KMS AEAD (Tink's fake KMS stands in for a cloud one)."""

    def test_kms_sealed_keyring_round_trips(self, tmp_path: Path) -> None:
        """With a KMS key URI the keyset is sealed by the KMS key."""
        import tink
        from tink import aead
        from tink.testing import fake_kms

        fake_kms.register_client()
        handle = tink.new_keyset_handle(aead.aead_key_templates.AES128_GCM)
        uri = "fake-kms://" + fake_kms_key(handle)
        protection = KeyProtection(kms_key_uri=uri)
        ring = MasterKeyring.create(tmp_path, ["eu"], protection)
        wrapped, _ = ring.wrap("eu", b"k" * 32, AD)
        assert MasterKeyring(tmp_path, protection).unwrap("eu", wrapped, AD) == b"k" * 32


def fake_kms_key(handle: object) -> str:
    """The URI-safe serialisation Tink's fake KMS expects for a keyset."""
    import base64

    import tink
    from tink import secret_key_access

    serialized = tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    return base64.urlsafe_b64encode(serialized).decode().rstrip("=")


class TestErasureLedger:
    """The ledger of destroyed customer keys."""

    def test_recorded_ids_are_erased(self, tmp_path: Path) -> None:
        """Recorded key ids are reported erased, with the customer's erasure time."""
        ledger = ErasureLedger(tmp_path / "ledger.jsonl")
        now = utcnow()
        ledger.record([("k1", "ref1")], erased_at=now)
        assert ledger.is_erased("k1")
        assert not ledger.is_erased("k2")
        assert ledger.erased_at("ref1") == now

    def test_another_process_sees_new_entries(self, tmp_path: Path) -> None:
        """A second reader sees entries appended after it loaded."""
        path = tmp_path / "ledger.jsonl"
        reader = ErasureLedger(path, reload_interval_s=0)
        assert not reader.is_erased("k1")
        ErasureLedger(path).record([("k1", "r")], erased_at=utcnow())
        assert reader.is_erased("k1")

    def test_torn_last_line_is_ignored(self, tmp_path: Path) -> None:
        """A crash mid-append leaves a torn line, which is skipped, not fatal."""
        path = tmp_path / "ledger.jsonl"
        ErasureLedger(path).record([("k1", "r")], erased_at=utcnow())
        with path.open("ab") as handle:
            handle.write(b'{"key_id": "k2", "erased')
        assert ErasureLedger(path).erased_ids() == frozenset({"k1"})

    def test_corrupt_middle_line_is_an_integrity_violation(self, tmp_path: Path) -> None:
        """A damaged complete line is reported, never silently dropped."""
        path = tmp_path / "ledger.jsonl"
        path.write_bytes(b'garbage\n{"key_id": "k1", "erased_at": "2026-01-01T00:00:00+00:00"}\n')
        with pytest.raises(IntegrityViolation, match="line 1"):
            ErasureLedger(path).erased_ids()
