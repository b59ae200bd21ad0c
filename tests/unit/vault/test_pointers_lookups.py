"""Pointer tokens (AES-SIV) and the tokens and lookup digests computed for a record."""

from __future__ import annotations

import os

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.crypto import DerivedKeys
from privault.datamap import parse_datamap, starter_datamap_text
from privault.vault.lookups import CARD, DTOKEN, SEARCH, Lookups, _international_e164
from privault.vault.pointers import PointerTokenizer
from privault.vault.tokens import luhn_valid

RECORD = "rec_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"


@pytest.fixture
def pointers() -> PointerTokenizer:
    """A tokenizer under a fresh key."""
    return PointerTokenizer(os.urandom(64))


class TestPointerTokens:
    """Tokens that encrypt where a value lives."""

    def test_round_trip(self, pointers: PointerTokenizer) -> None:
        """A token resolves to its region, collection, record and field."""
        token = pointers.token(region="eu", collection="customers", record_id=RECORD, field="email")
        target = pointers.resolve(token)
        assert target is not None
        assert (target.region, target.collection, target.record_id, target.field) == (
            "eu", "customers", RECORD, "email",
        )  # fmt: skip
        assert token.startswith("tok_eu_")

    def test_stable_and_distinct(self, pointers: PointerTokenizer) -> None:
        """The same pointer gives the same token; another field or record another one."""
        make = pointers.token
        one = make(region="eu", collection="customers", record_id=RECORD, field="email")
        assert one == make(region="eu", collection="customers", record_id=RECORD, field="email")
        assert one != make(region="eu", collection="customers", record_id=RECORD, field="name")
        assert one != make(region="us", collection="customers", record_id=RECORD, field="email")

    def test_at_least_128_bits(self, pointers: PointerTokenizer) -> None:
        """The body carries the 128-bit SIV tag plus the sealed pointer."""
        token = pointers.token(region="eu", collection="c", record_id=RECORD, field="f")
        assert len(token.removeprefix("tok_eu_")) * 5 >= 128 + 8 * 16

    def test_other_key_cannot_resolve(self, pointers: PointerTokenizer) -> None:
        """A token made under another key does not resolve."""
        token = PointerTokenizer(os.urandom(64)).token(
            region="eu", collection="customers", record_id=RECORD, field="email"
        )
        assert pointers.resolve(token) is None

    def test_region_swap_is_refused(self, pointers: PointerTokenizer) -> None:
        """The region in the prefix is authenticated: changing it breaks the token."""
        token = pointers.token(region="eu", collection="customers", record_id=RECORD, field="f")
        assert pointers.resolve(token.replace("tok_eu_", "tok_us_")) is None

    @given(st.text(max_size=200))
    def test_garbage_never_raises(self, garbage: str) -> None:
        """Arbitrary text resolves to None, never an exception."""
        assert PointerTokenizer(b"k" * 64).resolve(garbage) is None

    def test_flipped_character_is_refused(self, pointers: PointerTokenizer) -> None:
        """Changing one character of the body makes the token invalid."""
        token = pointers.token(region="eu", collection="customers", record_id=RECORD, field="f")
        flipped = token[:-3] + ("a" if token[-3] != "a" else "b") + token[-2:]
        assert pointers.resolve(flipped) is None


@pytest.fixture
def lookups() -> Lookups:
    """Lookups for the starter data map under a fresh root secret."""
    return Lookups(parse_datamap(starter_datamap_text()), DerivedKeys(os.urandom(32)))


PERSON = {
    "email": "Ada.Lovelace@Example.com",
    "name": "Ada Lovelace",
    "phone": "+44 20 7946 0958",
    "card": "4111111111111111",
    "address": "12 High St, London, UK",
}


class TestLookups:
    """What the starter data map asks to store for a customer record."""

    def test_kinds_per_field(self, lookups: Lookups) -> None:
        """Card gets a card token, email a deterministic token, searchable fields an index."""
        stored, rows = lookups.for_record(
            region="eu", collection="customers", record_id=RECORD, values=PERSON
        )
        assert set(stored) == {"email", "card"}
        assert not luhn_valid(stored["card"])
        kinds = {(kind, field) for kind, field, _ in rows}
        assert (CARD, "card") in kinds
        assert (DTOKEN, "email") in kinds
        assert {(SEARCH, "email"), (SEARCH, "name"), (SEARCH, "phone")} <= kinds
        assert all(field != "address" for _, field, _ in rows)

    def test_search_digest_normalises(self, lookups: Lookups) -> None:
        """Equal after normalisation means equal digests."""
        digest = lookups.search_digest
        assert digest("customers", "email", "email", " ADA.lovelace@example.COM") == digest(
            "customers", "email", "email", "ada.lovelace@example.com"
        )
        assert digest("customers", "phone", "phone", "+44 (0)20 7946 0958") == digest(
            "customers", "phone", "phone", "+442079460958"
        )

    def test_tokens_of_fills_pointers(self, lookups: Lookups) -> None:
        """Fields without a stored token get their pointer token."""
        tokens = lookups.tokens_of(
            region="eu", collection="customers", record_id=RECORD, fields=["name", "card"],
            stored={"card": "4111110000001111"},
        )  # fmt: skip
        assert tokens["card"] == "4111110000001111"
        target = lookups.resolve_pointer(tokens["name"])
        assert target is not None
        assert target.field == "name"


@pytest.mark.parametrize(
    "region", ["GB", "US", "DE", "FR", "IT", "ES", "NL", "IN", "JP", "BR", "AU", "CH", "SE"]
)
def test_international_fast_path_matches_phonenumbers(region: str) -> None:
    """For +-prefixed numbers the fast E.164 path agrees with the phonenumbers library."""
    example = phonenumbers.example_number(region)
    assert example is not None
    international = phonenumbers.format_number(
        example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    expected = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert _international_e164(international) == expected
