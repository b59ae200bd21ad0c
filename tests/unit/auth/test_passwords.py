"""Password rules: length, blocklist, context words, strength, malformed input."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privault.auth import PasswordPolicy, PasswordVerdict, check_password, normalise_password
from privault.errors import InvalidInput

POLICY = PasswordPolicy()
# Unrelated, unguessable letters: strong at any length from 8 up, so only length can fail them.
STRONG_ALPHABET = "bcdfghjkmnpqrstvwxz"


def strong(length: int, seed: int = 1) -> str:
    """A random-looking password of exactly ``length`` code points."""
    rng = random.Random(seed)
    return "".join(rng.choice(STRONG_ALPHABET) for _ in range(length))


def check(password: str, *, mfa: bool = False, context: tuple[str, ...] = ()) -> PasswordVerdict:
    """check_password with the default policy."""
    return check_password(password, policy=POLICY, has_second_factor=mfa, context_words=context)


class TestLength:
    def test_fourteen_characters_refused_without_second_factor(self) -> None:
        """Without MFA a 14-character password is too short, however random."""
        verdict = check(strong(14))
        assert not verdict.ok
        assert "too_short" in verdict.codes

    def test_fifteen_characters_accepted_without_second_factor(self) -> None:
        """Without MFA 15 strong characters are enough."""
        verdict = check(strong(15))
        assert verdict.ok, verdict.codes

    def test_eight_characters_accepted_with_second_factor(self) -> None:
        """With MFA the minimum drops to 8."""
        assert check(strong(8, seed=3), mfa=True).codes == ()

    def test_seven_characters_refused_with_second_factor(self) -> None:
        """With MFA 7 characters are still too short."""
        assert "too_short" in check(strong(7), mfa=True).codes

    def test_sixty_four_emoji_accepted(self) -> None:
        """64 emoji (astral code points, 4 UTF-8 bytes each) are a valid password."""
        rng = random.Random(7)
        emoji = [chr(c) for c in range(0x1F600, 0x1F650)]
        password = "".join(rng.choice(emoji) for _ in range(64))
        assert check(password).ok

    def test_length_counts_code_points_after_nfkc(self) -> None:
        """A ligature counts as the letters NFKC expands it to, not as one character."""
        # U+FB01 'ﬁ' becomes 'fi': 14 code points typed, 15 after normalisation.
        password = "\ufb01" + strong(13, seed=5)
        assert len(password) == 14
        assert "too_short" not in check(password).codes

    def test_combining_marks_count_as_code_points(self) -> None:
        """A decomposed accent that has no precomposed form counts as two code points."""
        # q + U+0301 has no composed form, so NFKC keeps both code points.
        password = "q\u0301" * 7 + "z"
        assert len(normalise_password(password)) == 15
        assert "too_short" not in check(password).codes

    def test_ten_kilobyte_password_is_invalid_input(self) -> None:
        """A 10 KB password is refused as malformed input (a 4xx), not checked or crashed on."""
        with pytest.raises(InvalidInput) as caught:
            check(strong(10 * 1024))
        assert caught.value.code == "password_too_long"

    def test_cap_is_configurable(self) -> None:
        """The hard cap follows the policy."""
        policy = PasswordPolicy(max_length=80)
        with pytest.raises(InvalidInput):
            check_password(strong(81), policy=policy, has_second_factor=False)
        assert check_password(strong(80), policy=policy, has_second_factor=False).ok

    def test_policy_below_nist_acceptance_of_64_is_refused(self) -> None:
        """A cap below 64 would refuse passwords NIST requires to be accepted."""
        with pytest.raises(InvalidInput):
            PasswordPolicy(max_length=63)


class TestNoCompositionRules:
    def test_lowercase_only_passphrase_accepted(self) -> None:
        """No digit, symbol or capital is demanded of a long passphrase."""
        assert check("kangaroo velvet lamp orbit").ok

    def test_symbols_do_not_rescue_a_short_password(self) -> None:
        """Composition does not substitute for length."""
        assert "too_short" in check("Xq9!vR#2mK$7").codes


class TestBlocklist:
    @pytest.mark.parametrize(
        "password",
        ["password1234567", "PASSWORD1234567", "!!Dragon2024!!!!", "123456789012345qwerty"],
    )
    def test_common_password_padded_with_digits_or_symbols_refused(self, password: str) -> None:
        """A common password, in any case, padded to length with digits/symbols is refused."""
        assert "blocklisted" in check(password).codes

    def test_common_password_as_a_whole_refused(self) -> None:
        """A listed password is refused even when it is long enough on its own."""
        assert (
            "blocklisted" in check("1qaz2wsx3edc4rfv").codes
            or "blocklisted" in check("ihateyouihateyou").codes
        )

    def test_listed_word_inside_a_passphrase_is_not_blocklisted(self) -> None:
        """Only the whole password or its padded core is matched, not words within."""
        assert "blocklisted" not in check("dragon velvet harbour quince").codes


class TestContextWords:
    CONTEXT = ("jane.doe@example-store.com", "Jane Doe", "Acme Shop")

    @pytest.mark.parametrize(
        "password",
        [
            "JaneDoe-walks-far-2031",
            "velvet-harbour-acmeshop",
            "my example-store.com login!",
            "quince JANE orbit velvet",
        ],
    )
    def test_password_containing_context_word_refused(self, password: str) -> None:
        """Name, email parts and shop name are refused case-insensitively."""
        assert "contains_context_word" in check(password, context=self.CONTEXT).codes

    def test_short_context_words_ignored(self) -> None:
        """Context words under 4 characters ("com", "doe" alone is 3) do not refuse anything."""
        verdict = check("quince com orbit velvet", context=("x@y.com", "Al Ng"))
        assert "contains_context_word" not in verdict.codes

    def test_context_guidance_does_not_echo_the_word(self) -> None:
        """Guidance names the kind of word, never the customer's name or email."""
        verdict = check("JaneDoe-walks-far-2031", context=self.CONTEXT)
        text = " ".join(reason.guidance for reason in verdict.reasons).casefold()
        assert "jane" not in text
        assert "example-store" not in text


class TestStrength:
    def test_low_zxcvbn_score_refused(self) -> None:
        """A long but trivially patterned password is refused as too guessable."""
        assert "too_guessable" in check("abcdefghijklmnop").codes

    def test_eight_random_characters_too_guessable_for_single_factor_floor(self) -> None:
        """The single-factor floor (score 3) is out of reach for 8 characters, hence 15."""
        verdict = check_password(
            strong(8, seed=3),
            policy=PasswordPolicy(min_length_single_factor=8),
            has_second_factor=False,
        )
        assert verdict.codes == ("too_guessable",)

    def test_threshold_is_configurable(self) -> None:
        """With the floor at 0 the same password passes the strength rule."""
        policy = PasswordPolicy(min_zxcvbn_score=0, min_zxcvbn_score_with_mfa=0)
        verdict = check_password("abcdefghijklmnop", policy=policy, has_second_factor=False)
        assert "too_guessable" not in verdict.codes

    def test_every_reason_carries_guidance(self) -> None:
        """Each refusal gives a code and non-empty guidance."""
        verdict = check("password")
        assert verdict.reasons
        assert all(reason.code and reason.guidance for reason in verdict.reasons)

    def test_estimate_only_sees_the_first_hundred_characters(self) -> None:
        """A long password whose first 100 characters are weak is judged on them (no crash)."""
        verdict = check("a" * 100 + strong(200))
        assert "too_guessable" in verdict.codes


class TestHostileInput:
    def test_lone_surrogate_is_invalid_input(self) -> None:
        """A lone surrogate (possible via JSON escapes) is malformed input, not a crash."""
        with pytest.raises(InvalidInput) as caught:
            check("abc\ud800" + strong(20))
        assert caught.value.code == "password_invalid_unicode"

    def test_non_text_is_invalid_input(self) -> None:
        """Bytes instead of text are refused with InvalidInput."""
        with pytest.raises(InvalidInput):
            check(b"bytes-not-text-at-all" * 2)  # type: ignore[arg-type]

    @settings(max_examples=60, deadline=None)
    @given(st.text(max_size=40))
    def test_any_text_yields_a_verdict(self, password: str) -> None:
        """Any Unicode text up to the cap gives a verdict and never an unexpected error."""
        verdict = check(password, context=("someone@example.com",))
        assert verdict.ok == (not verdict.reasons)

    def test_canary_never_in_verdict(self) -> None:
        """The password appears nowhere in a verdict, its reasons or its guidance."""
        canary = "canarypassword7f3a"
        verdict = check(canary, context=("canary@example.com",))
        assert not verdict.ok
        assert canary not in repr(verdict)
        assert "canary" not in repr(verdict).casefold()

    def test_canary_never_in_too_long_error(self) -> None:
        """The over-long password is not quoted in the error or its context."""
        canary = "canary-7f3a9c-" * 100
        with pytest.raises(InvalidInput) as caught:
            check(canary)
        assert "canary" not in str(caught.value)
        assert "canary" not in repr(caught.value.context)
