"""Tokens and lookup digests of a record's fields, as the data map asks. Pure: no session.

For each field: the token the shop keeps (pointer token for the ``random`` kind; a card token
or a deterministic token for the other kinds), and the digests stored to find records without
decrypting: blind-index digests of ``searchable`` fields, deterministic-token bodies and card
tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from privault.crypto import BlindIndexer, DerivedKeys, normalise
from privault.datamap import DataMap, TokenKind
from privault.errors import InvalidInput
from privault.vault.pointers import PointerTarget, PointerTokenizer
from privault.vault.tokens import DeterministicTokenizer, new_card_token

_DTOKEN_BYTES = 20
_INTERNATIONAL = re.compile(r"\+[0-9][0-9 .\-()/]{6,30}")
_NOT_DIGITS = str.maketrans("", "", " .-()/")

SEARCH = "search"
DTOKEN = "dtoken"
CARD = "card"


@dataclass(frozen=True)
class FieldPlan:
    """What the data map says about one field, resolved once."""

    name: str
    type: str
    token: TokenKind
    searchable: bool


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").lower()


def dtoken_digest(token: str) -> bytes:
    """The stored digest of a deterministic token (its base32 body, decoded)."""
    body = token.rsplit("_d_", 1)[-1]
    return base64.b32decode(body.upper() + "=" * (-len(body) % 8))


def _international_e164(value: str) -> str | None:
    """E.164 of a number written ``+<country><number>`` with separators, else None."""
    text = value.strip()
    if "(0" in text or not _INTERNATIONAL.fullmatch(text):
        return None
    digits = text[1:].translate(_NOT_DIGITS)
    return "+" + digits if 8 <= len(digits) <= 15 and digits.isdigit() else None


class Lookups:
    """Makes tokens and lookup digests with keys derived from the root secret."""

    def __init__(self, datamap: DataMap, derived: DerivedKeys) -> None:
        self.pointers = PointerTokenizer(derived.derive("token/pointer/v1", length=64))
        self._deterministic = DeterministicTokenizer(derived.derive("token/deterministic/v1"))
        self._blind = BlindIndexer(derived.derive("blind-index/v1"))
        self._unstored = derived.derive("token/unstored/v1")
        self.plans: dict[str, dict[str, FieldPlan]] = {
            name: {
                field: FieldPlan(field, str(spec.type), spec.token, spec.searchable)
                for field, spec in collection.fields.items()
            }
            for name, collection in datamap.collections.items()
        }

    def canonical(self, field_type: str, value: str) -> str:
        """The normalised form a value is indexed and tokenised by.

        Phone numbers written in international form (``+`` then digits and separators, no
        ``(0)``) are brought to E.164 directly, which is what ``phonenumbers`` gives for them;
        every other phone number goes through ``phonenumbers`` (about 30 us each). A value the
        type's normaliser cannot parse (a national phone number without a country, say) is
        indexed as its letters and digits, the same way when searched.
        """
        if field_type == "phone":
            fast = _international_e164(value)
            if fast is not None:
                return fast
        try:
            return normalise(field_type, value)
        except InvalidInput:
            return "".join(ch for ch in normalise("text", value).casefold() if ch.isalnum())

    def search_digest(self, collection: str, field: str, field_type: str, value: str) -> bytes:
        """The blind-index digest of a value (the same for storing and for searching)."""
        key = self._blind.field_key(collection=collection, field=field)
        canonical = self.canonical(field_type, value)
        return hmac.new(key, canonical.encode(), hashlib.sha256).digest()

    def for_record(
        self, *, region: str, collection: str, record_id: str, values: Mapping[str, str]
    ) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
        """Stored tokens (card, deterministic) and lookup rows (kind, field, digest)."""
        plans = self.plans[collection]
        stored: dict[str, str] = {}
        rows: list[tuple[str, str, bytes]] = []
        for name, value in values.items():
            plan = plans[name]
            kind = plan.token
            if kind is TokenKind.CARD:
                token = new_card_token(value)
                stored[name] = token
                rows.append((CARD, name, token.encode()))
            if kind is not TokenKind.DETERMINISTIC and not plan.searchable:
                continue
            canonical = self.canonical(plan.type, value).encode()
            if kind is TokenKind.DETERMINISTIC:
                token, mac = self._dtoken(region, collection, name, canonical)
                stored[name] = token
                rows.append((DTOKEN, name, mac))
            if plan.searchable:
                key = self._blind.field_key(collection=collection, field=name)
                rows.append((SEARCH, name, hmac.new(key, canonical, hashlib.sha256).digest()))
        return stored, rows

    def _dtoken(
        self, region: str, collection: str, field: str, canonical: bytes
    ) -> tuple[str, bytes]:
        """The deterministic token of a normalised value, and the digest stored for it."""
        key = self._deterministic.key(region, collection, field)
        mac = hmac.new(key, canonical, hashlib.sha256).digest()[:_DTOKEN_BYTES]
        return f"tok_{region}_d_{_b32(mac)}", mac

    def value_token(self, *, region: str, field_type: str, value: str) -> str:
        """A token for a value found outside the vault (leak redaction), without storing it.

        When the data map has a deterministic-token field of this type, the token is the one
        that field gives the value (``tok_<region>_d_...``): a redacted log then joins with the
        shop's own tokens, and resolves through ``detokenize`` while a customer holds the value.
        Otherwise it is a keyed hash of type and value (``tok_<region>_x_...``), equal for equal
        values, that resolves to nothing.
        """
        canonical = self.canonical(field_type, value)
        for collection, plans in self.plans.items():
            for plan in plans.values():
                if plan.type == field_type and plan.token is TokenKind.DETERMINISTIC:
                    return self._dtoken(region, collection, plan.name, canonical.encode())[0]
        message = f"{region}\x1f{field_type}\x1f{canonical}".encode()
        mac = hmac.new(self._unstored, message, hashlib.sha256).digest()
        return f"tok_{region}_x_{_b32(mac[:_DTOKEN_BYTES])}"

    def tokens_of(
        self,
        *,
        region: str,
        collection: str,
        record_id: str,
        fields: Iterable[str],
        stored: Mapping[str, str],
    ) -> dict[str, str]:
        """The token of every field of a record (stored ones, else its pointer token)."""
        kept = stored
        pointer = self.pointers.token
        return {
            name: kept.get(name)
            or pointer(region=region, collection=collection, record_id=record_id, field=name)
            for name in fields
        }

    def resolve_pointer(self, token: str) -> PointerTarget | None:
        """Where a pointer token points (None for other kinds or forgeries)."""
        return self.pointers.resolve(token)
