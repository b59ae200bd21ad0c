"""Tokens: random, deterministic and card tokens, and what each one keeps of the value."""

from __future__ import annotations

import base64
import random
import re

import pytest

from privault.crypto.blind_index import BlindIndexer
from privault.errors import InvalidInput
from privault.vault.tokens import (
    DeterministicTokenizer,
    is_card_security_code_field,
    luhn_valid,
    new_card_token,
)

ROOT = bytes(range(32))

# (prefixes, lengths) of card schemes; every length 13-19 appears at least once.
_SCHEMES: list[tuple[list[str], list[int]]] = [
    (["4"], [13, 16, 19]),  # Visa
    ([str(p) for p in range(51, 56)], [16]),  # Mastercard 5-series
    ([str(p) for p in range(2221, 2721)], [16]),  # Mastercard 2-series
    (["34", "37"], [15]),  # American Express
    (["36", "38"], [14]),  # Diners Club
    (["6011", "65"], [16, 17, 18, 19]),  # Discover
    (["5018", "6759", "6304"], [12, 13, 17, 18, 19]),  # Maestro
]


def _luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass Luhn, computed independently of luhn_valid."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def _valid_card(rng: random.Random, *, min_length: int = 13) -> str:
    prefixes, lengths = rng.choice(_SCHEMES)
    length = rng.choice([n for n in lengths if n >= min_length] or [16])
    prefix = rng.choice(prefixes)
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + _luhn_check_digit(body)


class TestLuhn:
    """luhn_valid(): the mod-10 check."""

    @pytest.mark.parametrize(
        "number", ["4111111111111111", "79927398713", "378282246310005", "2223003122003222"]
    )
    def test_known_valid_numbers_pass(self, number: str) -> None:
        """Published test numbers pass."""
        assert luhn_valid(number)

    @pytest.mark.parametrize("number", ["4111111111111112", "79927398710", "378282246310006"])
    def test_one_digit_off_fails(self, number: str) -> None:
        """A single changed digit fails."""
        assert not luhn_valid(number)

    @pytest.mark.parametrize("number", ["", "4111 1111 1111 1111", "41111x1111111111", "٤١١١"])
    def test_non_digit_strings_fail(self, number: str) -> None:
        """Empty strings, separators and non-ASCII digits are never valid."""
        assert not luhn_valid(number)


class TestCardToken:
    """new_card_token(): Luhn-invalid, same length, BIN and last four kept."""

    def test_ten_thousand_tokens_keep_bin_last4_length_and_fail_luhn(self) -> None:
        """For valid 13-19 digit cards of many schemes every token keeps exactly what it should."""
        rng = random.Random(20240517)
        cards = [_valid_card(rng) for _ in range(10_000)]
        assert {len(card) for card in cards} == set(range(13, 20))
        assert all(luhn_valid(card) for card in cards)
        tokens = [new_card_token(card) for card in cards]
        for card, token in zip(cards, tokens, strict=True):
            assert len(token) == len(card)
            assert token.isascii()
            assert token.isdigit()
            assert token[:6] == card[:6]
            assert token[-4:] == card[-4:]
            assert not luhn_valid(token)
        assert len(set(tokens)) == len(tokens)

    def test_mastercard_2_series_keeps_its_bin(self) -> None:
        """A 2221-2720 BIN survives tokenisation."""
        body = "272099" + "123456789"
        card = body + _luhn_check_digit(body)
        assert new_card_token(card).startswith("272099")

    def test_spaces_and_dashes_are_ignored(self) -> None:
        """A formatted number gives a bare-digit token of the digit count."""
        token = new_card_token("4111 1111-1111 1111")
        assert re.fullmatch(r"411111\d{6}1111", token)

    def test_twelve_digit_card_keeps_only_last_four(self) -> None:
        """A 12-digit number hides its BIN too: only eight digits would stay hidden otherwise."""
        body = "50181234567"
        card = body + _luhn_check_digit(body)
        tokens = {new_card_token(card) for _ in range(200)}
        assert all(len(t) == 12 and t.endswith(card[-4:]) and not luhn_valid(t) for t in tokens)
        assert len({t[:6] for t in tokens}) > 1

    def test_middle_digits_are_random(self) -> None:
        """Two tokens of one card differ: the middle is drawn afresh."""
        assert new_card_token("4111111111111111") != new_card_token("4111111111111111")

    @pytest.mark.parametrize(
        "card",
        [
            "",
            "41111111111",
            "4" * 20,
            "4111-1111-1111-111x",
            "٤١١١١١١١١١١١١١١١",
            "4111.1111.1111.1111",
        ],
    )
    def test_malformed_card_number_is_refused(self, card: str) -> None:
        """Too short, too long, letters, non-ASCII digits or dots raise InvalidInput."""
        with pytest.raises(InvalidInput):
            new_card_token(card)

    def test_refusal_does_not_carry_the_number(self) -> None:
        """The error names the rule, never the digits."""
        with pytest.raises(InvalidInput) as caught:
            new_card_token("41111111111111119999")
        assert "9999" not in str(caught.value)


class TestDeterministicToken:
    """DeterministicTokenizer: equal normalised values in one field give equal tokens."""

    @pytest.fixture
    def tokenizer(self) -> DeterministicTokenizer:
        """A tokenizer under a fixed root key."""
        return DeterministicTokenizer(ROOT)

    def _token(self, tokenizer: DeterministicTokenizer, **overrides: str) -> str:
        args = {
            "region": "eu",
            "collection": "customers",
            "field": "email",
            "field_type": "email",
            "value": "a@x.com",
        } | overrides
        return tokenizer.token(**args)

    def test_format_marks_deterministic_and_names_region(
        self, tokenizer: DeterministicTokenizer
    ) -> None:
        """tok_<region>_d_<32 lower-case base32 characters>."""
        assert re.fullmatch(r"tok_eu_d_[a-z2-7]{32}", self._token(tokenizer))

    def test_same_normalised_value_gives_same_token(
        self, tokenizer: DeterministicTokenizer
    ) -> None:
        """'A@x.com ' and 'a@x.com' tokenise alike."""
        assert self._token(tokenizer, value="A@x.com ") == self._token(tokenizer, value="a@x.com")

    def test_different_values_give_different_tokens(
        self, tokenizer: DeterministicTokenizer
    ) -> None:
        """Distinct values do not collide."""
        assert self._token(tokenizer, value="b@x.com") != self._token(tokenizer)

    @pytest.mark.parametrize(
        "override",
        [{"field": "backup_email"}, {"collection": "newsletter"}, {"region": "us"}],
    )
    def test_field_collection_and_region_separate_tokens(
        self, tokenizer: DeterministicTokenizer, override: dict[str, str]
    ) -> None:
        """The same value in another field, collection or region cannot be linked by token."""
        first = self._token(tokenizer).rsplit("_", 1)[1]
        second = self._token(tokenizer, **override).rsplit("_", 1)[1]
        assert first != second

    def test_different_root_key_gives_different_token(
        self, tokenizer: DeterministicTokenizer
    ) -> None:
        """Another installation's tokens do not match ours."""
        other = DeterministicTokenizer(bytes(range(1, 33)))
        assert self._token(other) != self._token(tokenizer)

    def test_token_differs_from_blind_index_of_same_field(
        self, tokenizer: DeterministicTokenizer
    ) -> None:
        """Token and blind-index keys differ by purpose: one cannot stand in for the other."""
        index = BlindIndexer(ROOT).index(
            collection="customers", field="email", field_type="email", value="a@x.com"
        )
        body = self._token(tokenizer).rsplit("_", 1)[1]
        assert base64.b32decode(body.upper()) != index[:20]

    def test_short_root_key_is_refused(self) -> None:
        """A weak root key is refused at construction."""
        with pytest.raises(InvalidInput):
            DeterministicTokenizer(b"short")

    def test_malformed_value_is_refused(self, tokenizer: DeterministicTokenizer) -> None:
        """A value its type cannot normalise raises InvalidInput."""
        with pytest.raises(InvalidInput):
            self._token(tokenizer, field_type="phone", field="phone", value="call me")

    def test_unknown_field_type_is_refused(self, tokenizer: DeterministicTokenizer) -> None:
        """An unknown field type raises InvalidInput."""
        with pytest.raises(InvalidInput):
            self._token(tokenizer, field_type="shoe_size")

    def test_bad_region_is_refused(self, tokenizer: DeterministicTokenizer) -> None:
        """A malformed region raises InvalidInput."""
        with pytest.raises(InvalidInput):
            self._token(tokenizer, region="EU_1")


class TestCardSecurityCodeField:
    """is_card_security_code_field(): a name-based guard against storing CVVs."""

    @pytest.mark.parametrize(
        "name", ["cvv", "CVC", "cvv2", "card_cvc", "card-security-code", "SecurityCode", "cid"]
    )
    def test_security_code_names_are_recognised(self, name: str) -> None:
        """Common spellings of the security code field are caught."""
        assert is_card_security_code_field(name)

    @pytest.mark.parametrize("name", ["card", "card_number", "email", "city", "expiry"])
    def test_ordinary_names_pass(self, name: str) -> None:
        """Ordinary field names are not flagged."""
        assert not is_card_security_code_field(name)
