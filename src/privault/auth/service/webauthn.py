"""Security keys and passkeys (WebAuthn) as a second factor: register, log in, list, remove.

Each ceremony is two calls: the first stores a single-use challenge bound to the caller's session
and answers with the options for ``navigator.credentials.create()`` / ``.get()``; the second
claims that challenge and verifies the authenticator's response against it, the relying-party id
and the allowed origins. The library checks the signature; the signature counter is checked
here, after the signature, so a counter that does not rise is reported as a possible clone of a
real key rather than as noise from a forger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.options_to_json_dict import options_to_json_dict
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.parse_registration_credential_json import (
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from privault.auth import passkeys, repository, sessions
from privault.auth.guard import Refusal
from privault.auth.models import Account, SessionStage, WebAuthnCeremony, WebAuthnCredential
from privault.auth.passkeys import CredentialView
from privault.auth.service.base import AuthenticatorBase, SecondFactorResult
from privault.auth.sessions import CurrentSession
from privault.common.ids import new_id
from privault.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)

# A real response is a few KB; anything far larger is refused before it is parsed.
MAX_RESPONSE_CHARS = 64 * 1024
BAD_RESPONSE = "the security key's response did not verify"
# What the webauthn library and the CBOR/base64 decoders beneath it raise on hostile input.
PARSE_ERRORS = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)


@dataclass(frozen=True)
class WebAuthnOptions:
    """A challenge to answer: its id (sent back with the response) and the browser options."""

    challenge_id: str
    options: dict[str, Any]


@dataclass(frozen=True)
class WebAuthnRegistered:
    """A newly registered credential; recovery codes if it is the account's first factor."""

    credential: CredentialView
    recovery_codes: list[str] | None = None


def bounded(credential: dict[str, Any]) -> dict[str, Any]:
    """The browser's credential, refused as InvalidInput if far larger than any real one."""
    if len(json.dumps(credential, default=str)) > MAX_RESPONSE_CHARS:
        raise InvalidInput("the security key's response is too large", code="webauthn_malformed")
    return credential


def bad_response() -> Refusal:
    """The refusal of a response that does not verify (one answer for every reason)."""
    return Refusal(Unauthenticated(BAD_RESPONSE, code="webauthn_failed"))


def bad_challenge() -> Refusal:
    """The refusal of a challenge that is unknown, used, expired or someone else's."""
    return Refusal(
        Unauthenticated(
            "the challenge is unknown, used or expired; ask for a new one",
            code="webauthn_challenge",
        )
    )


class WebAuthnFactors(AuthenticatorBase):
    """Register and use security keys and passkeys; list and remove them."""

    # --- registration ------------------------------------------------------------------------

    def start_webauthn_registration(
        self, *, db_session: Session, current: CurrentSession
    ) -> WebAuthnOptions | Refusal:
        """Options to register a new security key or passkey (needs a recent re-authentication)."""
        rp_id = self._rp_id()
        account = self._account(db_session, current.account_id)
        refused = self._require_fresh(db_session, account, current, "auth.webauthn.register_start")
        if refused is not None:
            return refused
        now = self.clock.now()
        existing = passkeys.credentials_of(db_session=db_session, account_id=account.id)
        challenge_id, challenge = passkeys.new_challenge(
            db_session=db_session, ceremony=WebAuthnCeremony.REGISTRATION,
            account_id=account.id, session_id=current.session_id,
            ttl=self._challenge_ttl(), at=now,
        )  # fmt: skip
        login = self.keys.open_login(account.id, account.login_ciphertext)
        options = generate_registration_options(
            rp_id=rp_id,
            rp_name=self.settings.webauthn_rp_name,
            # The account id is random and says nothing about the person (the spec's advice).
            user_id=account.id.encode(),
            user_name=login,
            challenge=challenge,
            timeout=self.settings.webauthn_challenge_ttl_s * 1000,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[passkeys.descriptor_of(c) for c in existing],
        )
        self._audit(db_session, "auth.webauthn.register_start", "ok", subject=account)
        return WebAuthnOptions(challenge_id, dict(options_to_json_dict(options)))

    def finish_webauthn_registration(
        self,
        *,
        db_session: Session,
        current: CurrentSession,
        challenge_id: str,
        credential: dict[str, Any],
    ) -> WebAuthnRegistered | Refusal:
        """Verify the authenticator's attestation and store the new credential."""
        operation = "auth.webauthn.register"
        rp_id = self._rp_id()
        account = self._account(db_session, current.account_id)
        now = self.clock.now()
        pending = passkeys.claim_challenge(
            db_session=db_session, challenge_id=challenge_id,
            ceremony=WebAuthnCeremony.REGISTRATION, session_id=current.session_id, at=now,
        )  # fmt: skip
        if pending is None or pending.account_id != account.id:
            self._audit(db_session, operation, "denied", subject=account, reason="challenge")
            return bad_challenge()
        try:
            parsed: RegistrationCredential = parse_registration_credential_json(bounded(credential))
            verified = verify_registration_response(
                credential=parsed,
                expected_challenge=pending.challenge,
                expected_rp_id=rp_id,
                expected_origin=self.settings.webauthn_origins,
            )
        except PARSE_ERRORS as exc:
            self._audit(db_session, operation, "denied", subject=account,
                        reason=type(exc).__name__)  # fmt: skip
            return bad_response()
        if passkeys.credential_id_taken(db_session=db_session, raw_id=verified.credential_id):
            self._audit(db_session, operation, "denied", subject=account, reason="duplicate")
            return Refusal(
                Conflict("this security key is already registered", code="webauthn_exists")
            )
        first_factor = not self._needs_second_factor(db_session, account)
        transports = parsed.response.transports or []
        stored = WebAuthnCredential(
            id=new_id("wak"),
            account_id=account.id,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=",".join(t.value for t in transports)[:200],
            aaguid=verified.aaguid,
            backed_up=verified.credential_backed_up,
            created_at=now,
        )
        db_session.add(stored)
        db_session.flush()
        codes = self._replace_recovery_codes(db_session, account) if first_factor else None
        # Other sessions were made with less assurance than the account now has.
        repository.revoke_sessions(
            db_session=db_session, account_id=account.id, at=now, reason="factor_added",
            except_session_id=current.session_id,
        )  # fmt: skip
        self._notify(
            db_session, account, "factor_added", "A security key was added to your account",
            "A security key or passkey was added to your account. If this was not you, "
            "contact the shop at once.",
        )  # fmt: skip
        self._audit(db_session, operation, "ok", subject=account, credential=stored.id)
        return WebAuthnRegistered(passkeys.view_of(stored), codes)

    # --- second factor at login --------------------------------------------------------------

    def start_webauthn_login(
        self, *, db_session: Session, token: str | None
    ) -> WebAuthnOptions | Refusal:
        """Options to present a security key after the password (session `mfa_pending`)."""
        rp_id = self._rp_id()
        now = self.clock.now()
        pending = sessions.resolve(
            db_session=db_session, keys=self.keys, timeouts=self.timeouts, token=token, at=now,
            stage=SessionStage.MFA_PENDING,
        )  # fmt: skip
        account = self._account(db_session, pending.account_id)
        existing = passkeys.credentials_of(db_session=db_session, account_id=account.id)
        if not existing:
            self._audit(db_session, "auth.webauthn.login_start", "denied", subject=account,
                        anonymous=True, reason="no_credential")  # fmt: skip
            return Refusal(Conflict("no security key is registered", code="no_webauthn_credential"))
        challenge_id, challenge = passkeys.new_challenge(
            db_session=db_session, ceremony=WebAuthnCeremony.AUTHENTICATION,
            account_id=account.id, session_id=pending.session_id,
            ttl=self._challenge_ttl(), at=now,
        )  # fmt: skip
        options = generate_authentication_options(
            rp_id=rp_id,
            challenge=challenge,
            timeout=self.settings.webauthn_challenge_ttl_s * 1000,
            allow_credentials=[passkeys.descriptor_of(c) for c in existing],
            user_verification=UserVerificationRequirement.DISCOURAGED,
        )
        self._audit(db_session, "auth.webauthn.login_start", "ok", subject=account)
        return WebAuthnOptions(challenge_id, dict(options_to_json_dict(options)))

    def finish_webauthn_login(
        self,
        *,
        db_session: Session,
        token: str | None,
        address: str,
        challenge_id: str,
        credential: dict[str, Any],
    ) -> SecondFactorResult | Refusal:
        """Complete a login with a security key's assertion; the pending token is replaced."""
        rp_id = self._rp_id()
        now = self.clock.now()
        pending = sessions.resolve(
            db_session=db_session, keys=self.keys, timeouts=self.timeouts, token=token, at=now,
            stage=SessionStage.MFA_PENDING,
        )  # fmt: skip
        account = self._account(db_session, pending.account_id)
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        reason = (
            refused.error.code
            if refused is not None
            else self._check_assertion(
                db_session, account, session_id=pending.session_id, challenge_id=challenge_id,
                credential=credential, rp_id=rp_id,
            )
        )  # fmt: skip
        if reason is not None:
            if refused is None:
                self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
                refused = bad_challenge() if reason == "challenge" else bad_response()
            self._audit(db_session, "auth.mfa", "denied", subject=account, anonymous=True,
                        method="webauthn", reason=reason)  # fmt: skip
            return refused
        self.guard.succeeded(db_session, login_ref=account.login_ref, attempt=attempt)
        repository.revoke_sessions(
            db_session=db_session, account_id=account.id, session_id=pending.session_id,
            at=now, reason="mfa_complete",
        )  # fmt: skip
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, "auth.mfa", "ok", subject=account, method="webauthn")
        return SecondFactorResult(issued)

    # --- listing and removal -----------------------------------------------------------------

    def list_webauthn_credentials(
        self, *, db_session: Session, current: CurrentSession
    ) -> list[CredentialView]:
        """The caller's security keys and passkeys (no key material)."""
        stored = passkeys.credentials_of(db_session=db_session, account_id=current.account_id)
        return [passkeys.view_of(c) for c in stored]

    def remove_webauthn_credential(
        self, *, db_session: Session, current: CurrentSession, credential_id: str
    ) -> Refusal | None:
        """Remove one of the caller's credentials (needs a recent re-authentication)."""
        account = self._account(db_session, current.account_id)
        refused = self._require_fresh(db_session, account, current, "auth.webauthn.remove")
        if refused is not None:
            return refused
        stored = db_session.get(WebAuthnCredential, credential_id)
        if stored is None or stored.account_id != account.id:
            self._audit(db_session, "auth.webauthn.remove", "not_found", subject=account)
            return Refusal(NotFound("no such security key of yours", code="webauthn_not_found"))
        db_session.delete(stored)
        db_session.flush()
        self._notify(
            db_session, account, "factor_removed", "A security key was removed from your account",
            "A security key or passkey was removed from your account. If this was not you, "
            "contact the shop at once.",
        )  # fmt: skip
        self._audit(db_session, "auth.webauthn.remove", "ok", subject=account, credential=stored.id)
        return None

    # --- internals ---------------------------------------------------------------------------

    def _rp_id(self) -> str:
        if not self.settings.webauthn_rp_id or not self.settings.webauthn_origins:
            raise Unavailable(
                "security keys are not configured on this server", code="webauthn_off"
            )
        return self.settings.webauthn_rp_id

    def _challenge_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.webauthn_challenge_ttl_s)

    def _require_fresh(
        self, db_session: Session, account: Account, current: CurrentSession, operation: str
    ) -> Refusal | None:
        if self._is_fresh(current, self.clock.now()):
            return None
        self._audit(db_session, operation, "denied", subject=account, reason="step_up_required")
        return Refusal(
            PermissionDenied(
                "this needs a recent login; re-authenticate first", code="step_up_required"
            )
        )

    def _check_assertion(
        self,
        db_session: Session,
        account: Account,
        *,
        session_id: str,
        challenge_id: str,
        credential: dict[str, Any],
        rp_id: str,
        require_user_verification: bool = False,
    ) -> str | None:
        """Verify an assertion for the account: None if it holds, else the reason it does not."""
        claimed = passkeys.claim_challenge(
            db_session=db_session, challenge_id=challenge_id,
            ceremony=WebAuthnCeremony.AUTHENTICATION, session_id=session_id, at=self.clock.now(),
        )  # fmt: skip
        if claimed is None or claimed.account_id != account.id:
            return "challenge"
        try:
            parsed: AuthenticationCredential = parse_authentication_credential_json(
                bounded(credential)
            )
        except PARSE_ERRORS as exc:
            return type(exc).__name__
        stored = passkeys.credential_by_raw_id(db_session=db_session, raw_id=parsed.raw_id)
        if stored is None or stored.account_id != account.id:
            return "unknown_credential"
        handle = parsed.response.user_handle
        if handle is not None and handle != account.id.encode():
            return "user_handle"  # the key speaks for another user
        return self._check_signature(
            db_session, account, parsed=parsed, stored=stored, challenge=claimed.challenge,
            rp_id=rp_id, require_user_verification=require_user_verification,
        )  # fmt: skip

    def _check_signature(
        self,
        db_session: Session,
        account: Account,
        *,
        parsed: AuthenticationCredential,
        stored: WebAuthnCredential,
        challenge: bytes,
        rp_id: str,
        require_user_verification: bool = False,
    ) -> str | None:
        """Check the signature, then the counter; record the use. None if all holds."""
        try:
            # The counter is compared below, once the signature is known to be the key's own.
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=rp_id,
                expected_origin=self.settings.webauthn_origins,
                credential_public_key=stored.public_key,
                credential_current_sign_count=0,
                require_user_verification=require_user_verification,
            )
        except PARSE_ERRORS as exc:
            return type(exc).__name__
        if (verified.new_sign_count or stored.sign_count) and (
            verified.new_sign_count <= stored.sign_count
        ):
            # Two authenticators share this key: one of them is a copy.
            self._audit(
                db_session, "auth.webauthn.cloned", "denied", subject=account,
                credential=stored.id, stored_count=stored.sign_count,
                presented_count=verified.new_sign_count,
            )  # fmt: skip
            self._notify(
                db_session, account, "webauthn_clone", "A copy of your security key was used",
                "A security key of your account answered with a counter that did not rise, "
                "which happens when the key has been copied. The login was refused. Remove "
                "the key and contact the shop.",
            )  # fmt: skip
            return "sign_count"
        stored.sign_count = verified.new_sign_count
        stored.backed_up = verified.credential_backed_up
        stored.last_used_at = self.clock.now()
        return None
