"""Passwordless login for customers with a passkey (a discoverable WebAuthn credential).

No account is named up front: the options carry no credential list, and the authenticator
answers with the credential id and the user handle (the account id), which must agree. User
verification (PIN or biometric on the device) is required, so the passkey alone is a
multi-factor authenticator. Operators always log in with their password and a second factor.

The challenge has no session yet, so it is bound to nothing but itself: single use and short
lived like every other, and the number of them pending at once is capped, so anonymous callers
cannot fill the table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from webauthn import generate_authentication_options
from webauthn.helpers.options_to_json_dict import options_to_json_dict
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import AuthenticationCredential, UserVerificationRequirement

from privault.auth import passkeys
from privault.auth.guard import Attempt, Refusal
from privault.auth.models import (
    Account,
    AccountKind,
    SessionStage,
    WebAuthnCeremony,
    WebAuthnCredential,
)
from privault.auth.service.webauthn import (
    PARSE_ERRORS,
    WebAuthnFactors,
    WebAuthnOptions,
    bad_challenge,
    bad_response,
    bounded,
)
from privault.auth.sessions import IssuedSession
from privault.errors import Unavailable

# Far above any real burst of people logging in within one challenge lifetime.
MAX_PENDING_PASSKEY_CHALLENGES = 10_000


class PasskeyLogins(WebAuthnFactors):
    """Log a customer in with a passkey alone."""

    def start_passkey_login(
        self, *, db_session: Session, address: str
    ) -> WebAuthnOptions | Refusal:
        """Options for `navigator.credentials.get()` with no account named (passwordless)."""
        rp_id = self._rp_id()
        now = self.clock.now()
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(
            db_session, login_ref=self._address_login_ref(attempt), attempt=attempt
        )
        if refused is None and (
            passkeys.pending_anonymous_challenges(db_session=db_session, at=now)
            >= MAX_PENDING_PASSKEY_CHALLENGES
        ):
            refused = Refusal(
                Unavailable("too many passkey logins at once; try again shortly", code="busy")
            )
        if refused is not None:
            self._audit(db_session, "auth.passkey.start", "denied", reason=refused.error.code)
            return refused
        challenge_id, challenge = passkeys.new_challenge(
            db_session=db_session, ceremony=WebAuthnCeremony.AUTHENTICATION, account_id=None,
            session_id=None, ttl=self._challenge_ttl(), at=now,
        )  # fmt: skip
        options = generate_authentication_options(
            rp_id=rp_id,
            challenge=challenge,
            timeout=self.settings.webauthn_challenge_ttl_s * 1000,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        self._audit(db_session, "auth.passkey.start", "ok")
        return WebAuthnOptions(challenge_id, dict(options_to_json_dict(options)))

    def finish_passkey_login(
        self,
        *,
        db_session: Session,
        address: str,
        challenge_id: str,
        credential: dict[str, Any],
    ) -> IssuedSession | Refusal:
        """Verify a passkey's assertion and issue an active session for its owner."""
        rp_id = self._rp_id()
        now = self.clock.now()
        attempt = self.guard.begin(db_session, address=address, at=now)
        anonymous_ref = self._address_login_ref(attempt)
        refused = self.guard.refusal(db_session, login_ref=anonymous_ref, attempt=attempt)
        if refused is not None:
            return self._passkey_denied(db_session, refused, refused.error.code)
        claimed = passkeys.claim_challenge(
            db_session=db_session, challenge_id=challenge_id,
            ceremony=WebAuthnCeremony.AUTHENTICATION, session_id=None, at=now,
        )  # fmt: skip
        if claimed is None or claimed.account_id is not None:
            self.guard.failed(db_session, login_ref=anonymous_ref, attempt=attempt)
            return self._passkey_denied(db_session, bad_challenge(), "challenge")
        found = self._passkey_owner(db_session, credential)
        if isinstance(found, str):
            self.guard.failed(db_session, login_ref=anonymous_ref, attempt=attempt)
            return self._passkey_denied(db_session, bad_response(), found)
        account, parsed, stored = found
        # From here the account is known: its own counter and lock apply.
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        if refused is not None:
            return self._passkey_denied(db_session, refused, refused.error.code, account)
        reason = self._check_signature(
            db_session, account, parsed=parsed, stored=stored, challenge=claimed.challenge,
            rp_id=rp_id, require_user_verification=True,
        )  # fmt: skip
        if reason is not None:
            self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
            return self._passkey_denied(db_session, bad_response(), reason, account)
        self.guard.succeeded(db_session, login_ref=account.login_ref, attempt=attempt)
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, "auth.login", "ok", subject=account, method="passkey")
        return issued

    # --- internals ---------------------------------------------------------------------------

    def _address_login_ref(self, attempt: Attempt) -> bytes:
        # Failures before an account is known are counted per address, under a login name no
        # account can have (as bad reset tokens are).
        return self.keys.login_ref_of("passkey", attempt.address_ref.hex())

    def _passkey_owner(
        self, db_session: Session, credential: dict[str, Any]
    ) -> tuple[Account, AuthenticationCredential, WebAuthnCredential] | str:
        """The customer a passkey assertion speaks for, or why there is none."""
        try:
            parsed: AuthenticationCredential = parse_authentication_credential_json(
                bounded(credential)
            )
        except PARSE_ERRORS as exc:
            return type(exc).__name__
        stored = passkeys.credential_by_raw_id(db_session=db_session, raw_id=parsed.raw_id)
        account = db_session.get(Account, stored.account_id) if stored is not None else None
        if (
            stored is None
            or account is None
            or account.disabled_at is not None
            or account.kind != AccountKind.CUSTOMER
        ):
            return "unknown_credential"
        # A passkey names its user; without that it is no passwordless credential.
        if parsed.response.user_handle != account.id.encode():
            return "user_handle"
        return account, parsed, stored

    def _passkey_denied(
        self, db_session: Session, refused: Refusal, reason: str, account: Account | None = None
    ) -> Refusal:
        self._audit(db_session, "auth.login", "denied", subject=account, anonymous=True,
                    method="passkey", reason=reason)  # fmt: skip
        return refused
