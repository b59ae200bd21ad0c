"""Field encryption refuses every tampered, moved, truncated or foreign ciphertext."""

from __future__ import annotations

import pytest

from privault.crypto.envelope import FieldCipher, field_context, new_data_key, new_key_id
from privault.errors import IntegrityViolation


@pytest.fixture
def cipher() -> FieldCipher:
    """A cipher under a fresh customer key."""
    return FieldCipher(new_data_key(), new_key_id())


CONTEXT = field_context("customers", "email", "rec_1", "C-1")


class TestFieldCipher:
    """AES-256-GCM with a version/key prefix and bound context."""

    def test_round_trip(self, cipher: FieldCipher) -> None:
        """What is encrypted decrypts to the same bytes."""
        assert cipher.decrypt(cipher.encrypt(b"ada@example.com", CONTEXT), CONTEXT) == (
            b"ada@example.com"
        )

    def test_same_value_encrypts_differently(self, cipher: FieldCipher) -> None:
        """Random nonces: equal values do not give equal ciphertexts."""
        assert cipher.encrypt(b"x", CONTEXT) != cipher.encrypt(b"x", CONTEXT)

    def test_ciphertext_carries_version_and_key_prefix(self, cipher: FieldCipher) -> None:
        """The first byte is the format version, the next four name the key."""
        key_id = new_key_id()
        ciphertext = FieldCipher(new_data_key(), key_id).encrypt(b"x", CONTEXT)
        assert ciphertext[0] == 1
        assert ciphertext[1:5] == bytes.fromhex(key_id)[-4:]

    @pytest.mark.parametrize("position", [0, 3, 5, 20, -1])
    def test_flipped_byte_is_refused(self, cipher: FieldCipher, position: int) -> None:
        """Any flipped byte (prefix, nonce, body, tag) raises IntegrityViolation."""
        ciphertext = bytearray(cipher.encrypt(b"ada@example.com", CONTEXT))
        ciphertext[position] ^= 0x01
        with pytest.raises(IntegrityViolation):
            cipher.decrypt(bytes(ciphertext), CONTEXT)

    @pytest.mark.parametrize(
        "other",
        [
            field_context("customers", "name", "rec_1", "C-1"),
            field_context("customers", "email", "rec_2", "C-1"),
            field_context("customers", "email", "rec_1", "C-2"),
            field_context("orders", "email", "rec_1", "C-1"),
        ],
    )
    def test_moved_ciphertext_is_refused(self, cipher: FieldCipher, other: bytes) -> None:
        """A ciphertext copied to another field, record, customer or collection fails."""
        ciphertext = cipher.encrypt(b"ada@example.com", CONTEXT)
        with pytest.raises(IntegrityViolation, match="altered or moved"):
            cipher.decrypt(ciphertext, other)

    @pytest.mark.parametrize("length", [0, 4, 16, 32])
    def test_truncated_ciphertext_is_refused(self, cipher: FieldCipher, length: int) -> None:
        """A ciphertext cut short is refused."""
        ciphertext = cipher.encrypt(b"ada@example.com", CONTEXT)
        with pytest.raises(IntegrityViolation):
            cipher.decrypt(ciphertext[:length], CONTEXT)

    def test_wrong_version_is_refused(self, cipher: FieldCipher) -> None:
        """An unknown version byte is refused before decryption."""
        ciphertext = b"\x02" + cipher.encrypt(b"x", CONTEXT)[1:]
        with pytest.raises(IntegrityViolation, match="unknown version"):
            cipher.decrypt(ciphertext, CONTEXT)

    def test_other_customers_key_is_refused(self, cipher: FieldCipher) -> None:
        """A ciphertext under another customer's key is refused."""
        other = FieldCipher(new_data_key(), new_key_id())
        with pytest.raises(IntegrityViolation, match="another key"):
            cipher.decrypt(other.encrypt(b"x", CONTEXT), CONTEXT)

    def test_same_key_id_different_key_is_refused(self) -> None:
        """Even with the same key tag, another key fails authentication."""
        key_id = new_key_id()
        one, two = FieldCipher(new_data_key(), key_id), FieldCipher(new_data_key(), key_id)
        with pytest.raises(IntegrityViolation, match="altered or moved"):
            two.decrypt(one.encrypt(b"x", CONTEXT), CONTEXT)
