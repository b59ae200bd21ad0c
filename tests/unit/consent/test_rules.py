"""Pure consent rules: language tags, notice versions and texts, origin pseudonyms."""

from __future__ import annotations

import hashlib

import pytest

from privault.consent.rules import (
    MAX_NOTICE_BYTES,
    check_language,
    check_notice_text,
    check_origin,
    check_published_version,
    language_fallbacks,
    origin_pseudonym,
    text_sha256,
)
from privault.errors import InvalidInput

KEY = bytes(range(32))


class TestLanguage:
    """BCP 47 tags are checked and put in canonical case."""

    @pytest.mark.parametrize(
        ("tag", "canonical"),
        [
            ("en", "en"),
            ("DE", "de"),
            ("de-at", "de-AT"),
            ("pt-br", "pt-BR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("sl-rozaj-biske", "sl-rozaj-biske"),
            ("de-CH-1996", "de-CH-1996"),
            ("en-US-x-twain", "en-US-x-twain"),
        ],
    )
    def test_well_formed_tags_are_canonicalised(self, tag: str, canonical: str) -> None:
        """Language lower-case, script title-case, region upper-case, the rest lower-case."""
        assert check_language(tag) == canonical

    @pytest.mark.parametrize(
        "tag",
        ["", "e", "englishlanguage", "en_US", "en-", "-en", "en--US", "de-AT\n", "en US",
         "x" * 36, "12", "en-a", None, 7, "ěn"],
    )  # fmt: skip
    def test_malformed_tags_are_refused(self, tag: object) -> None:
        """Anything that is not a well-formed tag is InvalidInput."""
        with pytest.raises(InvalidInput) as caught:
            check_language(tag)
        assert caught.value.code == "invalid_language"

    def test_fallbacks_go_from_specific_to_default(self) -> None:
        """de-AT-1996 tries itself, de-AT, de, then the default language's chain."""
        assert language_fallbacks("de-AT-1996", "en-GB") == [
            "de-AT-1996", "de-AT", "de", "en-GB", "en",
        ]  # fmt: skip
        assert language_fallbacks("en", "en") == ["en"]

    def test_fallbacks_never_end_on_an_extension_singleton(self) -> None:
        """en-US-x-twain falls back through en-US, never 'en-US-x'."""
        assert "en-US-x" not in language_fallbacks("en-US-x-twain", "en")


class TestNoticeVersionAndText:
    """Published versions are URL-safe; texts are bounded and free of control characters."""

    @pytest.mark.parametrize("version", ["2024-05", "v1", "1.2.3", "A_b"])
    def test_good_versions(self, version: str) -> None:
        """Letters, digits, '.', '_', '-'."""
        assert check_published_version(version) == version

    @pytest.mark.parametrize(
        "version", ["", "-1", ".hidden", "a/b", "a b", "v1\n", "é", "x" * 65, None]
    )
    def test_bad_versions(self, version: object) -> None:
        """Slashes, spaces, leading punctuation, long or non-ASCII versions are refused."""
        with pytest.raises(InvalidInput) as caught:
            check_published_version(version)
        assert caught.value.code == "invalid_notice_version"

    def test_text_keeps_newlines_and_tabs(self) -> None:
        """Markdown with newlines and tabs is fine."""
        text = "# Marketing\n\n\tWe send offers.\r\n"
        assert check_notice_text(text) == text

    @pytest.mark.parametrize("text", ["", "   \n", "nul\x00", "bell\x07", "sep\u2028", None])
    def test_bad_texts(self, text: object) -> None:
        """Empty texts and control characters are refused."""
        with pytest.raises(InvalidInput):
            check_notice_text(text)

    def test_oversized_text_is_refused(self) -> None:
        """A text over the limit is notice_too_large."""
        with pytest.raises(InvalidInput) as caught:
            check_notice_text("a" * (MAX_NOTICE_BYTES + 1))
        assert caught.value.code == "notice_too_large"

    def test_lone_surrogate_is_refused(self) -> None:
        """A text that cannot be UTF-8 encoded is refused, not a crash."""
        with pytest.raises(InvalidInput):
            check_notice_text("bad \ud800 text")

    def test_sha256_is_of_the_utf8_text(self) -> None:
        """The hash a customer can recompute from the text they were shown."""
        assert text_sha256("Grüße") == hashlib.sha256("Grüße".encode()).hexdigest()


class TestOriginPseudonym:
    """The origin is stored as an HMAC of the address, never the address."""

    def test_pseudonym_is_keyed_and_stable(self) -> None:
        """Same key and address, same pseudonym; another key, another pseudonym."""
        first = origin_pseudonym(KEY, "203.0.113.9")
        assert first == origin_pseudonym(KEY, "203.0.113.9")
        assert first != origin_pseudonym(bytes(32), "203.0.113.9")
        assert first != origin_pseudonym(KEY, "203.0.113.10")
        assert "203.0.113.9" not in first
        assert len(first) == 64

    @pytest.mark.parametrize(
        ("one", "other"),
        [("::ffff:192.0.2.1", "192.0.2.1"), ("2001:DB8::1", "2001:db8:0:0:0:0:0:1"),
         (" 192.0.2.1 ", "192.0.2.1")],
    )  # fmt: skip
    def test_one_address_written_two_ways_has_one_pseudonym(self, one: str, other: str) -> None:
        """Addresses are normalised before they are keyed."""
        assert origin_pseudonym(KEY, one) == origin_pseudonym(KEY, other)

    def test_non_address_is_keyed_too(self) -> None:
        """A value that is not an IP (a test client's 'testclient') still gives a pseudonym."""
        assert len(origin_pseudonym(KEY, "testclient")) == 64

    @pytest.mark.parametrize(
        "origin", ["203.0.113.9", "2001:db8::1", "A" * 64, "0" * 63, "0" * 64 + "\n", 5]
    )
    def test_ledger_refuses_anything_but_a_pseudonym(self, origin: object) -> None:
        """A raw address handed to the ledger by mistake is refused."""
        with pytest.raises(InvalidInput) as caught:
            check_origin(origin)
        assert caught.value.code == "invalid_origin"

    def test_ledger_takes_a_pseudonym_or_none(self) -> None:
        """None (CLI, import) and a pseudonym pass."""
        pseudonym = origin_pseudonym(KEY, "192.0.2.1")
        assert check_origin(pseudonym) == pseudonym
        assert check_origin(None) is None
