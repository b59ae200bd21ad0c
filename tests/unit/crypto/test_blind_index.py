"""Blind indexes: normalisation per field type and keyed, field-bound HMAC indexes."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.crypto.blind_index import (
    BLIND_INDEX_PURPOSE,
    FIELD_TYPES,
    INDEX_LENGTH,
    BlindIndexer,
    derive_field_key,
    normalise,
)
from privault.errors import InvalidInput

ROOT = bytes(range(32))
OTHER_ROOT = bytes(range(1, 33))


@pytest.fixture
def indexer() -> BlindIndexer:
    """A blind indexer under a fixed root key."""
    return BlindIndexer(ROOT)


class TestNormalise:
    """normalise(): one canonical form per field type."""

    def test_email_is_trimmed_and_lower_cased_whole(self) -> None:
        """Case of both local part and domain, and surrounding space, do not matter."""
        assert normalise("email", "  John.Doe@Example.COM ") == "john.doe@example.com"

    @pytest.mark.parametrize(
        "value", ["", "   ", "no-at-sign", "@example.com", "john@", "a b@x.com"]
    )
    def test_email_that_is_no_address_is_refused(self, value: str) -> None:
        """Something that is not an address raises InvalidInput instead of indexing garbage."""
        with pytest.raises(InvalidInput):
            normalise("email", value)

    @pytest.mark.parametrize(
        ("value", "region"),
        [
            ("+1 (415) 555-2671", "US"),
            ("415-555-2671", "US"),
            ("(415) 555 2671", "US"),
            ("001 415 555 2671", "US"),
            ("011 1 415 555 2671", "US"),
            ("0011 1 415 555 2671", "AU"),
            ("+14155552671", "GB"),
        ],
    )
    def test_phone_formats_reach_the_same_e164(self, value: str, region: str) -> None:
        """National, international and IDD-prefixed writings give one E.164 number."""
        assert normalise("phone", value, default_region=region) == "+14155552671"

    def test_phone_with_00_prefix_is_international_for_a_us_default(self) -> None:
        """A UK number written 0044... is understood even when the default region is the US."""
        assert normalise("phone", "0044 20 7946 0958") == "+442079460958"

    def test_phone_uses_default_region_without_plus(self) -> None:
        """A national number is read in the given default region."""
        assert normalise("phone", "020 7946 0958", default_region="GB") == "+442079460958"

    @pytest.mark.parametrize("value", ["12", "abc", "", "+1 555", "1" * 300, "+999 12345678"])
    def test_impossible_phone_is_refused(self, value: str) -> None:
        """Too short, non-numeric, oversized or unknown-country numbers raise InvalidInput."""
        with pytest.raises(InvalidInput):
            normalise("phone", value)

    def test_phone_error_message_does_not_carry_the_value(self) -> None:
        """The refusal names the rule, never the number."""
        with pytest.raises(InvalidInput) as caught:
            normalise("phone", "555-0000-secret-98765")
        assert "98765" not in str(caught.value)
        assert "98765" not in repr(caught.value.context)

    def test_name_is_nfkc_case_folded_and_whitespace_collapsed(self) -> None:
        """Width, case and runs of whitespace do not matter for names."""
        assert normalise("name", "  ＪＡＮＥ \t  Straße  ") == normalise("name", "jane strasse")

    def test_card_number_ignores_spaces_and_dashes(self) -> None:
        """4111 1111-1111 1111 and 4111111111111111 are the same card."""
        assert normalise("card_number", "4111 1111-1111 1111") == "4111111111111111"

    def test_card_number_with_letters_is_refused(self) -> None:
        """A card number with non-digits raises InvalidInput."""
        with pytest.raises(InvalidInput):
            normalise("card_number", "4111x1111")

    def test_iban_ignores_spaces_and_case(self) -> None:
        """The printed and electronic IBAN forms are one value."""
        assert normalise("iban", "gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"

    def test_ip_address_is_compressed(self) -> None:
        """Different writings of one IPv6 address are one value."""
        assert normalise("ip_address", "2001:DB8:0:0:0:0:0:1") == normalise(
            "ip_address", "2001:db8::1"
        )

    def test_bad_ip_address_is_refused(self) -> None:
        """Something that is no IP address raises InvalidInput."""
        with pytest.raises(InvalidInput):
            normalise("ip_address", "999.1.1.1")

    def test_other_types_are_nfkc_and_stripped(self) -> None:
        """Free text only loses outer whitespace and compatibility forms."""
        assert normalise("text", "  ﬁne Text ") == "fine Text"

    def test_unknown_field_type_is_refused(self) -> None:
        """A type the data map does not know raises InvalidInput."""
        with pytest.raises(InvalidInput):
            normalise("blood_type", "A+")

    def test_non_string_value_is_refused(self) -> None:
        """Hostile non-string input raises InvalidInput, not a TypeError."""
        with pytest.raises(InvalidInput):
            normalise("text", 42)  # type: ignore[arg-type]


class TestDeriveFieldKey:
    """derive_field_key(): one key per purpose, collection and field."""

    def test_key_is_32_bytes(self) -> None:
        """Field keys are 256-bit."""
        key = derive_field_key(ROOT, purpose=BLIND_INDEX_PURPOSE, collection="c", field="f")
        assert len(key) == 32

    def test_name_boundaries_cannot_be_shifted(self) -> None:
        """("ab", "c") and ("a", "bc") derive different keys: the encoding is unambiguous."""
        first = derive_field_key(ROOT, purpose="p", collection="ab", field="c")
        second = derive_field_key(ROOT, purpose="p", collection="a", field="bc")
        assert first != second

    def test_purpose_separates_keys(self) -> None:
        """The same field under two purposes gets two keys."""
        first = derive_field_key(ROOT, purpose="p1", collection="c", field="f")
        second = derive_field_key(ROOT, purpose="p2", collection="c", field="f")
        assert first != second

    @pytest.mark.parametrize("root", [b"", b"short", bytes(31)])
    def test_short_root_key_is_refused(self, root: bytes) -> None:
        """A root key under 32 bytes raises InvalidInput."""
        with pytest.raises(InvalidInput):
            derive_field_key(root, purpose="p", collection="c", field="f")

    @pytest.mark.parametrize(("collection", "field"), [("", "f"), ("c", "")])
    def test_empty_names_are_refused(self, collection: str, field: str) -> None:
        """Empty collection or field names raise InvalidInput."""
        with pytest.raises(InvalidInput):
            derive_field_key(ROOT, purpose="p", collection=collection, field=field)


class TestBlindIndexer:
    """BlindIndexer.index(): equal normalised values in one field give equal indexes."""

    def test_index_is_hmac_sha256_of_normalised_value_under_the_field_key(
        self, indexer: BlindIndexer
    ) -> None:
        """The index is the documented construction, full length."""
        key = derive_field_key(ROOT, purpose=BLIND_INDEX_PURPOSE, collection="c", field="email")
        expected = hmac.new(key, b"a@x.com", hashlib.sha256).digest()
        got = indexer.index(collection="c", field="email", field_type="email", value=" A@x.com")
        assert got == expected
        assert len(got) == INDEX_LENGTH

    def test_equal_after_normalisation_gives_equal_index(self, indexer: BlindIndexer) -> None:
        """Two writings of one address find each other."""
        first = indexer.index(collection="c", field="e", field_type="email", value="A@x.com ")
        second = indexer.index(collection="c", field="e", field_type="email", value="a@x.com")
        assert first == second

    def test_phone_writings_give_equal_index(self, indexer: BlindIndexer) -> None:
        """+1 (415) 555-2671 and 415-555-2671 (default US) index alike."""
        first = indexer.index(
            collection="c", field="p", field_type="phone", value="+1 (415) 555-2671"
        )
        second = indexer.index(
            collection="c",
            field="p",
            field_type="phone",
            value="415-555-2671",
            default_phone_region="US",
        )
        assert first == second

    def test_different_values_give_different_indexes(self, indexer: BlindIndexer) -> None:
        """Distinct values do not match."""
        first = indexer.index(collection="c", field="e", field_type="email", value="a@x.com")
        second = indexer.index(collection="c", field="e", field_type="email", value="b@x.com")
        assert first != second

    def test_different_field_gives_different_index(self, indexer: BlindIndexer) -> None:
        """The same value in two fields cannot be linked by index."""
        first = indexer.index(collection="c", field="email", field_type="email", value="a@x.com")
        second = indexer.index(collection="c", field="backup", field_type="email", value="a@x.com")
        assert first != second

    def test_different_collection_gives_different_index(self, indexer: BlindIndexer) -> None:
        """The same value in two collections cannot be linked by index."""
        first = indexer.index(collection="a", field="e", field_type="email", value="a@x.com")
        second = indexer.index(collection="b", field="e", field_type="email", value="a@x.com")
        assert first != second

    def test_different_root_key_gives_different_index(self, indexer: BlindIndexer) -> None:
        """Another installation's indexes do not match ours."""
        other = BlindIndexer(OTHER_ROOT)
        first = indexer.index(collection="c", field="e", field_type="email", value="a@x.com")
        second = other.index(collection="c", field="e", field_type="email", value="a@x.com")
        assert first != second

    def test_field_key_is_cached(self, indexer: BlindIndexer) -> None:
        """The derived key of a field is computed once and reused."""
        first = indexer.field_key(collection="c", field="f")
        assert indexer.field_key(collection="c", field="f") is first

    def test_short_root_key_is_refused(self) -> None:
        """The indexer refuses a weak root key at construction."""
        with pytest.raises(InvalidInput):
            BlindIndexer(b"too short")

    def test_invalid_value_is_refused_before_indexing(self, indexer: BlindIndexer) -> None:
        """A malformed phone number raises InvalidInput rather than indexing garbage."""
        with pytest.raises(InvalidInput):
            indexer.index(collection="c", field="p", field_type="phone", value="not a phone")

    @given(value=st.text(max_size=200))
    def test_text_of_any_content_indexes_to_32_bytes(self, value: str) -> None:
        """Any text value indexes without error to a full-length index."""
        indexer = BlindIndexer(ROOT)
        assert len(indexer.index(collection="c", field="t", field_type="text", value=value)) == 32

    @given(field_type=st.sampled_from(sorted(FIELD_TYPES)), value=st.text(max_size=100))
    def test_any_input_indexes_or_raises_invalid_input(self, field_type: str, value: str) -> None:
        """Hostile input never escapes as anything but InvalidInput."""
        indexer = BlindIndexer(ROOT)
        with contextlib.suppress(InvalidInput):
            indexer.index(collection="c", field="f", field_type=field_type, value=value)
