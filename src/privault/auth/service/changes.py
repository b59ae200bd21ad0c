"""Use cases that change an account: password change and reset, authenticator, recovery codes.

Each needs proof of who asks (the password, a reset token, and the second factor where the
account has one) and queues a notification through the outbox.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from privault.auth import repository
from privault.auth.factors import TotpEnrolment
from privault.auth.guard import Refusal
from privault.auth.keys import normalise_login
from privault.auth.models import Account, AccountKind, SessionStage
from privault.auth.reset import make_reset_token, parse_reset_token, reset_token_valid
from privault.auth.service.base import (
    BAD_CODE,
    AuthenticatorBase,
    PasswordRejectedError,
    ResetResult,
    bad_reset_token,
)
from privault.auth.sessions import CurrentSession, IssuedSession
from privault.errors import Conflict, Unauthenticated


class AccountChanges(AuthenticatorBase):
    """Password change and reset, adding an authenticator, replacing recovery codes."""

    # --- password ----------------------------------------------------------------------------

    def change_password(
        self,
        *,
        db_session: Session,
        current: CurrentSession,
        current_password: str,
        new_password: str,
        address: str,
    ) -> IssuedSession | Refusal:
        """Change the password after proving the current one; every session is revoked."""
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        refused = self._recheck(
            db_session, account, password=current_password, code=None, address=address, now=now,
            operation="auth.password.change",
        )  # fmt: skip
        if refused is not None:
            return refused
        try:
            self._check_new_password(
                new_password,
                has_second_factor=self._needs_second_factor(db_session, account),
                context=(self.keys.open_login(account.id, account.login_ciphertext),),
            )
        except PasswordRejectedError as exc:
            self._audit(db_session, "auth.password.change", "invalid", subject=account,
                        reason=",".join(r.code for r in exc.reasons))  # fmt: skip
            return Refusal(exc)
        revoked = self._set_password(
            db_session, account, new_password, now, reason="password_change"
        )
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, "auth.password.change", "ok", subject=account, revoked=revoked)
        return issued

    def request_password_reset(
        self, *, db_session: Session, login: str, kind: AccountKind = AccountKind.CUSTOMER
    ) -> None:
        """Send a single-use reset token to the account's address, if there is an account.

        The caller answers alike either way, so this does not reveal who has an account.
        """
        now = self.clock.now()
        login_ref = self.keys.login_ref_of(kind.value, normalise_login(login))
        account = repository.account_by_login_ref(db_session=db_session, login_ref=login_ref)
        if account is None or account.disabled_at is not None:
            self._audit(db_session, "auth.password.reset_request", "not_found")
            return
        ttl = timedelta(seconds=self.settings.password_reset_ttl_s)
        token = make_reset_token(
            key=self.keys.reset, account_id=account.id,
            password_hash=account.password_hash, expires_at=now + ttl,
        )  # fmt: skip
        minutes = self.settings.password_reset_ttl_s // 60
        self._notify(
            db_session, account, "password_reset", "Reset your password",
            f"Someone asked to reset the password of your account. If it was you, use this "
            f"token within {minutes} minutes; it works once:\n\n{token}\n\nIf it was not you, "
            "ignore this message: your password stays as it is.",
        )  # fmt: skip
        self._audit(db_session, "auth.password.reset_request", "ok", subject=account)

    def reset_password(
        self,
        *,
        db_session: Session,
        token: str,
        new_password: str,
        address: str,
        code: str | None = None,
        recovery_code: str | None = None,
    ) -> ResetResult | Refusal:
        """Set a new password with a reset token; an account with a second factor must also
        present it (a reset never bypasses MFA). Every session ends."""
        now = self.clock.now()
        attempt = self.guard.begin(db_session, address=address, at=now)
        parsed = parse_reset_token(token)
        account = db_session.get(Account, parsed.account_id) if parsed is not None else None
        # Bad tokens are counted per address, under a login name no account can have.
        login_ref = (
            account.login_ref
            if account is not None
            else self.keys.login_ref_of("reset", attempt.address_ref.hex())
        )
        refused = self.guard.refusal(db_session, login_ref=login_ref, attempt=attempt)
        if refused is None and (
            parsed is None
            or account is None
            or account.disabled_at is not None
            or not reset_token_valid(
                parsed, key=self.keys.reset, password_hash=account.password_hash, now=now
            )
        ):
            self.guard.failed(db_session, login_ref=login_ref, attempt=attempt)
            refused = bad_reset_token()
        if refused is not None or account is None:  # no account means no valid token
            refused = refused or bad_reset_token()
            self._audit(db_session, "auth.password.reset", "denied", subject=account,
                        anonymous=True, reason=refused.error.code)  # fmt: skip
            return refused
        # The rules first: a refused password must not use up a code.
        try:
            self._check_new_password(
                new_password,
                has_second_factor=self._needs_second_factor(db_session, account),
                context=(self.keys.open_login(account.id, account.login_ciphertext),),
            )
        except PasswordRejectedError as exc:
            self._audit(db_session, "auth.password.reset", "invalid", subject=account)
            return Refusal(exc)
        new_codes: list[str] | None = None
        if self._needs_second_factor(db_session, account):
            if code is not None:
                ok = self._use_totp(db_session, account, code, now)
            elif recovery_code is not None:
                ok, new_codes = self._use_recovery_code(db_session, account, recovery_code, now)
            else:
                ok = False
            if not ok:
                self.guard.failed(db_session, login_ref=login_ref, attempt=attempt)
                self._audit(db_session, "auth.password.reset", "denied", subject=account,
                            anonymous=True, reason="bad_second_factor")  # fmt: skip
                return Refusal(Unauthenticated(BAD_CODE, code="bad_second_factor"))
        self._set_password(db_session, account, new_password, now, reason="password_reset")
        self.guard.succeeded(db_session, login_ref=login_ref, attempt=attempt)
        self._audit(db_session, "auth.password.reset", "ok", subject=account)
        return ResetResult(new_codes)

    # --- second factors ----------------------------------------------------------------------

    def start_totp(
        self, *, db_session: Session, current: CurrentSession, password: str, address: str
    ) -> TotpEnrolment | Refusal:
        """Begin adding an authenticator app (re-authentication required)."""
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        # A password alone must not add a factor beside a security key it cannot stand for.
        refused = self._key_proof(
            db_session, account, current, now, "auth.totp.start"
        ) or self._recheck(
            db_session, account, password=password, code=None, address=address, now=now,
            operation="auth.totp.start",
        )  # fmt: skip
        if refused is not None:
            return refused
        if account.totp_confirmed_at is not None:
            raise Conflict("an authenticator is already set up", code="totp_exists")
        enrolment = self._new_totp(
            account, self.keys.open_login(account.id, account.login_ciphertext)
        )
        self._audit(db_session, "auth.totp.start", "ok", subject=account)
        return enrolment

    def confirm_totp(
        self, *, db_session: Session, current: CurrentSession, code: str, address: str
    ) -> list[str] | Refusal:
        """Confirm a new authenticator with its first code; returns the recovery codes."""
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        if account.totp_secret_ciphertext is None or account.totp_confirmed_at is not None:
            raise Conflict("no authenticator is waiting for confirmation", code="totp_not_pending")
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        if refused is None and not self._use_totp(db_session, account, code, now):
            self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
            refused = Refusal(Unauthenticated(BAD_CODE, code="bad_second_factor"))
        if refused is not None:
            self._audit(db_session, "auth.totp.confirm", "denied", subject=account,
                        reason=refused.error.code)  # fmt: skip
            return refused
        account.totp_confirmed_at = now
        codes = self._replace_recovery_codes(db_session, account)
        # Other sessions were made with less assurance than the account now requires.
        repository.revoke_sessions(
            db_session=db_session, account_id=account.id, at=now, reason="factor_added",
            except_session_id=current.session_id,
        )  # fmt: skip
        self._notify(
            db_session, account, "factor_added", "An authenticator was added to your account",
            "An authenticator app was added to your account. If this was not you, contact the "
            "shop at once.",
        )  # fmt: skip
        self._audit(db_session, "auth.totp.confirm", "ok", subject=account)
        return codes

    def regenerate_recovery_codes(
        self,
        *,
        db_session: Session,
        current: CurrentSession,
        password: str,
        address: str,
        code: str | None = None,
    ) -> list[str] | Refusal:
        """Replace every recovery code (re-authentication required)."""
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        if not self._needs_second_factor(db_session, account):
            raise Conflict("set up an authenticator first", code="no_second_factor")
        refused = self._recheck(
            db_session, account, password=password, code=code, address=address, now=now,
            operation="auth.recovery.regenerate", second_factor=True, current=current,
        )  # fmt: skip
        if refused is not None:
            return refused
        codes = self._replace_recovery_codes(db_session, account)
        self._notify(
            db_session, account, "recovery_codes_replaced", "New recovery codes were made",
            "A new set of recovery codes was made for your account; the old ones no longer "
            "work. If this was not you, contact the shop at once.",
        )  # fmt: skip
        self._audit(db_session, "auth.recovery.regenerate", "ok", subject=account)
        return codes
