"""Security keys and passkeys (WebAuthn) through the Authenticator, with a software key."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import select

from privault.auth import (
    AccountKind,
    Authenticator,
    IssuedSession,
    OperatorRole,
    Refusal,
    SecondFactorResult,
    WebAuthnOptions,
    WebAuthnRegistered,
    messages_for,
)
from privault.auth.models import WebAuthnChallenge, WebAuthnCredential
from privault.auth.service import passkey_login
from privault.config import Settings
from privault.errors import InvalidInput, Unauthenticated, Unavailable
from privault.vault import Vault

from .conftest import ADDRESS, PASSWORD, MovableClock, with_auth
from .helpers import audit_rows, code_at, current, login, register, session_of, verify
from .softkey import FLAG_AT, FLAG_UP, FLAG_UV, ORIGIN, RP_ID, SoftKey, b64url


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    """Cheap hashing and a relying party at shop.example."""
    return with_auth(settings, webauthn_rp_id=RP_ID, webauthn_origins=[ORIGIN])


def refusal_code(result: object) -> str:
    """The error code of a refusal (fails the test if it is not one)."""
    assert isinstance(result, Refusal), result
    return result.error.code


def start_registration(auth: Authenticator, vault: Vault, token: str) -> WebAuthnOptions:
    """Registration options for the session of ``token``."""
    who = current(auth, vault, token)
    with vault.session() as db_session:
        options = auth.start_webauthn_registration(db_session=db_session, current=who)
    assert isinstance(options, WebAuthnOptions), options
    return options


def finish_registration(
    auth: Authenticator, vault: Vault, token: str, challenge_id: str, credential: dict[str, Any]
) -> WebAuthnRegistered | Refusal:
    """Send a registration response in its own transaction."""
    who = current(auth, vault, token)
    with vault.session() as db_session:
        return auth.finish_webauthn_registration(
            db_session=db_session, current=who, challenge_id=challenge_id, credential=credential
        )


def enrol_key(auth: Authenticator, vault: Vault, token: str, key: SoftKey) -> WebAuthnRegistered:
    """Register ``key`` for the session's account."""
    options = start_registration(auth, vault, token)
    result = finish_registration(
        auth, vault, token, options.challenge_id, key.register(options.options)
    )
    assert isinstance(result, WebAuthnRegistered), result
    return result


def start_login(auth: Authenticator, vault: Vault, token: str) -> WebAuthnOptions:
    """Authentication options for a session waiting for its second factor."""
    with vault.session() as db_session:
        options = auth.start_webauthn_login(db_session=db_session, token=token)
    assert isinstance(options, WebAuthnOptions), options
    return options


def finish_login(
    auth: Authenticator, vault: Vault, token: str, challenge_id: str, credential: dict[str, Any]
) -> SecondFactorResult | Refusal:
    """Send an assertion in its own transaction."""
    with vault.session() as db_session:
        return auth.finish_webauthn_login(
            db_session=db_session, token=token, address=ADDRESS, challenge_id=challenge_id,
            credential=credential,
        )  # fmt: skip


def pending_token(auth: Authenticator, vault: Vault) -> str:
    """Log in with the password; the session must wait for the second factor."""
    issued = session_of(login(auth, vault))
    assert issued.stage == "mfa_pending"
    return issued.token


@pytest.fixture
def enrolled(auth: Authenticator, vault: Vault) -> tuple[str, SoftKey]:
    """A customer with one registered software key; returns the account id and the key."""
    account_id = register(auth, vault)
    key = SoftKey()
    enrol_key(auth, vault, session_of(login(auth, vault)).token, key)
    return account_id, key


def stored_key(vault: Vault) -> WebAuthnCredential:
    """The one stored credential."""
    with vault.session() as db_session:
        return db_session.scalars(select(WebAuthnCredential)).one()


def operations(vault: Vault, operation: str) -> list[dict[str, object]]:
    """Audit events of one operation."""
    with vault.session() as db_session:
        return audit_rows(db_session, operation)


class TestRegistration:
    """Adding a security key needs a fresh session and a response that verifies."""

    def test_first_key_is_stored_with_recovery_codes_and_a_notice(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """The key, its public key and counter are stored; the owner is told; codes are new."""
        account_id = register(auth, vault)
        key = SoftKey()
        result = enrol_key(auth, vault, session_of(login(auth, vault)).token, key)
        assert result.recovery_codes is not None
        assert len(result.recovery_codes) == 10
        assert result.credential.transports == ["usb", "nfc"]
        stored = stored_key(vault)
        assert stored.credential_id == key.credential_id
        assert stored.account_id == account_id
        assert stored.sign_count == 0
        with vault.session() as db_session:
            kinds = [m.kind for m in messages_for(db_session=db_session, keys=auth.keys,
                                                   account_id=account_id)]  # fmt: skip
        assert "factor_added" in kinds
        assert [e["outcome"] for e in operations(vault, "auth.webauthn.register")] == ["ok"]

    def test_second_key_gives_no_new_recovery_codes(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """Only the first second factor brings recovery codes."""
        token = session_of(login(auth, vault)).token  # mfa_pending: no registering
        with pytest.raises(Unauthenticated):
            current(auth, vault, token)
        options = start_login(auth, vault, token)
        done = finish_login(
            auth, vault, token, options.challenge_id, enrolled[1].authenticate(options.options)
        )
        assert isinstance(done, SecondFactorResult)
        result = enrol_key(auth, vault, done.session.token, SoftKey())
        assert result.recovery_codes is None

    def test_needs_a_recent_authentication(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """Past the step-up window the options are refused, and the refusal is audited."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        clock.advance(seconds=auth.settings.step_up_s + 1)
        who = current(auth, vault, token)
        with vault.session() as db_session:
            result = auth.start_webauthn_registration(db_session=db_session, current=who)
        assert refusal_code(result) == "step_up_required"
        events = operations(vault, "auth.webauthn.register_start")
        assert [e["outcome"] for e in events] == ["denied"]

    def test_ends_other_sessions_only(self, auth: Authenticator, vault: Vault) -> None:
        """Sessions made before the key end; the one that added it goes on."""
        register(auth, vault)
        other = session_of(login(auth, vault)).token
        mine = session_of(login(auth, vault)).token
        enrol_key(auth, vault, mine, SoftKey())
        current(auth, vault, mine)
        with pytest.raises(Unauthenticated):
            current(auth, vault, other)

    @pytest.mark.parametrize(
        ("bend", "reason"),
        [
            ({"origin": "https://evil.example"}, "origin"),
            ({"rp_id": "evil.example"}, "rp_id"),
            ({"challenge": b"\x01" * 32}, "challenge"),
            ({"flags": FLAG_AT}, "user not present"),
        ],
    )
    def test_response_that_does_not_match_is_refused(
        self, auth: Authenticator, vault: Vault, bend: dict[str, Any], reason: str
    ) -> None:
        """Wrong origin, RP id, challenge, or no user presence: refused, nothing stored."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, token)
        response = SoftKey().register(options.options, **bend)
        result = finish_registration(auth, vault, token, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_failed", reason
        with vault.session() as db_session:
            assert db_session.scalars(select(WebAuthnCredential)).all() == []
        assert [e["outcome"] for e in operations(vault, "auth.webauthn.register")] == ["denied"]

    def test_challenge_is_single_use(self, auth: Authenticator, vault: Vault) -> None:
        """The same challenge answered twice: the second is refused before any verification."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, token)
        response = SoftKey().register(options.options)
        assert isinstance(
            finish_registration(auth, vault, token, options.challenge_id, response),
            WebAuthnRegistered,
        )
        again = finish_registration(auth, vault, token, options.challenge_id, response)
        assert refusal_code(again) == "webauthn_challenge"

    def test_failed_attempt_uses_up_the_challenge(self, auth: Authenticator, vault: Vault) -> None:
        """A wrong answer burns the challenge: the right one cannot follow on it."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, token)
        key = SoftKey()
        bad = key.register(options.options, origin="https://evil.example")
        assert refusal_code(finish_registration(auth, vault, token, options.challenge_id, bad))
        good = key.register(options.options)
        result = finish_registration(auth, vault, token, options.challenge_id, good)
        assert refusal_code(result) == "webauthn_challenge"

    def test_challenge_expires(
        self, auth: Authenticator, vault: Vault, clock: MovableClock
    ) -> None:
        """A challenge older than its lifetime is refused."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, token)
        clock.advance(seconds=auth.settings.webauthn_challenge_ttl_s)
        response = SoftKey().register(options.options)
        result = finish_registration(auth, vault, token, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_challenge"

    def test_challenge_is_bound_to_its_session(self, auth: Authenticator, vault: Vault) -> None:
        """Another session of the same account cannot answer it."""
        register(auth, vault)
        first = session_of(login(auth, vault)).token
        second = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, first)
        response = SoftKey().register(options.options)
        result = finish_registration(auth, vault, second, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_challenge"

    def test_asking_again_replaces_the_pending_challenge(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """One pending challenge per session and ceremony: the table cannot be filled."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        first = start_registration(auth, vault, token)
        for _ in range(5):
            last = start_registration(auth, vault, token)
        with vault.session() as db_session:
            assert db_session.scalars(select(WebAuthnChallenge.id)).all() == [last.challenge_id]
        result = finish_registration(
            auth, vault, token, first.challenge_id, SoftKey().register(first.options)
        )
        assert refusal_code(result) == "webauthn_challenge"

    def test_same_key_twice_is_a_conflict(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """A credential id is registered once."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        done = finish_login(
            auth, vault, token, options.challenge_id, enrolled[1].authenticate(options.options)
        )
        assert isinstance(done, SecondFactorResult)
        again = start_registration(auth, vault, done.session.token)
        excluded = [c["id"] for c in again.options["excludeCredentials"]]
        assert excluded == [b64url(enrolled[1].credential_id)]
        result = finish_registration(
            auth, vault, done.session.token, again.challenge_id,
            enrolled[1].register(again.options),
        )  # fmt: skip
        assert refusal_code(result) == "webauthn_exists"

    def test_unconfigured_server_refuses(self, vault: Vault, settings: Settings) -> None:
        """Without a relying-party id the ceremonies are unavailable, not half-working."""
        plain = Authenticator.from_keys(
            with_auth(settings).auth, derived=vault.keys.derived, audit=vault.audit,
            clock=vault.records.clock,
        )  # fmt: skip
        register(plain, vault)
        who = current(plain, vault, session_of(login(plain, vault)).token)
        with vault.session() as db_session, pytest.raises(Unavailable):
            plain.start_webauthn_registration(db_session=db_session, current=who)


class TestLogin:
    """A registered key is the second factor at login."""

    def test_key_completes_the_login(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey], clock: MovableClock
    ) -> None:
        """Password, then key: an active session; counter and last use are stored."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        assert options.options["rpId"] == RP_ID
        assert [c["id"] for c in options.options["allowCredentials"]] == [
            b64url(enrolled[1].credential_id)
        ]
        result = finish_login(
            auth, vault, token, options.challenge_id, enrolled[1].authenticate(options.options)
        )
        assert isinstance(result, SecondFactorResult)
        assert isinstance(result.session, IssuedSession)
        assert result.session.stage == "active"
        assert current(auth, vault, result.session.token).account_id == enrolled[0]
        stored = stored_key(vault)
        assert stored.sign_count == 1
        assert stored.last_used_at == clock.now()
        with pytest.raises(Unauthenticated):  # the pending token was replaced
            start_login(auth, vault, token)
        methods = [e["detail"] for e in operations(vault, "auth.mfa")]
        assert any("webauthn" in str(d) for d in methods)

    def test_counter_that_does_not_rise_is_refused_as_a_clone(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """After counter 5 a response with 5 (or less) is a copied key: refused and audited."""
        key = enrolled[1]
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        ok = finish_login(
            auth, vault, token, options.challenge_id, key.authenticate(options.options, counter=5)
        )
        assert isinstance(ok, SecondFactorResult)
        for counter in (5, 3):
            token = pending_token(auth, vault)
            options = start_login(auth, vault, token)
            cloned = key.authenticate(options.options, counter=counter)
            result = finish_login(auth, vault, token, options.challenge_id, cloned)
            assert refusal_code(result) == "webauthn_failed"
        assert stored_key(vault).sign_count == 5
        assert len(operations(vault, "auth.webauthn.cloned")) == 2
        with vault.session() as db_session:
            kinds = [m.kind for m in messages_for(db_session=db_session, keys=auth.keys,
                                                   account_id=enrolled[0])]  # fmt: skip
        assert "webauthn_clone" in kinds

    def test_key_without_a_counter_is_accepted_each_time(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """An authenticator that keeps no counter (always 0) is allowed by the spec."""
        register(auth, vault)
        key = SoftKey()
        enrol_key(auth, vault, session_of(login(auth, vault)).token, key)
        for _ in range(2):
            token = pending_token(auth, vault)
            options = start_login(auth, vault, token)
            result = finish_login(
                auth, vault, token, options.challenge_id,
                key.authenticate(options.options, counter=0),
            )  # fmt: skip
            assert isinstance(result, SecondFactorResult)

    def test_forged_signature_is_refused_and_not_called_a_clone(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """Someone who knows the credential id but not the key: refused, no clone alarm."""
        forger = SoftKey(credential_id=enrolled[1].credential_id)
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        result = finish_login(
            auth, vault, token, options.challenge_id,
            forger.authenticate(options.options, counter=0),
        )  # fmt: skip
        assert refusal_code(result) == "webauthn_failed"
        assert operations(vault, "auth.webauthn.cloned") == []

    def test_unknown_credential_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """A key the account never registered."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        result = finish_login(
            auth, vault, token, options.challenge_id, SoftKey().authenticate(options.options)
        )
        assert refusal_code(result) == "webauthn_failed"
        denied = [e for e in operations(vault, "auth.mfa") if e["outcome"] == "denied"]
        assert "unknown_credential" in str(denied[-1]["detail"])

    def test_another_accounts_key_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """Bob's key does not complete Ada's login."""
        register(auth, vault, email="bob@example.com")
        bobs = SoftKey()
        enrol_key(auth, vault, session_of(login(auth, vault, email="bob@example.com")).token, bobs)
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        result = finish_login(
            auth, vault, token, options.challenge_id, bobs.authenticate(options.options)
        )
        assert refusal_code(result) == "webauthn_failed"

    @pytest.mark.parametrize(
        "bend",
        [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"flags": 0}],
    )
    def test_mismatched_assertion_is_refused(
        self,
        auth: Authenticator,
        vault: Vault,
        enrolled: tuple[str, SoftKey],
        bend: dict[str, Any],
    ) -> None:
        """Wrong origin, RP id, or no user presence."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        response = enrolled[1].authenticate(options.options, **bend)
        result = finish_login(auth, vault, token, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_failed"

    def test_wrong_challenge_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """A signature over another challenge."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        response = enrolled[1].authenticate(options.options, challenge=os.urandom(32))
        result = finish_login(auth, vault, token, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_failed"

    def test_replayed_assertion_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """A captured answer, sent again on its own challenge or on a new one."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        captured = enrolled[1].authenticate(options.options)
        assert isinstance(
            finish_login(auth, vault, token, options.challenge_id, captured), SecondFactorResult
        )
        token = pending_token(auth, vault)
        again = finish_login(auth, vault, token, options.challenge_id, captured)
        assert refusal_code(again) == "webauthn_challenge"
        fresh = start_login(auth, vault, token)
        replay = finish_login(auth, vault, token, fresh.challenge_id, captured)
        assert refusal_code(replay) == "webauthn_failed"

    def test_failures_count_toward_the_lock(self, vault: Vault, settings: Settings) -> None:
        """Bad assertions share the login's failure counter: no unlimited guessing."""
        strict_settings = with_auth(
            settings, webauthn_rp_id=RP_ID, webauthn_origins=[ORIGIN], free_failures=0
        )
        strict = Authenticator.from_keys(
            strict_settings.auth, derived=vault.keys.derived, audit=vault.audit,
            clock=vault.records.clock,
        )  # fmt: skip
        register(strict, vault)
        key = SoftKey()
        enrol_key(strict, vault, session_of(login(strict, vault)).token, key)
        token = pending_token(strict, vault)
        options = start_login(strict, vault, token)
        bad = SoftKey().authenticate(options.options)
        first = finish_login(strict, vault, token, options.challenge_id, bad)
        assert refusal_code(first) == "webauthn_failed"
        options = start_login(strict, vault, token)
        good = key.authenticate(options.options)
        second = finish_login(strict, vault, token, options.challenge_id, good)
        assert refusal_code(second) == "login_throttled"

    def test_options_need_a_session_waiting_for_the_second_factor(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """No token, or an active session's token: no options."""
        with vault.session() as db_session, pytest.raises(Unauthenticated):
            auth.start_webauthn_login(db_session=db_session, token=None)

    def test_account_without_a_key_gets_a_conflict(self, auth: Authenticator, vault: Vault) -> None:
        """An operator with only an authenticator app has no key to present."""
        with vault.session() as db_session:
            auth.create_operator(
                db_session=db_session, login="op@example.com",
                password=PASSWORD, role=OperatorRole.ADMIN,
            )  # fmt: skip
        with vault.session() as db_session:
            issued = auth.login(
                db_session=db_session, login="op@example.com",
                password=PASSWORD, address=ADDRESS,
                kind=AccountKind.OPERATOR,
            )  # fmt: skip
        token = session_of(issued).token
        with vault.session() as db_session:
            result = auth.start_webauthn_login(db_session=db_session, token=token)
        assert refusal_code(result) == "no_webauthn_credential"


def start_passkey(auth: Authenticator, vault: Vault) -> WebAuthnOptions:
    """Passwordless options, no session."""
    with vault.session() as db_session:
        options = auth.start_passkey_login(db_session=db_session, address=ADDRESS)
    assert isinstance(options, WebAuthnOptions), options
    return options


def finish_passkey(
    auth: Authenticator, vault: Vault, challenge_id: str, credential: dict[str, Any]
) -> IssuedSession | Refusal:
    """Send a passwordless assertion in its own transaction."""
    with vault.session() as db_session:
        return auth.finish_passkey_login(
            db_session=db_session, address=ADDRESS, challenge_id=challenge_id,
            credential=credential,
        )  # fmt: skip


UV = FLAG_UP | FLAG_UV


class TestPasswordless:
    """A customer's passkey alone logs in, with user verification and its user handle."""

    def test_passkey_logs_in_without_a_password(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """No account named in the options; the key's answer names it; an active session."""
        options = start_passkey(auth, vault)
        assert options.options["allowCredentials"] == []
        assert options.options["userVerification"] == "required"
        issued = finish_passkey(
            auth, vault, options.challenge_id, enrolled[1].authenticate(options.options, flags=UV)
        )
        assert isinstance(issued, IssuedSession)
        assert issued.stage == "active"
        assert current(auth, vault, issued.token).account_id == enrolled[0]
        logins = [e for e in operations(vault, "auth.login") if "passkey" in str(e["detail"])]
        assert [e["outcome"] for e in logins] == ["ok"]

    @pytest.mark.parametrize(
        ("bend", "reason"),
        [
            ({"flags": FLAG_UP}, "no user verification"),
            ({"user_handle": b"acc_someone_else"}, "another user's handle"),
            ({"origin": "https://evil.example"}, "origin"),
            ({"challenge": b"\x02" * 32}, "challenge"),
        ],
    )
    def test_unverified_or_mismatched_passkey_is_refused(
        self,
        auth: Authenticator,
        vault: Vault,
        enrolled: tuple[str, SoftKey],
        bend: dict[str, Any],
        reason: str,
    ) -> None:
        """Each condition alone is enough to refuse; the refusal is audited."""
        options = start_passkey(auth, vault)
        response = enrolled[1].authenticate(options.options, **{"flags": UV, **bend})
        result = finish_passkey(auth, vault, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_failed", reason
        denied = [e for e in operations(vault, "auth.login") if e["outcome"] == "denied"]
        assert len(denied) == 1

    def test_missing_user_handle_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """A credential that does not name its user is no passkey."""
        options = start_passkey(auth, vault)
        response = enrolled[1].authenticate(options.options, flags=UV)
        del response["response"]["userHandle"]
        result = finish_passkey(auth, vault, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_failed"

    def test_unknown_passkey_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """A key nobody registered."""
        options = start_passkey(auth, vault)
        stranger = SoftKey(user_handle=enrolled[0].encode())
        result = finish_passkey(
            auth, vault, options.challenge_id, stranger.authenticate(options.options, flags=UV)
        )
        assert refusal_code(result) == "webauthn_failed"

    def test_challenge_is_single_use_and_not_shared_with_mfa(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """Replayed: refused. A second-factor challenge cannot serve a passwordless login."""
        key = enrolled[1]
        options = start_passkey(auth, vault)
        answer = key.authenticate(options.options, flags=UV)
        assert isinstance(finish_passkey(auth, vault, options.challenge_id, answer), IssuedSession)
        again = finish_passkey(auth, vault, options.challenge_id, answer)
        assert refusal_code(again) == "webauthn_challenge"
        mfa = start_login(auth, vault, pending_token(auth, vault))
        result = finish_passkey(
            auth, vault, mfa.challenge_id, key.authenticate(mfa.options, flags=UV)
        )
        assert refusal_code(result) == "webauthn_challenge"

    def test_clone_is_refused_here_too(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """The counter rule holds for passwordless logins."""
        key = enrolled[1]
        options = start_passkey(auth, vault)
        ok = key.authenticate(options.options, flags=UV, counter=3)
        assert isinstance(finish_passkey(auth, vault, options.challenge_id, ok), IssuedSession)
        options = start_passkey(auth, vault)
        cloned = key.authenticate(options.options, flags=UV, counter=2)
        assert refusal_code(finish_passkey(auth, vault, options.challenge_id, cloned))
        assert len(operations(vault, "auth.webauthn.cloned")) == 1

    def test_operators_cannot_log_in_without_a_password(
        self, auth: Authenticator, vault: Vault
    ) -> None:
        """An operator's registered key is a second factor only."""
        with vault.session() as db_session:
            made = auth.create_operator(
                db_session=db_session, login="op@example.com", password=PASSWORD,
                role=OperatorRole.ADMIN,
            )  # fmt: skip
        with vault.session() as db_session:
            pending = auth.login(
                db_session=db_session, login="op@example.com", password=PASSWORD,
                address=ADDRESS, kind=AccountKind.OPERATOR,
            )  # fmt: skip
        done = verify(auth, vault, session_of(pending).token, code=code_at(made.totp.secret, auth))
        assert isinstance(done, SecondFactorResult)
        key = SoftKey()
        enrol_key(auth, vault, done.session.token, key)
        options = start_passkey(auth, vault)
        result = finish_passkey(
            auth, vault, options.challenge_id, key.authenticate(options.options, flags=UV)
        )
        assert refusal_code(result) == "webauthn_failed"

    def test_pending_challenges_are_capped(
        self, auth: Authenticator, vault: Vault, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Anonymous callers cannot fill the challenge table."""
        monkeypatch.setattr(passkey_login, "MAX_PENDING_PASSKEY_CHALLENGES", 2)
        start_passkey(auth, vault)
        start_passkey(auth, vault)
        with vault.session() as db_session:
            result = auth.start_passkey_login(db_session=db_session, address=ADDRESS)
        assert refusal_code(result) == "busy"


class TestManagement:
    """Listing and removing keys."""

    def test_list_shows_no_key_material(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """Ids, times and transports only."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        done = finish_login(
            auth, vault, token, options.challenge_id, enrolled[1].authenticate(options.options)
        )
        assert isinstance(done, SecondFactorResult)
        who = current(auth, vault, done.session.token)
        with vault.session() as db_session:
            views = auth.list_webauthn_credentials(db_session=db_session, current=who)
        assert [v.id for v in views] == [stored_key(vault).id]
        assert not hasattr(views[0], "public_key")

    def test_removal_needs_recent_authentication_then_drops_the_factor(
        self,
        auth: Authenticator,
        vault: Vault,
        enrolled: tuple[str, SoftKey],
        clock: MovableClock,
    ) -> None:
        """Stale session: refused; the password cannot refresh it, the key can. Fresh: removed,
        owner told, next login needs no key."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        done = finish_login(
            auth, vault, token, options.challenge_id, enrolled[1].authenticate(options.options)
        )
        assert isinstance(done, SecondFactorResult)
        key_id = stored_key(vault).id
        clock.advance(seconds=auth.settings.step_up_s + 1)
        who = current(auth, vault, done.session.token)
        with vault.session() as db_session:
            stale = auth.remove_webauthn_credential(
                db_session=db_session, current=who, credential_id=key_id
            )
        assert refusal_code(stale) == "step_up_required"
        with vault.session() as db_session:
            by_password = auth.reauthenticate(
                db_session=db_session, current=who,
                password=PASSWORD, address=ADDRESS,
            )  # fmt: skip
        assert refusal_code(by_password) == "webauthn_required"
        with vault.session() as db_session:
            step_up = auth.start_webauthn_step_up(db_session=db_session, current=who)
        assert isinstance(step_up, WebAuthnOptions)
        with vault.session() as db_session:
            fresh = auth.finish_webauthn_step_up(
                db_session=db_session, current=who, address=ADDRESS,
                challenge_id=step_up.challenge_id, password=PASSWORD,
                credential=enrolled[1].authenticate(step_up.options),
            )  # fmt: skip
        assert isinstance(fresh, IssuedSession)
        who = current(auth, vault, fresh.token)
        with vault.session() as db_session:
            assert (
                auth.remove_webauthn_credential(
                    db_session=db_session, current=who, credential_id=key_id
                )
                is None
            )
        with vault.session() as db_session:
            kinds = [m.kind for m in messages_for(db_session=db_session, keys=auth.keys,
                                                   account_id=enrolled[0])]  # fmt: skip
        assert "factor_removed" in kinds
        assert session_of(login(auth, vault)).stage == "active"

    def test_cannot_remove_someone_elses_key(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """Another account's key id is simply not found."""
        register(auth, vault, email="bob@example.com")
        bob = current(auth, vault, session_of(login(auth, vault, email="bob@example.com")).token)
        with vault.session() as db_session:
            result = auth.remove_webauthn_credential(
                db_session=db_session, current=bob, credential_id=stored_key(vault).id
            )
        assert refusal_code(result) == "webauthn_not_found"


class TestMalformedInput:
    """Hostile responses are refusals (or InvalidInput), never crashes."""

    @pytest.mark.parametrize(
        "credential",
        [
            {},
            {"id": "x"},
            {"id": "!!", "rawId": "!!", "type": "public-key", "response": {}},
            {"id": "AA", "rawId": "AA", "type": "public-key", "response": "nope"},
            {"id": "AA", "rawId": "AA", "type": "bogus", "response": {}},
            {
                "id": "AA",
                "rawId": "AA",
                "type": "public-key",
                "response": {"clientDataJSON": "e30", "attestationObject": "oA"},
            },
            {
                "id": "AA",
                "rawId": "AA",
                "type": "public-key",
                "response": {"clientDataJSON": 5, "attestationObject": ["a"]},
            },
        ],
    )
    def test_garbage_registration_is_refused(
        self, auth: Authenticator, vault: Vault, credential: dict[str, Any]
    ) -> None:
        """Missing fields, bad base64, bad CBOR, wrong types."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, token)
        result = finish_registration(auth, vault, token, options.challenge_id, credential)
        assert refusal_code(result) == "webauthn_failed"

    def test_truncated_authenticator_data_is_refused(
        self, auth: Authenticator, vault: Vault, enrolled: tuple[str, SoftKey]
    ) -> None:
        """authenticatorData cut short."""
        token = pending_token(auth, vault)
        options = start_login(auth, vault, token)
        response = enrolled[1].authenticate(options.options)
        response["response"]["authenticatorData"] = response["response"]["authenticatorData"][:20]
        result = finish_login(auth, vault, token, options.challenge_id, response)
        assert refusal_code(result) == "webauthn_failed"

    def test_oversized_response_is_invalid_input(self, auth: Authenticator, vault: Vault) -> None:
        """Far beyond any real response: refused before parsing."""
        register(auth, vault)
        token = session_of(login(auth, vault)).token
        options = start_registration(auth, vault, token)
        who = current(auth, vault, token)
        with vault.session() as db_session, pytest.raises(InvalidInput):
            auth.finish_webauthn_registration(
                db_session=db_session, current=who, challenge_id=options.challenge_id,
                credential={"id": "A" * 100_000},
            )  # fmt: skip
