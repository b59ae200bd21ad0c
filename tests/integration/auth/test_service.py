"""The Authenticator on a real database: registration, login, throttling, MFA, sessions."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from argon2 import extract_parameters
from sqlalchemy import text

from privault.auth import (
    Authenticator,
    IssuedSession,
    LockedError,
    PasswordRejectedError,
    Refusal,
    SecondFactorResult,
    ThrottledError,
    messages_for,
)
from privault.auth.models import AccountKind, OperatorRole
from privault.config import Settings
from privault.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from privault.vault import Vault

from .conftest import ADDRESS, EMAIL, PASSWORD, MovableClock, with_auth
from .helpers import (
    account,
    audit_rows,
    code_at,
    current,
    enrol_totp,
    login,
    register,
    session_of,
    verify,
)


def build(vault: Vault, settings: Settings) -> Authenticator:
    """An Authenticator with other auth settings on the same vault."""
    return Authenticator.from_keys(
        settings.auth, derived=vault.keys.derived, audit=vault.audit, clock=vault.records.clock
    )


def refusal_code(result: object) -> str:
    """The error code of a refusal (fails the test if it is not one)."""
    assert isinstance(result, Refusal), result
    return result.error.code


class TestPasswordRules:
    """Registration applies NIST rev 4's rules."""

    def test_fourteen_characters_refused_fifteen_accepted(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """Without a second factor the minimum is 15 code points."""
        with vault.session() as db_session, pytest.raises(PasswordRejectedError) as caught:
            auth.register(db_session=db_session, login=EMAIL, password="Xk9#mQ2$vL8@pR")
        assert [r.code for r in caught.value.reasons] == ["too_short"]
        assert register(auth, vault, password="Xk9#mQ2$vL8@pR4")

    def test_sixty_four_emoji_accepted_and_verify(self, auth: Authenticator, vault: Vault) -> None:
        """64 emoji (astral code points) are a valid password and log in."""
        emoji = "🦊🐙🌵🎻🚲🧀🪐🦉🍄🎈🧭🪁🦔🌋🎲🧊" * 4
        assert len(emoji) == 64
        register(auth, vault, password=emoji)
        session_of(login(auth, vault, password=emoji))

    def test_composed_and_decomposed_accents_both_verify(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """é typed as U+00E9 or as e + U+0301 is the same password (NFKC)."""
        composed = unicodedata.normalize("NFC", "café mirador tangent 88 quill")
        decomposed = unicodedata.normalize("NFD", composed)
        assert composed != decomposed
        register(auth, vault, password=composed)
        session_of(login(auth, vault, password=decomposed))
        session_of(login(auth, vault, password=composed))

    def test_context_word_refused(self, auth: Authenticator, vault: Vault) -> None:
        """A password holding the email's local part is refused with guidance."""
        with vault.session() as db_session, pytest.raises(PasswordRejectedError) as caught:
            auth.register(
                db_session=db_session, login=EMAIL, password="Ada lovelace quokka 8812 ember"
            )
        assert "contains_context_word" in [r.code for r in caught.value.reasons]

    def test_common_password_refused(self, auth: Authenticator, vault: Vault) -> None:
        """A padded common password is refused as blocklisted."""
        with vault.session() as db_session, pytest.raises(PasswordRejectedError) as caught:
            auth.register(db_session=db_session, login=EMAIL, password="Password1234567!")
        assert "blocklisted" in [r.code for r in caught.value.reasons]

    def test_overlong_password_is_invalid_input(self, auth: Authenticator, vault: Vault) -> None:
        """A 10 KB password is InvalidInput at registration and at login, nothing stored."""
        huge = "x" * 10_240
        with vault.session() as db_session, pytest.raises(InvalidInput):
            auth.register(db_session=db_session, login=EMAIL, password=huge)
        with vault.session() as db_session, pytest.raises(InvalidInput):
            auth.login(db_session=db_session, login=EMAIL, password=huge, address=ADDRESS)
        with vault.session() as db_session:
            assert db_session.execute(text("SELECT count(*) FROM auth_accounts")).scalar() == 0

    @pytest.mark.parametrize("login_name", ["not-an-email", "a@b", "", "x" * 400 + "@example.com"])
    def test_malformed_login_name_is_invalid_input(
        self, auth: Authenticator, vault: Vault, login_name: str
    ) -> None:
        """A login name that is not an email address is refused before any work."""
        with vault.session() as db_session, pytest.raises(InvalidInput):
            auth.register(db_session=db_session, login=login_name, password=PASSWORD)


class TestRegistration:
    """Registration does not reveal which addresses have accounts."""

    def test_taken_address_answers_alike_and_notifies_owner(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """A second registration returns None, stores nothing new and tells the owner."""
        first = register(auth, vault)
        with vault.session() as db_session:
            again = auth.register(
                db_session=db_session, login=EMAIL.upper(), password="another fine passphrase 42"
            )
            assert again is None
            assert db_session.execute(text("SELECT count(*) FROM auth_accounts")).scalar() == 1
            notes = messages_for(db_session=db_session, keys=auth.keys, account_id=first)
        assert [n.kind for n in notes] == ["registration_attempt"]
        assert notes[0].recipient == EMAIL
        session_of(login(auth, vault))  # the original password still works

    def test_login_name_is_stored_only_as_hash_and_ciphertext(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """No table holds the email address in the clear."""
        register(auth, vault)
        with vault.session() as db_session:
            for table in ("auth_accounts", "audit_events"):
                rows = db_session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
                assert EMAIL.encode() not in repr(rows).encode()
                assert "lovelace" not in repr(rows)


class TestLogin:
    """Passwords, rehashing, enumeration-safe answers."""

    def test_unknown_account_and_wrong_password_answer_alike(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """Same error kind, code and message for an unknown name and a wrong password."""
        register(auth, vault)
        unknown = login(auth, vault, email="nobody@example.com")
        wrong = login(auth, vault, password="wrong " + PASSWORD)
        assert isinstance(unknown, Refusal)
        assert isinstance(wrong, Refusal)
        assert type(unknown.error) is type(wrong.error) is Unauthenticated
        assert (unknown.error.code, unknown.error.message) == (
            wrong.error.code,
            wrong.error.message,
        )

    def test_rehash_on_login_after_parameter_change_not_on_wrong_password(
        self, auth: Authenticator, vault: Vault, auth_settings: Settings
    ) -> None:
        """New argon2 parameters upgrade the stored hash on the next successful login only."""
        account_id = register(auth, vault)
        before = account(vault, account_id).password_hash
        assert extract_parameters(before).memory_cost == 64
        stronger = build(vault, with_auth(auth_settings, argon2_memory_kib=128))
        refusal_code(login(stronger, vault, password="wrong " + PASSWORD))
        assert account(vault, account_id).password_hash == before
        session_of(login(stronger, vault))
        after = account(vault, account_id).password_hash
        assert after != before
        assert extract_parameters(after).memory_cost == 128
        session_of(login(stronger, vault))
        assert account(vault, account_id).password_hash == after  # no churn once upgraded

    def test_pepper_configured_later_is_applied_at_next_login(
        self, auth: Authenticator, vault: Vault, auth_settings: Settings
    ) -> None:
        """Turning a pepper on re-peppers old hashes on login; they keep verifying."""
        account_id = register(auth, vault)
        peppered = build(vault, with_auth(auth_settings, pepper_key_id="p1"))
        session_of(login(peppered, vault))
        assert account(vault, account_id).password_hash.startswith("hmac-sha256:p1:")
        session_of(login(peppered, vault))

    def test_new_token_at_every_login(self, auth: Authenticator, vault: Vault) -> None:
        """Two logins give two different sessions and tokens of at least 128 bits."""
        register(auth, vault)
        first = session_of(login(auth, vault))
        second = session_of(login(auth, vault))
        assert first.token != second.token
        assert first.session_id != second.session_id
        assert len(first.token) >= 43  # 32 bytes, urlsafe base64: 256 bits

    def test_token_is_not_stored(self, auth: Authenticator, vault: Vault) -> None:
        """The sessions table holds an HMAC of the token, not the token."""
        register(auth, vault)
        issued = session_of(login(auth, vault))
        with vault.session() as db_session:
            rows = db_session.execute(text("SELECT * FROM auth_sessions")).all()
        assert issued.token not in repr(rows)
        assert issued.token.encode() not in b"".join(bytes(r.token_hash) for r in rows)

    def test_disabled_account_cannot_log_in(self, auth: Authenticator, vault: Vault) -> None:
        """A disabled account gets the ordinary wrong-credentials answer."""
        account_id = register(auth, vault)
        with vault.session() as db_session:
            db_session.execute(
                text("UPDATE auth_accounts SET disabled_at = created_at WHERE id = :id"),
                {"id": account_id},
            )
        assert refusal_code(login(auth, vault)) == "bad_credentials"


class TestThrottling:
    """Growing delays, the hard lock at 100, address limits, stuffing."""

    def test_delays_grow_after_free_failures(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """After 5 free failures: wait 1 s, then 2 s; a refusal carries the retry time."""
        register(auth, vault)
        for _ in range(6):
            assert refusal_code(login(auth, vault, password="wrong")) == "bad_credentials"
        early = login(auth, vault)
        assert isinstance(early, Refusal)
        assert isinstance(early.error, ThrottledError)
        assert early.error.retry_at == clock.now() + timedelta(seconds=1)
        clock.advance(seconds=1)
        refusal_code(login(auth, vault, password="wrong"))
        clock.advance(seconds=1)
        assert refusal_code(login(auth, vault)) == "login_throttled"
        clock.advance(seconds=1)
        session_of(login(auth, vault))  # the right password after the wait; the count resets
        with vault.session() as db_session:
            assert (
                db_session.execute(text("SELECT count(*) FROM auth_login_throttle")).scalar() == 0
            )

    @pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
    def test_hundred_and_first_attempt_refused_even_with_right_password(
        self, vault: Vault, auth_settings: Settings, known: bool
    ) -> None:
        """100 consecutive failures lock the login, known or not; the right password is refused."""
        lenient = build(
            vault,
            with_auth(
                auth_settings,
                free_failures=99,
                address_failures_per_minute=1000,
                address_failures_per_hour=1000,
            ),
        )
        email = EMAIL if known else "ghost@example.com"
        if known:
            register(lenient, vault)
        for attempt in range(100):
            assert refusal_code(login(lenient, vault, email=email, password=f"no {attempt}")) == (
                "bad_credentials"
            )
        result = login(lenient, vault, email=email)
        assert isinstance(result, Refusal)
        assert isinstance(result.error, LockedError)
        assert result.error.code == "login_locked"
        with vault.session() as db_session:
            events = audit_rows(db_session, "auth.login")
        assert len(events) == 101
        assert events[-1]["outcome"] == "denied"

    def test_address_limit_spans_accounts(self, auth: Authenticator, vault: Vault) -> None:
        """20 failures a minute from one address: the 21st is refused there, not elsewhere."""
        register(auth, vault)
        for n in range(20):
            refusal_code(login(auth, vault, email=f"u{n}@example.com", password="nope"))
        assert refusal_code(login(auth, vault)) == "address_throttled"
        session_of(login(auth, vault, address="203.0.113.9"))

    def test_credential_stuffing_is_a_security_event(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """Ten accounts with one failure each from one address raise auth.stuffing once."""
        for n in range(12):
            refusal_code(login(auth, vault, email=f"victim{n}@example.com", password="leaked pw"))
        with vault.session() as db_session:
            events = audit_rows(db_session, "auth.stuffing")
        assert len(events) == 1
        assert '"accounts":10' in str(events[0]["detail"])
        assert ADDRESS not in str(events[0])
        assert "victim" not in str(events[0])


class TestSecondFactor:
    """TOTP enrolment and verification, recovery codes, operators."""

    def test_enrolled_account_needs_the_code(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """After enrolment a login waits for the code; the code then gives an active session."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        enrolment, codes = enrol_totp(auth, vault, token)
        assert len(codes) == 10
        assert len(set(codes)) == 10
        pending = session_of(login(auth, vault))
        assert pending.stage == "mfa_pending"
        with pytest.raises(Unauthenticated):
            current(auth, vault, pending.token)  # not usable before the second factor
        clock.advance(seconds=30)
        result = verify(auth, vault, pending.token, code=code_at(enrolment.secret, auth))
        assert isinstance(result, SecondFactorResult)
        assert result.session.stage == "active"
        assert result.session.token != pending.token
        assert current(auth, vault, result.session.token).account_id
        with pytest.raises(Unauthenticated):  # the pending token was replaced
            verify(auth, vault, pending.token, code=code_at(enrolment.secret, auth))

    def test_adding_a_factor_ends_other_sessions_only(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """Sessions made before the authenticator end; the one that added it goes on."""
        register(auth, vault)
        other = session_of(login(auth, vault)).token
        mine = session_of(login(auth, vault)).token
        enrol_totp(auth, vault, mine)
        current(auth, vault, mine)
        with pytest.raises(Unauthenticated):
            current(auth, vault, other)

    def test_code_is_accepted_once(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """The same code a second time, within its window, is refused."""
        register(auth, vault)
        enrolment, _ = enrol_totp(auth, vault, session_of(login(auth, vault)).token)
        clock.advance(seconds=30)
        code = code_at(enrolment.secret, auth)
        assert isinstance(
            verify(auth, vault, session_of(login(auth, vault)).token, code=code), SecondFactorResult
        )
        again = verify(auth, vault, session_of(login(auth, vault)).token, code=code)
        assert refusal_code(again) == "bad_second_factor"

    def test_code_two_steps_old_refused(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """A code from two time steps ago is outside the window; one step ago is inside."""
        register(auth, vault)
        enrolment, _ = enrol_totp(auth, vault, session_of(login(auth, vault)).token)
        clock.advance(seconds=300)
        pending = session_of(login(auth, vault)).token
        assert (
            refusal_code(
                verify(auth, vault, pending, code=code_at(enrolment.secret, auth, steps=-2))
            )
            == "bad_second_factor"
        )
        result = verify(auth, vault, pending, code=code_at(enrolment.secret, auth, steps=-1))
        assert isinstance(result, SecondFactorResult)

    def test_recovery_code_single_use_and_renewed_after_last(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """Each recovery code works once; using the last one issues a new set."""
        account_id = register(auth, vault)
        _, codes = enrol_totp(auth, vault, session_of(login(auth, vault)).token)
        first = verify(auth, vault, session_of(login(auth, vault)).token, recovery_code=codes[0])
        assert isinstance(first, SecondFactorResult)
        assert first.recovery_codes is None
        reused = verify(auth, vault, session_of(login(auth, vault)).token, recovery_code=codes[0])
        assert refusal_code(reused) == "bad_second_factor"
        renewed: list[str] | None = None
        for code in codes[1:]:
            result = verify(
                auth, vault, session_of(login(auth, vault)).token, recovery_code=code.upper()
            )
            assert isinstance(result, SecondFactorResult)
            renewed = result.recovery_codes
        assert renewed is not None
        assert len(renewed) == 10
        assert not set(renewed) & set(codes)
        with vault.session() as db_session:
            notes = messages_for(db_session=db_session, keys=auth.keys, account_id=account_id)
        assert [n.kind for n in notes].count("recovery_code_used") == 10

    def test_wrong_codes_count_toward_the_lock(self, vault: Vault, auth_settings: Settings) -> None:
        """Failed second factors share the login's counter: no unlimited code guessing."""
        strict = build(vault, with_auth(auth_settings, free_failures=0, lock_after_failures=3))
        register(strict, vault)
        enrol_totp(strict, vault, session_of(login(strict, vault)).token)
        pending = session_of(login(strict, vault)).token
        assert refusal_code(verify(strict, vault, pending, code="000000")) == "bad_second_factor"
        assert refusal_code(verify(strict, vault, pending, code="000001")) == "login_throttled"

    def test_enrolment_requires_the_password(self, auth: Authenticator, vault: Vault) -> None:
        """Adding an authenticator with a wrong password is refused and audited."""
        register(auth, vault)
        who = current(auth, vault, session_of(login(auth, vault)).token)
        with vault.session() as db_session:
            result = auth.start_totp(
                db_session=db_session, current=who, password="nope", address=ADDRESS
            )
        assert refusal_code(result) == "bad_credentials"
        with vault.session() as db_session:
            assert audit_rows(db_session, "auth.totp.start")[0]["outcome"] == "denied"

    def test_second_enrolment_is_a_conflict(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """An account with a confirmed authenticator cannot silently replace it."""
        register(auth, vault)
        enrolment, _ = enrol_totp(auth, vault, session_of(login(auth, vault)).token)
        clock.advance(seconds=30)
        pending = session_of(login(auth, vault)).token
        result = verify(auth, vault, pending, code=code_at(enrolment.secret, auth))
        assert isinstance(result, SecondFactorResult)
        who = current(auth, vault, result.session.token)
        with vault.session() as db_session, pytest.raises(Conflict):
            auth.start_totp(db_session=db_session, current=who, password=PASSWORD, address=ADDRESS)

    def test_operator_must_present_a_code(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """An operator account is made with an authenticator; login always needs a code."""
        with vault.session() as db_session:
            made = auth.create_operator(
                db_session=db_session,
                login="ops@example.com",
                password=PASSWORD,
                role=OperatorRole.ADMIN,
            )
        assert made.totp.uri.startswith("otpauth://totp/")
        assert len(made.recovery_codes) == 10
        with vault.session() as db_session:
            pending = auth.login(
                db_session=db_session,
                login="ops@example.com",
                password=PASSWORD,
                address=ADDRESS,
                kind=AccountKind.OPERATOR,
            )
        assert isinstance(pending, IssuedSession)
        assert pending.stage == "mfa_pending"
        result = verify(auth, vault, pending.token, code=code_at(made.totp.secret, auth))
        assert isinstance(result, SecondFactorResult)
        who = current(auth, vault, result.session.token)
        assert (who.kind, who.role) == ("operator", "admin")
        # The customer namespace is separate: the same address is no customer.
        assert refusal_code(login(auth, vault, email="ops@example.com")) == "bad_credentials"

    def test_duplicate_operator_is_a_conflict(self, auth: Authenticator, vault: Vault) -> None:
        """Creating an operator twice under one login name fails."""
        with vault.session() as db_session:
            auth.create_operator(
                db_session=db_session,
                login="ops@example.com",
                password=PASSWORD,
                role=OperatorRole.DPO,
            )
        with vault.session() as db_session, pytest.raises(Conflict):
            auth.create_operator(
                db_session=db_session,
                login="ops@example.com",
                password=PASSWORD,
                role=OperatorRole.DPO,
            )


class TestSessions:
    """Timeouts, listing and ending sessions, password change, step-up."""

    def test_idle_timeout(self, auth: Authenticator, vault: Vault, clock: MovableClock) -> None:
        """A session unused for an hour ends."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        clock.advance(minutes=59)
        current(auth, vault, token)
        clock.advance(minutes=59)
        current(auth, vault, token)  # use moved the idle deadline
        clock.advance(minutes=61)
        with pytest.raises(Unauthenticated) as caught:
            current(auth, vault, token)
        assert caught.value.code == "session_expired"

    def test_absolute_timeout(self, auth: Authenticator, vault: Vault, clock: MovableClock) -> None:
        """A session in constant use still ends 24 hours after login."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        for _ in range(47):
            clock.advance(minutes=30)
            current(auth, vault, token)
        clock.advance(minutes=30)
        with pytest.raises(Unauthenticated):
            current(auth, vault, token)

    def test_list_and_end_own_sessions(self, auth: Authenticator, vault: Vault) -> None:
        """A person sees their sessions and ends one; others' sessions are not theirs to end."""
        register(auth, vault)
        a = session_of(login(auth, vault))
        b = session_of(login(auth, vault))
        register(auth, vault, email="other@example.com")
        other = session_of(login(auth, vault, email="other@example.com"))
        who = current(auth, vault, a.token)
        with vault.session() as db_session:
            views = auth.list_sessions(db_session=db_session, current=who)
            assert {v.id for v in views} == {a.session_id, b.session_id}
            assert [v.current for v in views if v.id == a.session_id] == [True]
            auth.end_session(db_session=db_session, current=who, session_id=b.session_id)
        with pytest.raises(Unauthenticated):
            current(auth, vault, b.token)
        with vault.session() as db_session, pytest.raises(NotFound):
            auth.end_session(db_session=db_session, current=who, session_id=other.session_id)
        current(auth, vault, other.token)

    def test_password_change_revokes_every_session(self, auth: Authenticator, vault: Vault) -> None:
        """Changing the password ends all sessions, issues a new one and notifies the owner."""
        account_id = register(auth, vault)
        a = session_of(login(auth, vault))
        b = session_of(login(auth, vault))
        with vault.session() as db_session:
            issued = auth.change_password(
                db_session=db_session, current=current(auth, vault, a.token),
                current_password=PASSWORD, new_password="marble otter jukebox 5521 fjord",
                address=ADDRESS,
            )  # fmt: skip
        new = session_of(issued)
        for old in (a, b):
            with pytest.raises(Unauthenticated):
                current(auth, vault, old.token)
        current(auth, vault, new.token)
        assert refusal_code(login(auth, vault)) == "bad_credentials"
        session_of(login(auth, vault, password="marble otter jukebox 5521 fjord"))
        with vault.session() as db_session:
            kinds = [
                m.kind
                for m in messages_for(db_session=db_session, keys=auth.keys, account_id=account_id)
            ]
        assert kinds == ["password_changed"]

    def test_password_change_needs_current_password_and_rules(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """A wrong current password or a weak new one is refused; nothing changes."""
        account_id = register(auth, vault)
        token = session_of(login(auth, vault)).token
        who = current(auth, vault, token)
        before = account(vault, account_id).password_hash
        with vault.session() as db_session:
            wrong = auth.change_password(
                db_session=db_session,
                current=who,
                current_password="x" * 20,
                new_password="marble otter jukebox 5521 fjord",
                address=ADDRESS,
            )
            weak = auth.change_password(
                db_session=db_session,
                current=who,
                current_password=PASSWORD,
                new_password="short",
                address=ADDRESS,
            )
        assert refusal_code(wrong) == "bad_credentials"
        assert isinstance(weak, Refusal)
        assert isinstance(weak.error, PasswordRejectedError)
        assert account(vault, account_id).password_hash == before
        current(auth, vault, token)

    def test_step_up_after_five_minutes(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """Sensitive operations need a recent authentication; re-auth gives a new token."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        with vault.session() as db_session:
            auth.require_step_up(db_session=db_session, token=token)
        clock.advance(minutes=10)
        with vault.session() as db_session, pytest.raises(PermissionDenied):
            auth.require_step_up(db_session=db_session, token=token)
        with vault.session() as db_session:
            fresh = session_of(
                auth.reauthenticate(
                    db_session=db_session,
                    current=current(auth, vault, token),
                    password=PASSWORD,
                    address=ADDRESS,
                )
            )
        with vault.session() as db_session:
            auth.require_step_up(db_session=db_session, token=fresh.token)
        with pytest.raises(Unauthenticated):
            current(auth, vault, token)

    @pytest.mark.parametrize("token", ["", "x" * 500, "not-a-token", "\x00\udcff"])
    def test_garbage_tokens_are_unauthenticated(
        self, auth: Authenticator, vault: Vault, token: str
    ) -> None:
        """Empty, huge and malformed tokens are refused without an error of another kind."""
        with pytest.raises(Unauthenticated):
            current(auth, vault, token)
