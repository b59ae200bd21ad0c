"""Signed checkpoints: an Ed25519 signature over the audit log's size and root at a moment.

The text form follows the spirit of the C2SP ``tlog-checkpoint`` signed note (not byte-compatible)::

    <origin>
    <tree size, ASCII decimal, no leading zeros>
    <root hash, standard base64 with padding>
    <timestamp, YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, always six fraction digits)>
    <empty line>
    — <key id, 16 lowercase hex digits> <signature, standard base64 with padding>

Every line ends with a newline. The signature is Ed25519 over ``SIGNING_CONTEXT`` followed by the
first four lines (the *body*, newlines included), so a checkpoint signature can never be replayed
as a signature over another kind of privault document made with the same key. The key id is the
first 8 bytes of SHA-256 of the raw 32-byte public key, in hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from privault.errors import InvalidInput

__all__ = [
    "SIGNING_CONTEXT",
    "Checkpoint",
    "CheckpointSigner",
    "generate_signing_key",
    "key_id_for",
    "load_private_key_pem",
    "load_public_key_pem",
    "private_key_to_pem",
    "public_key_to_pem",
    "verify_checkpoint",
]

SIGNING_CONTEXT = b"privault audit checkpoint v1\n"
_SIGNATURE_PREFIX = "\u2014 "  # em dash and space, as in signed notes
_ROOT_SIZE = 32
_SIGNATURE_SIZE = 64
_MAX_ORIGIN = 255
_MAX_SIZE = 2**64 - 1
# Generous upper bound on the text of one checkpoint; anything longer is refused unread.
_MAX_TEXT = 2048
_JSON_KEYS = frozenset({"origin", "tree_size", "root_hash", "timestamp", "key_id", "signature"})

_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_KEY_ID_RE = re.compile(r"[0-9a-f]{16}")
_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z"
)


def _invalid(message: str, code: str, **context: Any) -> InvalidInput:
    return InvalidInput(message, code=code, **context)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, *, size: int, field: str) -> bytes:
    """Strict standard base64 of exactly ``size`` bytes, in its one canonical spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _invalid(f"{field} is not base64", "bad_checkpoint", field=field) from None
    # Re-encoding rejects the non-canonical spellings (stray padding bits) that decode the same.
    if len(raw) != size or _b64encode(raw) != text:
        raise _invalid(f"{field} has the wrong length or encoding", "bad_checkpoint", field=field)
    return raw


def _format_timestamp(ts: datetime) -> str:
    # Formatted by hand: strftime("%Y") does not zero-pad years below 1000 on every platform.
    return (
        f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T"
        f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}.{ts.microsecond:06d}Z"
    )


def _parse_timestamp(text: str) -> datetime:
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise _invalid("timestamp is malformed", "bad_checkpoint", field="timestamp")
    try:
        year, month, day, hour, minute, second, micro = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        raise _invalid(
            "timestamp is not a real date", "bad_checkpoint", field="timestamp"
        ) from None


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """Key id of an Ed25519 public key: first 8 bytes of SHA-256 of its raw bytes, in hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the audit log had ``tree_size`` leaves and root ``root_hash``."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: datetime
    key_id: str
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not 0 < len(self.origin) <= _MAX_ORIGIN:
            raise _invalid("origin must be 1 to 255 characters", "bad_checkpoint", field="origin")
        # Printable and untrimmed, so the origin is one unambiguous line.
        if not self.origin.isprintable() or self.origin.strip() != self.origin:
            raise _invalid(
                "origin must be printable without surrounding spaces",
                "bad_checkpoint",
                field="origin",
            )
        if isinstance(self.tree_size, bool) or not isinstance(self.tree_size, int):
            raise _invalid("tree_size must be an integer", "bad_checkpoint", field="tree_size")
        if not 0 <= self.tree_size <= _MAX_SIZE:
            raise _invalid("tree_size is out of range", "bad_checkpoint", field="tree_size")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _ROOT_SIZE:
            raise _invalid("root_hash must be 32 bytes", "bad_checkpoint", field="root_hash")
        if not isinstance(self.timestamp, datetime) or self.timestamp.utcoffset() is None:
            raise _invalid(
                "timestamp must be a timezone-aware datetime", "bad_checkpoint", field="timestamp"
            )
        if self.timestamp.utcoffset() != timedelta(0):
            try:
                object.__setattr__(self, "timestamp", self.timestamp.astimezone(UTC))
            except OverflowError:
                raise _invalid(
                    "timestamp is out of range in UTC", "bad_checkpoint", field="timestamp"
                ) from None
        if not isinstance(self.key_id, str) or _KEY_ID_RE.fullmatch(self.key_id) is None:
            raise _invalid(
                "key_id must be 16 lowercase hex digits", "bad_checkpoint", field="key_id"
            )
        if not isinstance(self.signature, bytes) or len(self.signature) != _SIGNATURE_SIZE:
            raise _invalid("signature must be 64 bytes", "bad_checkpoint", field="signature")

    def body(self) -> str:
        """The signed lines: origin, tree size, base64 root hash, timestamp, each ending in \\n."""
        return _body(self.origin, self.tree_size, self.root_hash, self.timestamp)

    def to_text(self) -> str:
        """The checkpoint as text: the body, an empty line, and the signature line."""
        return f"{self.body()}\n{_SIGNATURE_PREFIX}{self.key_id} {_b64encode(self.signature)}\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse the text form strictly; raise InvalidInput on anything else."""
        if not isinstance(text, str):
            raise _invalid("checkpoint text must be a string", "bad_checkpoint")
        if len(text) > _MAX_TEXT:
            raise _invalid("checkpoint text is too long", "bad_checkpoint")
        lines = text.split("\n")
        if len(lines) != 7 or lines[4] != "" or lines[6] != "":
            raise _invalid("checkpoint text must have exactly six lines", "bad_checkpoint")
        origin, size_line, root_line, time_line, _, signature_line, _ = lines
        if _SIZE_RE.fullmatch(size_line) is None:
            raise _invalid("tree size is malformed", "bad_checkpoint", field="tree_size")
        root = _b64decode(root_line, size=_ROOT_SIZE, field="root_hash")
        timestamp = _parse_timestamp(time_line)
        if not signature_line.startswith(_SIGNATURE_PREFIX):
            raise _invalid("signature line is malformed", "bad_checkpoint", field="signature")
        parts = signature_line[len(_SIGNATURE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise _invalid("signature line is malformed", "bad_checkpoint", field="signature")
        key_id, signature_b64 = parts
        signature = _b64decode(signature_b64, size=_SIGNATURE_SIZE, field="signature")
        return cls(
            origin=origin,
            tree_size=int(size_line),
            root_hash=root,
            timestamp=timestamp,
            key_id=key_id,
            signature=signature,
        )

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: bytes as standard base64, the timestamp in the text format."""
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": _b64encode(self.root_hash),
            "timestamp": _format_timestamp(self.timestamp),
            "key_id": self.key_id,
            "signature": _b64encode(self.signature),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Rebuild from :meth:`to_json_dict` output; raise InvalidInput on anything else."""
        if not isinstance(data, dict) or set(data) != _JSON_KEYS:
            raise _invalid(
                "checkpoint JSON must have exactly the checkpoint fields", "bad_checkpoint"
            )
        for name in ("root_hash", "timestamp", "signature"):
            if not isinstance(data[name], str):
                raise _invalid(f"{name} must be a string", "bad_checkpoint", field=name)
        return cls(
            origin=data["origin"],
            tree_size=data["tree_size"],
            root_hash=_b64decode(data["root_hash"], size=_ROOT_SIZE, field="root_hash"),
            timestamp=_parse_timestamp(data["timestamp"]),
            key_id=data["key_id"],
            signature=_b64decode(data["signature"], size=_SIGNATURE_SIZE, field="signature"),
        )


def _body(origin: str, tree_size: int, root_hash: bytes, timestamp: datetime) -> str:
    return f"{origin}\n{tree_size}\n{_b64encode(root_hash)}\n{_format_timestamp(timestamp)}\n"


def _signed_message(body: str) -> bytes:
    return SIGNING_CONTEXT + body.encode("utf-8")


class CheckpointSigner:
    """Signs checkpoints with one Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        if not isinstance(private_key, Ed25519PrivateKey):
            raise _invalid("checkpoints are signed with an Ed25519 key", "bad_signing_key")
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_for(self.public_key)

    def sign(
        self, origin: str, tree_size: int, root_hash: bytes, timestamp: datetime
    ) -> Checkpoint:
        """Sign the log's size and root at ``timestamp`` (timezone-aware; stored in UTC)."""
        # Validate every field (through the dataclass) before anything is signed.
        draft = Checkpoint(
            origin=origin,
            tree_size=tree_size,
            root_hash=root_hash,
            timestamp=timestamp,
            key_id=self.key_id,
            signature=bytes(_SIGNATURE_SIZE),
        )
        signature = self._private_key.sign(_signed_message(draft.body()))
        return replace(draft, signature=signature)


def verify_checkpoint(cp: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """True when ``cp`` was signed by ``public_key``; False for anything else, never raising."""
    if not isinstance(cp, Checkpoint) or not isinstance(public_key, Ed25519PublicKey):
        return False
    try:
        if cp.key_id != key_id_for(public_key):
            return False
        public_key.verify(cp.signature, _signed_message(cp.body()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def generate_signing_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key for signing checkpoints."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM of the key, encrypted with the best available scheme when given a passphrase."""
    if not isinstance(key, Ed25519PrivateKey):
        raise _invalid("expected an Ed25519 private key", "bad_signing_key")
    encryption: serialization.KeySerializationEncryption
    if passphrase is None:
        encryption = serialization.NoEncryption()
    elif not isinstance(passphrase, bytes) or not passphrase:
        raise _invalid("passphrase must be non-empty bytes or None", "bad_passphrase")
    else:
        encryption = serialization.BestAvailableEncryption(passphrase)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key_pem(data: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM; wrong passphrase or bad data raise InvalidInput."""
    if not isinstance(data, bytes):
        raise _invalid("key PEM must be bytes", "bad_signing_key")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        # cryptography raises TypeError when a passphrase is missing or not expected.
        raise _invalid(
            "the key's encryption does not match the passphrase given", "bad_passphrase"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        # Malformed PEM and a wrong passphrase are indistinguishable here by design.
        raise _invalid(
            "the key PEM is malformed or the passphrase is wrong", "bad_signing_key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _invalid("the key is not an Ed25519 key", "bad_signing_key")
    return key


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of an Ed25519 public key."""
    if not isinstance(key, Ed25519PublicKey):
        raise _invalid("expected an Ed25519 public key", "bad_public_key")
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM; bad data or another key type raise InvalidInput."""
    if not isinstance(data, bytes):
        raise _invalid("key PEM must be bytes", "bad_public_key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _invalid("the public key PEM is malformed", "bad_public_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _invalid("the key is not an Ed25519 key", "bad_public_key")
    return key
