"""Masking transforms: each built-in, the registry, and the never-raise, never-leak guarantee."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.crypto.blind_index import FIELD_TYPES
from privault.errors import Conflict, InvalidInput
from privault.vault.masking import (
    BUILTIN_TRANSFORMS,
    REDACTED,
    TRANSFORMS,
    apply_transform,
    default_mask_for,
    register_transform,
    unregister_transform,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "tokens.md"


@pytest.fixture
def custom_names() -> Iterator[list[str]]:
    """Names registered by a test, removed afterwards so tests stay independent."""
    names: list[str] = []
    yield names
    for name in names:
        if name in TRANSFORMS:
            unregister_transform(name)


class TestEmailMask:
    """email_mask: first character, ***, the domain."""

    def test_masks_local_part(self) -> None:
        """john.doe@example.com shows j***@example.com."""
        masked = apply_transform("email_mask", "john.doe@example.com", field_type="email")
        assert masked == "j***@example.com"

    def test_one_character_local_part_shows_none(self) -> None:
        """A one-letter local part would otherwise be shown whole."""
        assert (
            apply_transform("email_mask", "j@example.com", field_type="email") == "***@example.com"
        )

    @pytest.mark.parametrize(
        "value", ["", "john.doe", "@example.com", "john@", "john@localhost", "jo hn@x.com", "a@b@"]
    )
    def test_malformed_address_is_redacted(self, value: str) -> None:
        """Anything that is not a plausible address shows [REDACTED], never the raw value."""
        assert apply_transform("email_mask", value, field_type="email") == REDACTED


class TestLastDigits:
    """last2 / last4: one * per hidden character, separators dropped."""

    def test_phone_last4(self) -> None:
        """+44 20 7946 0958 shows ********0958."""
        assert apply_transform("last4", "+44 20 7946 0958", field_type="phone") == "********0958"

    def test_phone_last2(self) -> None:
        """+44 20 7946 0958 shows **********58."""
        assert apply_transform("last2", "+44 20 7946 0958", field_type="phone") == "**********58"

    def test_card_last4_keeps_length(self) -> None:
        """A formatted 16-digit card shows twelve stars and the last four."""
        masked = apply_transform("last4", "4111 1111 1111 1234", field_type="card_number")
        assert masked == "************1234"

    def test_iban_last4(self) -> None:
        """IBAN letters count as characters to hide."""
        masked = apply_transform("last4", "GB82 WEST 1234 5698 7654 32", field_type="iban")
        assert masked == "*" * 18 + "5432"

    @pytest.mark.parametrize("value", ["1234", "1234567", "--", ""])
    def test_too_short_to_hide_four_is_redacted(self, value: str) -> None:
        """Fewer than four hidden characters is no mask: [REDACTED]."""
        assert apply_transform("last4", value, field_type="phone") == REDACTED


class TestBinLast4:
    """bin_last4: first six and last four digits of a card, never more."""

    def test_keeps_bin_and_last4(self) -> None:
        """4111111111111111 shows 411111******1111."""
        masked = apply_transform("bin_last4", "4111-1111-1111-1111", field_type="card_number")
        assert masked == "411111******1111"

    @pytest.mark.parametrize("value", ["411111111111", "4" * 20, "4111x11111111111"])
    def test_out_of_range_or_non_digit_is_redacted(self, value: str) -> None:
        """Numbers where 6+4 would show too much, or non-numbers, are redacted."""
        assert apply_transform("bin_last4", value, field_type="card_number") == REDACTED

    def test_applies_to_cards_only(self) -> None:
        """On a phone number first-six-last-four would show most of it: refused."""
        with pytest.raises(InvalidInput):
            apply_transform("bin_last4", "+44 20 7946 0958", field_type="phone")


class TestInitials:
    """initials: first letter of each word."""

    def test_initials_of_full_name(self) -> None:
        """Jane Q. Doe shows J. Q. D."""
        assert apply_transform("initials", "Jane Q. Doe", field_type="name") == "J. Q. D."

    def test_unicode_names(self) -> None:
        """Accented and decomposed letters give their upper-case initial."""
        assert apply_transform("initials", "e\u0301mile  zola", field_type="name") == "É. Z."

    @pytest.mark.parametrize("value", ["", "   ", "123 !!"])
    def test_no_letters_is_redacted(self, value: str) -> None:
        """A name without letters shows [REDACTED]."""
        assert apply_transform("initials", value, field_type="name") == REDACTED

    def test_output_equal_to_input_is_redacted(self) -> None:
        """A name that is already initials would be shown whole: [REDACTED]."""
        assert apply_transform("initials", "J. D.", field_type="name") == REDACTED


class TestCityCountry:
    """city_country: the last two parts of the address."""

    def test_last_two_comma_parts(self) -> None:
        """12 High St, London, UK shows London, UK."""
        masked = apply_transform("city_country", "12 High St, London, UK", field_type="address")
        assert masked == "London, UK"

    def test_line_breaks_separate_parts(self) -> None:
        """Multi-line addresses split at line breaks too."""
        masked = apply_transform(
            "city_country", "Flat 2\n1 Rue X\nParis\nFrance", field_type="address"
        )
        assert masked == "Paris, France"

    @pytest.mark.parametrize("value", ["12 High St, London", "London", ", , ,"])
    def test_fewer_than_three_parts_is_redacted(self, value: str) -> None:
        """Showing two of two parts would show the whole address: [REDACTED]."""
        assert apply_transform("city_country", value, field_type="address") == REDACTED


class TestYear:
    """year: the year of a date."""

    @pytest.mark.parametrize(
        "value", ["1990-05-17", "1990-05-17T10:00:00+02:00", "17/05/1990", "05.17.1990"]
    )
    def test_year_of_date(self, value: str) -> None:
        """Common date forms show 1990."""
        assert apply_transform("year", value, field_type="date") == "1990"

    @pytest.mark.parametrize("value", ["1990", "31/02/1990", "yesterday", "13/13/1990"])
    def test_not_a_date_is_redacted(self, value: str) -> None:
        """Impossible or unparseable dates show [REDACTED]."""
        assert apply_transform("year", value, field_type="date") == REDACTED


class TestIpPrefix:
    """ip_prefix: IPv4 /24, IPv6 /48."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("192.0.2.77", "192.0.2.0/24"),
            ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::/48"),
            ("::ffff:192.0.2.77", "192.0.2.0/24"),
            ("fe80::1%eth0", "fe80::/48"),
        ],
    )
    def test_prefix_of_address(self, value: str, expected: str) -> None:
        """Addresses show their network prefix only."""
        assert apply_transform("ip_prefix", value, field_type="ip_address") == expected

    def test_not_an_address_is_redacted(self) -> None:
        """Garbage shows [REDACTED]."""
        assert apply_transform("ip_prefix", "300.1.1.1", field_type="ip_address") == REDACTED


class TestRedacted:
    """redacted: the same for every type."""

    @pytest.mark.parametrize("field_type", sorted(FIELD_TYPES))
    def test_any_type(self, field_type: str) -> None:
        """Every field type can be redacted."""
        assert apply_transform("redacted", "secret", field_type=field_type) == REDACTED


class TestDefaults:
    """default_mask_for(): the transform behind a plain ``masked`` view."""

    @pytest.mark.parametrize("field_type", sorted(FIELD_TYPES))
    def test_every_type_has_an_applicable_builtin_default(self, field_type: str) -> None:
        """Each type's default is a built-in transform that applies to it."""
        name = default_mask_for(field_type)
        assert name in BUILTIN_TRANSFORMS
        assert TRANSFORMS[name].applies_to(field_type)

    @pytest.mark.parametrize(
        ("field_type", "expected"),
        [("email", "email_mask"), ("card_number", "last4"), ("ip_address", "ip_prefix")],
    )
    def test_documented_defaults(self, field_type: str, expected: str) -> None:
        """The defaults are the documented ones."""
        assert default_mask_for(field_type) == expected

    def test_unknown_type_is_refused(self) -> None:
        """An unknown type raises InvalidInput."""
        with pytest.raises(InvalidInput):
            default_mask_for("shoe_size")


class TestRegistry:
    """register_transform / apply_transform / unregister_transform."""

    def test_transforms_view_is_read_only(self) -> None:
        """TRANSFORMS cannot be written to."""
        with pytest.raises(TypeError):
            TRANSFORMS["x"] = TRANSFORMS["redacted"]  # type: ignore[index]

    def test_builtins_are_registered(self) -> None:
        """Every built-in name is in the registry."""
        assert set(TRANSFORMS) >= BUILTIN_TRANSFORMS

    def test_register_directly(self, custom_names: list[str]) -> None:
        """A function registered by call is applied by name."""
        custom_names.append("first_char")
        register_transform("first_char", lambda value: value[:1] + "…", types={"text"})
        assert apply_transform("first_char", "hello", field_type="text") == "h…"

    def test_register_as_decorator_returns_the_function(self, custom_names: list[str]) -> None:
        """The decorator leaves the function usable as before."""
        custom_names.append("shout")

        @register_transform("shout")
        def shout(value: str) -> str:
            return value.upper() + "!"

        assert shout("hi") == "HI!"
        assert apply_transform("shout", "hi", field_type="name") == "HI!"

    def test_type_limited_transform_is_refused_for_other_types(
        self, custom_names: list[str]
    ) -> None:
        """A transform limited to email cannot run on a phone field."""
        custom_names.append("emails_only")
        register_transform("emails_only", lambda value: "x", types={"email"})
        with pytest.raises(InvalidInput):
            apply_transform("emails_only", "+1 415 555 2671", field_type="phone")

    def test_raising_transform_yields_redacted(self, custom_names: list[str]) -> None:
        """An exception inside a transform shows [REDACTED] and does not propagate."""
        custom_names.append("boom")

        def boom(value: str) -> str:
            raise RuntimeError(value)

        register_transform("boom", boom)
        assert apply_transform("boom", "secret", field_type="text") == REDACTED

    def test_identity_transform_yields_redacted(self, custom_names: list[str]) -> None:
        """A transform returning the value unchanged cannot leak it."""
        custom_names.append("identity")
        register_transform("identity", lambda value: value)
        assert apply_transform("identity", " secret ", field_type="text") == REDACTED

    def test_non_string_output_yields_redacted(self, custom_names: list[str]) -> None:
        """A transform returning a non-string shows [REDACTED]."""
        custom_names.append("bad_output")
        register_transform("bad_output", len)  # type: ignore[arg-type]
        assert apply_transform("bad_output", "secret", field_type="text") == REDACTED

    def test_taken_name_is_refused(self, custom_names: list[str]) -> None:
        """Registering a name twice raises Conflict."""
        custom_names.append("twice")
        register_transform("twice", lambda value: "*")
        with pytest.raises(Conflict):
            register_transform("twice", lambda value: "**")

    @pytest.mark.parametrize("name", sorted(BUILTIN_TRANSFORMS))
    def test_builtin_cannot_be_replaced(self, name: str) -> None:
        """Built-in names are taken."""
        with pytest.raises(Conflict):
            register_transform(name, lambda value: value)

    @pytest.mark.parametrize("name", sorted(BUILTIN_TRANSFORMS))
    def test_builtin_cannot_be_removed(self, name: str) -> None:
        """Built-ins stay registered."""
        with pytest.raises(InvalidInput):
            unregister_transform(name)

    @pytest.mark.parametrize("name", ["", "Upper", "9lives", "has space", "a" * 64, "x-y"])
    def test_bad_name_is_refused(self, name: str) -> None:
        """Names must be lower-case identifiers."""
        with pytest.raises(InvalidInput):
            register_transform(name, lambda value: "*")

    @pytest.mark.parametrize("types", [set(), {"shoe_size"}])
    def test_bad_types_are_refused(self, types: set[str]) -> None:
        """An empty or unknown type set raises InvalidInput."""
        with pytest.raises(InvalidInput):
            register_transform("typed", lambda value: "*", types=types)

    def test_unknown_transform_is_refused(self) -> None:
        """Applying a name nobody registered raises InvalidInput."""
        with pytest.raises(InvalidInput):
            apply_transform("nope", "value", field_type="text")

    def test_unknown_field_type_is_refused(self) -> None:
        """Applying to an unknown type raises InvalidInput."""
        with pytest.raises(InvalidInput):
            apply_transform("redacted", "value", field_type="shoe_size")

    def test_unregister_unknown_is_refused(self) -> None:
        """Removing a name that is not registered raises InvalidInput."""
        with pytest.raises(InvalidInput):
            unregister_transform("never_registered")

    def test_non_string_value_yields_redacted(self) -> None:
        """Hostile non-string values show [REDACTED]."""
        assert apply_transform("last4", None, field_type="phone") == REDACTED  # type: ignore[arg-type]


def test_docs_example_runs() -> None:
    """The custom-transform example in docs/tokens.md runs as written and cleans up after itself."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    try:
        exec(compile(blocks[0], str(DOCS), "exec"), {})  # noqa: S102 - running our own docs
    finally:
        if "email_domain" in TRANSFORMS:
            unregister_transform("email_domain")
    assert "email_domain" not in TRANSFORMS


# Property tests: realistic values are never shown whole, and nothing ever raises.

_emails = st.emails().filter(lambda e: len(e.split("@")[0]) >= 2)
_card_numbers = st.integers(13, 19).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)
_phones = st.tuples(
    st.sampled_from(["", "+", "00"]),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), min_size=3, max_size=5),
    st.sampled_from([" ", "-", ".", ""]),
).map(lambda parts: parts[0] + parts[2].join(parts[1]))


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


@given(value=_emails, name=st.sampled_from(["email_mask", "redacted"]))
def test_email_is_never_shown_whole(value: str, name: str) -> None:
    """No email transform returns the full address or its full local part."""
    masked = apply_transform(name, value, field_type="email")
    assert value not in masked
    assert masked.rsplit("@", 1)[0] != value.rsplit("@", 1)[0]


@given(value=_card_numbers, name=st.sampled_from(["last4", "last2", "bin_last4", "redacted"]))
def test_card_number_is_never_shown_whole(value: str, name: str) -> None:
    """No card transform shows all the digits of a 13-19 digit number."""
    masked = apply_transform(name, value, field_type="card_number")
    assert _digits(masked) < len(value)


@given(value=_phones, name=st.sampled_from(["last4", "last2", "redacted"]))
def test_phone_is_never_shown_whole(value: str, name: str) -> None:
    """No phone transform shows all the digits of a phone number."""
    masked = apply_transform(name, value, field_type="phone")
    assert _digits(masked) < _digits(value)


@given(field_type=st.sampled_from(sorted(FIELD_TYPES)), value=st.text(max_size=300))
def test_applicable_builtins_never_raise_and_never_echo(field_type: str, value: str) -> None:
    """Every built-in applicable to a type returns a string other than a non-blank input."""
    for name in sorted(BUILTIN_TRANSFORMS):
        if not TRANSFORMS[name].applies_to(field_type):
            continue
        masked = apply_transform(name, value, field_type=field_type)
        assert isinstance(masked, str)
        assert not value.strip() or masked.strip() != value.strip()
