"""Step-up re-authentication with a security key or passkey.

An account whose only second factor is a WebAuthn credential cannot step up with its password
(``/v1/auth/reauth`` refuses it with ``webauthn_required``): it answers a fresh assertion
challenge bound to its session instead. With the password alongside, the key is the second
factor; without it, the key must verify its user (PIN or biometric), which makes it a
multi-factor authenticator on its own (NIST SP 800-63B rev 4). Success replaces the session
token and restarts the step-up window.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from webauthn import generate_authentication_options
from webauthn.helpers.options_to_json_dict import options_to_json_dict
from webauthn.helpers.structs import UserVerificationRequirement

from privault.auth import passkeys, repository
from privault.auth.guard import Refusal
from privault.auth.models import Account, SessionStage, WebAuthnCeremony
from privault.auth.passwords import normalise_password
from privault.auth.service.base import BAD_CREDENTIALS
from privault.auth.service.webauthn import (
    WebAuthnFactors,
    WebAuthnOptions,
    bad_challenge,
    bad_response,
)
from privault.auth.sessions import CurrentSession, IssuedSession
from privault.errors import Conflict, Unauthenticated

OPERATION = "auth.reauth"


class StepUps(WebAuthnFactors):
    """Re-authenticate an active session with a security key or passkey."""

    def start_webauthn_step_up(
        self, *, db_session: Session, current: CurrentSession
    ) -> WebAuthnOptions | Refusal:
        """Options for `navigator.credentials.get()` naming the account's keys."""
        rp_id = self._rp_id()
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        existing = passkeys.credentials_of(db_session=db_session, account_id=account.id)
        if not existing:
            self._audit(db_session, "auth.reauth_start", "denied", subject=account,
                        reason="no_credential")  # fmt: skip
            return Refusal(Conflict("no security key is registered", code="no_webauthn_credential"))
        challenge_id, challenge = passkeys.new_challenge(
            db_session=db_session, ceremony=WebAuthnCeremony.AUTHENTICATION,
            account_id=account.id, session_id=current.session_id,
            ttl=self._challenge_ttl(), at=now,
        )  # fmt: skip
        options = generate_authentication_options(
            rp_id=rp_id,
            challenge=challenge,
            timeout=self.settings.webauthn_challenge_ttl_s * 1000,
            allow_credentials=[passkeys.descriptor_of(c) for c in existing],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        self._audit(db_session, "auth.reauth_start", "ok", subject=account, method="webauthn")
        return WebAuthnOptions(challenge_id, dict(options_to_json_dict(options)))

    def finish_webauthn_step_up(
        self,
        *,
        db_session: Session,
        current: CurrentSession,
        address: str,
        challenge_id: str,
        credential: dict[str, Any],
        password: str | None = None,
    ) -> IssuedSession | Refusal:
        """Verify the key's assertion (and the password, if given; without it the key must
        verify its user); the session token is replaced and the step-up window restarts."""
        rp_id = self._rp_id()
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        if password is not None:
            normalise_password(password, max_length=self.settings.max_password_length)
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        reason = refused.error.code if refused is not None else None
        if refused is None:
            reason = self._password_failure(account, password) or self._check_assertion(
                db_session, account, session_id=current.session_id, challenge_id=challenge_id,
                credential=credential, rp_id=rp_id, require_user_verification=password is None,
            )  # fmt: skip
            if reason is not None:
                self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
                refused = (
                    Refusal(Unauthenticated(BAD_CREDENTIALS, code="bad_credentials"))
                    if reason == "bad_credentials"
                    else bad_challenge()
                    if reason == "challenge"
                    else bad_response()
                )
        if refused is not None:
            self._audit(db_session, OPERATION, "denied", subject=account, method="webauthn",
                        reason=reason or refused.error.code)  # fmt: skip
            return refused
        self.guard.succeeded(db_session, login_ref=account.login_ref, attempt=attempt)
        repository.revoke_sessions(
            db_session=db_session, account_id=account.id, session_id=current.session_id,
            at=now, reason="reauthenticated",
        )  # fmt: skip
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, OPERATION, "ok", subject=account, method="webauthn",
                    with_password=password is not None)  # fmt: skip
        return issued

    def _password_failure(self, account: Account, password: str | None) -> str | None:
        """None if no password was given or it is right (rehashed if due), else the reason."""
        if password is None:
            return None
        ok, new_hash = self.hasher.verify_and_maybe_rehash(account.password_hash, password)
        if ok and new_hash is not None:
            account.password_hash = new_hash
        return None if ok else "bad_credentials"
