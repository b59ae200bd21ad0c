"""Signed checkpoints: signing, verification, text and JSON forms, and key helpers."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import re
import types
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

import privault.audit
from privault.audit.checkpoint import (
    SIGNING_CONTEXT,
    Checkpoint,
    CheckpointSigner,
    generate_signing_key,
    key_id_for,
    load_private_key_pem,
    load_public_key_pem,
    private_key_to_pem,
    public_key_to_pem,
    verify_checkpoint,
)
from privault.audit.merkle import root_hash
from privault.errors import InvalidInput

ORIGIN = "shop.example/privault-audit"
ROOT = root_hash([b"event-1", b"event-2", b"event-3"])
WHEN = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)

# Deterministic keys, so failures reproduce.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def _signed(**overrides: Any) -> Checkpoint:
    fields: dict[str, Any] = {
        "origin": ORIGIN,
        "tree_size": 3,
        "root_hash": ROOT,
        "timestamp": WHEN,
    }
    fields.update(overrides)
    return CheckpointSigner(KEY).sign(**fields)


class TestSigning:
    """A signer produces checkpoints that verify under its public key only."""

    def test_signed_checkpoint_verifies(self) -> None:
        """A freshly signed checkpoint verifies with the signer's public key."""
        assert verify_checkpoint(_signed(), KEY.public_key())

    def test_signature_covers_context_and_body(self) -> None:
        """The signature is Ed25519 over the context string followed by the text body."""
        cp = _signed()
        KEY.public_key().verify(cp.signature, SIGNING_CONTEXT + cp.body().encode())

    def test_key_id_is_truncated_sha256_of_raw_public_key(self) -> None:
        """The key id is the first 8 bytes of SHA-256 of the raw public key, in hex."""
        raw = KEY.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert _signed().key_id == key_id_for(KEY.public_key())
        assert _signed().key_id == hashlib.sha256(raw).hexdigest()[:16]

    def test_different_key_fails(self) -> None:
        """Another key's public key does not verify the checkpoint."""
        assert not verify_checkpoint(_signed(), OTHER_KEY.public_key())

    def test_other_key_with_forged_key_id_fails(self) -> None:
        """Relabelling a checkpoint with another key's id does not make it verify."""
        forged = dataclasses.replace(_signed(), key_id=key_id_for(OTHER_KEY.public_key()))
        assert not verify_checkpoint(forged, OTHER_KEY.public_key())

    @pytest.mark.parametrize(
        "change",
        [
            {"origin": "shop.example/other-log"},
            {"tree_size": 4},
            {"tree_size": 2},
            {"root_hash": root_hash([b"event-1"])},
            {"timestamp": WHEN + timedelta(microseconds=1)},
            {"key_id": "0123456789abcdef"},
            {"signature": bytes(64)},
        ],
        ids=lambda change: next(iter(change)),
    )
    def test_any_changed_field_fails(self, change: dict[str, Any]) -> None:
        """Changing any one field of a signed checkpoint breaks verification."""
        assert not verify_checkpoint(dataclasses.replace(_signed(), **change), KEY.public_key())

    def test_flipped_signature_bit_fails(self) -> None:
        """A single flipped bit in the signature breaks verification."""
        cp = _signed()
        flipped = bytes([cp.signature[0] ^ 1]) + cp.signature[1:]
        assert not verify_checkpoint(dataclasses.replace(cp, signature=flipped), KEY.public_key())

    @pytest.mark.parametrize("garbage", [None, "text", b"x" * 32, 42])
    def test_verify_never_raises_on_garbage(self, garbage: object) -> None:
        """Non-checkpoints and non-keys verify as False, without raising."""
        assert not verify_checkpoint(garbage, KEY.public_key())  # type: ignore[arg-type]
        assert not verify_checkpoint(_signed(), garbage)  # type: ignore[arg-type]

    def test_non_utc_timestamp_is_stored_in_utc(self) -> None:
        """A timezone-aware timestamp in another zone is normalised to UTC before signing."""
        cp = _signed(timestamp=WHEN.astimezone(timezone(timedelta(hours=5, minutes=30))))
        assert cp.timestamp == WHEN
        assert cp.timestamp.utcoffset() == timedelta(0)
        assert verify_checkpoint(cp, KEY.public_key())

    def test_signer_refuses_non_ed25519_key(self) -> None:
        """Only Ed25519 keys sign checkpoints."""
        with pytest.raises(InvalidInput):
            CheckpointSigner(generate_private_key(SECP256R1()))  # type: ignore[arg-type]


class TestCheckpointFields:
    """A checkpoint refuses fields that cannot be written as one unambiguous text."""

    @pytest.mark.parametrize(
        "change",
        [
            {"origin": ""},
            {"origin": "two\nlines"},
            {"origin": " padded"},
            {"origin": "x" * 256},
            {"tree_size": -1},
            {"tree_size": 2**64},
            {"tree_size": True},
            {"root_hash": b"short"},
            {"timestamp": datetime(2025, 1, 1)},  # naive on purpose
            {"timestamp": "2025-01-01T00:00:00Z"},
        ],
        ids=repr,
    )
    def test_sign_rejects_bad_fields(self, change: dict[str, Any]) -> None:
        """Malformed origin, size, root or timestamp raise InvalidInput before signing."""
        with pytest.raises(InvalidInput):
            _signed(**change)

    @pytest.mark.parametrize(
        "change", [{"key_id": "ABCDEF0123456789"}, {"key_id": "abc"}, {"signature": b"x" * 63}]
    )
    def test_checkpoint_rejects_bad_key_id_or_signature(self, change: dict[str, Any]) -> None:
        """A key id that is not 16 lowercase hex digits or a signature not 64 bytes is refused."""
        with pytest.raises(InvalidInput):
            dataclasses.replace(_signed(), **change)

    def test_timestamp_overflowing_in_utc_is_refused(self) -> None:
        """A timestamp that has no UTC equivalent in range raises InvalidInput."""
        early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
        with pytest.raises(InvalidInput):
            _signed(timestamp=early)


class TestTextForm:
    """The text form is exact, documented and round-trips."""

    def test_text_layout(self) -> None:
        """The text is origin, size, base64 root, timestamp, empty line, signature line."""
        cp = _signed()
        expected = (
            f"{ORIGIN}\n3\n{base64.b64encode(ROOT).decode()}\n2025-03-14T15:09:26.535897Z\n\n"
            f"\u2014 {cp.key_id} {base64.b64encode(cp.signature).decode()}\n"
        )
        assert cp.to_text() == expected

    def test_round_trip_keeps_signature_valid(self) -> None:
        """A parsed checkpoint equals the original and still verifies."""
        cp = _signed()
        parsed = Checkpoint.from_text(cp.to_text())
        assert parsed == cp
        assert verify_checkpoint(parsed, KEY.public_key())

    @given(
        origin=st.text(min_size=1, max_size=60).filter(
            lambda s: s.isprintable() and s.strip() == s
        ),
        tree_size=st.integers(0, 2**64 - 1),
        root=st.binary(min_size=32, max_size=32),
        timestamp=st.datetimes(timezones=st.just(UTC)),
        signature=st.binary(min_size=64, max_size=64),
        key_id=st.binary(min_size=8, max_size=8).map(bytes.hex),
    )
    def test_text_round_trip_property(
        self,
        origin: str,
        tree_size: int,
        root: bytes,
        timestamp: datetime,
        signature: bytes,
        key_id: str,
    ) -> None:
        """Any valid checkpoint survives to_text then from_text unchanged, and JSON likewise."""
        cp = Checkpoint(
            origin=origin,
            tree_size=tree_size,
            root_hash=root,
            timestamp=timestamp,
            key_id=key_id,
            signature=signature,
        )
        assert Checkpoint.from_text(cp.to_text()) == cp
        assert Checkpoint.from_json_dict(cp.to_json_dict()) == cp

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda t: "",
            lambda t: "garbage",
            lambda t: t.rstrip("\n"),
            lambda t: t + "\n",
            lambda t: t.replace("\n\n", "\n"),
            lambda t: t.replace("\n3\n", "\n03\n"),
            lambda t: t.replace("\n3\n", "\n-3\n"),
            lambda t: t.replace("\n3\n", "\n+3\n"),
            lambda t: t.replace("\n3\n", "\n3 \n"),
            lambda t: t.replace("\n3\n", "\n\u0663\n"),  # Arabic-Indic digit three
            lambda t: t.replace("\n3\n", "\n99999999999999999999\n"),
            lambda t: t.replace("Z\n", "+00:00\n"),
            lambda t: t.replace("2025-03-14", "2025-02-30"),
            lambda t: t.replace(".535897Z", "Z"),
            lambda t: t.replace("\u2014 ", "- "),
            lambda t: t.replace("\u2014 ", "\u2014  "),
            lambda t: t.replace("=\n", "\n", 1),
            lambda t: t.replace(base64.b64encode(ROOT).decode(), "!" * 44),
            lambda t: t.replace(base64.b64encode(ROOT).decode(), base64.b64encode(b"x").decode()),
            lambda t: t + "\u2014 other AAAA\n",
            lambda t: t.replace("\n\n", "\nextension\n\n"),
            lambda t: t.replace(ORIGIN, "bad\x00origin"),
            lambda t: t + "x" * 4096,
        ],
    )
    def test_malformed_text_raises_invalid_input(self, mutate: Any) -> None:
        """Every malformed text raises InvalidInput, nothing else."""
        with pytest.raises(InvalidInput):
            Checkpoint.from_text(mutate(_signed().to_text()))

    def test_non_canonical_base64_is_refused(self) -> None:
        """A root hash spelled with non-zero padding bits is refused, though it decodes."""
        text = _signed().to_text()
        encoded = base64.b64encode(ROOT).decode()
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        # The last character before "=" carries 2 unused bits; setting one keeps the bytes.
        last = encoded[-2]
        sloppy = encoded[:-2] + alphabet[alphabet.index(last) | 1] + "="
        assert base64.b64decode(sloppy) == ROOT
        assert sloppy != encoded
        with pytest.raises(InvalidInput):
            Checkpoint.from_text(text.replace(encoded, sloppy))

    @given(st.text(max_size=300))
    def test_arbitrary_text_raises_only_invalid_input(self, text: str) -> None:
        """Random text either parses or raises InvalidInput; no other exception escapes."""
        with contextlib.suppress(InvalidInput):
            Checkpoint.from_text(text)

    @given(position=st.integers(0, 10_000), replacement=st.characters())
    def test_any_edited_character_fails_to_parse_or_to_verify(
        self, position: int, replacement: str
    ) -> None:
        """Replacing one character of a signed text never yields a verifying checkpoint."""
        text = _signed().to_text()
        position %= len(text)
        if text[position] == replacement:
            return
        edited = text[:position] + replacement + text[position + 1 :]
        try:
            parsed = Checkpoint.from_text(edited)
        except InvalidInput:
            return
        assert not verify_checkpoint(parsed, KEY.public_key())

    def test_non_string_raises_invalid_input(self) -> None:
        """Bytes or None instead of text raise InvalidInput."""
        with pytest.raises(InvalidInput):
            Checkpoint.from_text(_signed().to_text().encode())  # type: ignore[arg-type]


class TestJsonForm:
    """The JSON form carries the same fields and rejects anything else."""

    def test_json_dict_round_trip(self) -> None:
        """to_json_dict then from_json_dict gives back the same, still verifying, checkpoint."""
        cp = _signed()
        data = cp.to_json_dict()
        assert data["root_hash"] == base64.b64encode(ROOT).decode()
        assert data["timestamp"] == "2025-03-14T15:09:26.535897Z"
        back = Checkpoint.from_json_dict(data)
        assert back == cp
        assert verify_checkpoint(back, KEY.public_key())

    @pytest.mark.parametrize(
        "change",
        [
            {"extra": 1},
            {"tree_size": "3"},
            {"tree_size": 3.0},
            {"root_hash": 123},
            {"root_hash": "not base64"},
            {"signature": None},
            {"timestamp": "yesterday"},
            {"origin": ["list"]},
        ],
        ids=repr,
    )
    def test_bad_json_dict_raises_invalid_input(self, change: dict[str, Any]) -> None:
        """Wrong types, bad encodings or unknown keys raise InvalidInput."""
        data = {**_signed().to_json_dict(), **change}
        with pytest.raises(InvalidInput):
            Checkpoint.from_json_dict(data)

    def test_missing_field_raises_invalid_input(self) -> None:
        """A JSON dict missing a field raises InvalidInput."""
        data = _signed().to_json_dict()
        del data["signature"]
        with pytest.raises(InvalidInput):
            Checkpoint.from_json_dict(data)


class TestKeyHelpers:
    """Keys go to and from PEM, with privault errors for bad input."""

    def test_generated_keys_are_distinct_ed25519_keys(self) -> None:
        """generate_signing_key returns a fresh Ed25519 key each time."""
        first, second = generate_signing_key(), generate_signing_key()
        assert isinstance(first, Ed25519PrivateKey)
        assert key_id_for(first.public_key()) != key_id_for(second.public_key())

    @pytest.mark.parametrize("passphrase", [None, b"correct horse battery staple"])
    def test_private_key_pem_round_trip(self, passphrase: bytes | None) -> None:
        """A private key saved to PEM loads back and signs verifiable checkpoints."""
        pem = private_key_to_pem(KEY, passphrase)
        assert (b"ENCRYPTED" in pem) == (passphrase is not None)
        loaded = load_private_key_pem(pem, passphrase)
        cp = CheckpointSigner(loaded).sign(ORIGIN, 3, ROOT, WHEN)
        assert verify_checkpoint(cp, KEY.public_key())

    def test_wrong_passphrase_raises_invalid_input(self) -> None:
        """Loading an encrypted key with the wrong passphrase raises InvalidInput."""
        pem = private_key_to_pem(KEY, b"right")
        with pytest.raises(InvalidInput):
            load_private_key_pem(pem, b"wrong")

    @pytest.mark.parametrize(("saved", "given"), [(b"secret", None), (None, b"secret")])
    def test_passphrase_mismatch_raises_invalid_input(
        self, saved: bytes | None, given: bytes | None
    ) -> None:
        """A missing or unexpected passphrase raises InvalidInput."""
        with pytest.raises(InvalidInput):
            load_private_key_pem(private_key_to_pem(KEY, saved), given)

    def test_empty_passphrase_is_refused(self) -> None:
        """An empty passphrase is refused rather than silently meaning no encryption."""
        with pytest.raises(InvalidInput):
            private_key_to_pem(KEY, b"")

    def test_public_key_pem_round_trip(self) -> None:
        """A public key saved to PEM loads back and verifies checkpoints."""
        loaded = load_public_key_pem(public_key_to_pem(KEY.public_key()))
        assert verify_checkpoint(_signed(), loaded)

    @pytest.mark.parametrize(
        "data", [b"", b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]
    )
    def test_garbage_private_pem_raises_invalid_input(self, data: bytes) -> None:
        """Garbage private-key PEM raises InvalidInput."""
        with pytest.raises(InvalidInput):
            load_private_key_pem(data, None)

    @pytest.mark.parametrize("data", [b"", b"garbage", "text"])
    def test_garbage_public_pem_raises_invalid_input(self, data: bytes) -> None:
        """Garbage public-key PEM raises InvalidInput."""
        with pytest.raises(InvalidInput):
            load_public_key_pem(data)

    def test_non_ed25519_keys_are_refused(self) -> None:
        """PEM holding an EC key is refused by both loaders."""
        ec_key = generate_private_key(SECP256R1())
        private_pem = ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with pytest.raises(InvalidInput):
            load_private_key_pem(private_pem, None)
        with pytest.raises(InvalidInput):
            load_public_key_pem(public_pem)


def test_documented_example_parses_and_verifies() -> None:
    """The example checkpoint in docs/audit-log.md is exactly what the test key signs."""
    doc = (Path(__file__).parents[3] / "docs" / "audit-log.md").read_text(encoding="utf-8")
    match = re.search(r"```text\n(.*?)```", doc, re.DOTALL)
    assert match is not None
    cp = Checkpoint.from_text(match.group(1))
    assert verify_checkpoint(cp, KEY.public_key())
    assert cp == _signed()


def test_package_exports_exactly_its_public_names() -> None:
    """privault.audit.__all__ lists exactly the public names the package defines."""
    public = {
        name
        for name, value in vars(privault.audit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    public -= {"annotations"}
    assert set(privault.audit.__all__) == public
