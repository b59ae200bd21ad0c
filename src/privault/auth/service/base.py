"""The Authenticator's state and the steps its use cases share.

Failures that must be remembered (a failed login counts toward the throttle and is audited) are
*returned* as ``Refusal`` rather than raised, so the caller's one commit point still commits
them; the caller then answers with the refusal's error. Malformed input raises ``InvalidInput``.
Nothing here logs or audits a password, a code, a token or a login name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self

from sqlalchemy.orm import Session

from privault.audit import AuditLog, AuditRecord
from privault.auth import factors, outbox, passkeys, repository, sessions
from privault.auth.factors import TotpEnrolment
from privault.auth.guard import LoginGuard, Refusal
from privault.auth.keys import AuthKeys
from privault.auth.models import Account, AccountKind, SessionStage
from privault.auth.passwords import (
    Argon2Parameters,
    BreachedPasswordList,
    PasswordHasher,
    PasswordPolicy,
    PasswordReason,
    check_password,
    normalise_password,
)
from privault.auth.sessions import CurrentSession, IssuedSession
from privault.common.clock import Clock, SystemClock
from privault.config import AuthSettings
from privault.crypto import DerivedKeys
from privault.errors import InvalidInput, PermissionDenied, Unauthenticated

BAD_CREDENTIALS = "the login name or password is wrong"
BAD_CODE = "the code is not valid"


class PasswordRejectedError(InvalidInput):
    """A new password breaks the rules; ``reasons`` say which and what to do instead."""

    default_code = "password_rejected"

    def __init__(self, reasons: Sequence[PasswordReason]) -> None:
        super().__init__("the password does not meet the rules")
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class SecondFactorResult:
    """The active session after MFA, and a new set of recovery codes if the last was used."""

    session: IssuedSession
    recovery_codes: list[str] | None = None


@dataclass(frozen=True)
class ResetResult:
    """A completed reset; new recovery codes if the last one was used for it."""

    recovery_codes: list[str] | None = None


@dataclass(frozen=True)
class NewOperator:
    """An operator account just made, with its authenticator and recovery codes (shown once)."""

    account_id: str
    role: str
    totp: TotpEnrolment
    recovery_codes: list[str]


def bad_reset_token() -> Refusal:
    """The refusal of a token that does not verify (any reason: no detail for guessers)."""
    return Refusal(Unauthenticated("the reset token is not valid", code="bad_reset_token"))


def requires_second_factor(account: Account) -> bool:
    """Whether a login must present a second factor."""
    # MFA is mandatory for operators: their accounts are made with an authenticator.
    return account.kind == AccountKind.OPERATOR or account.totp_confirmed_at is not None


class AuthenticatorBase:
    """Settings, keys, hasher, guard and the shared steps of every use case."""

    def __init__(
        self,
        *,
        settings: AuthSettings,
        keys: AuthKeys,
        audit: AuditLog,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.audit = audit
        self.clock: Clock = clock or SystemClock()
        self.hasher = PasswordHasher(
            Argon2Parameters(
                memory_kib=settings.argon2_memory_kib,
                time_cost=settings.argon2_time_cost,
                parallelism=settings.argon2_parallelism,
            ),
            pepper=keys.pepper,
            previous_peppers=keys.previous_peppers,
            max_length=settings.max_password_length,
            allow_below_owasp_minimum=settings.argon2_allow_below_owasp,
        )
        self.policy = PasswordPolicy(
            min_length_single_factor=settings.min_password_length,
            min_length_with_mfa=settings.min_password_length_with_mfa,
            max_length=settings.max_password_length,
        )
        self.breached = (
            BreachedPasswordList(settings.breached_passwords)
            if settings.breached_passwords is not None
            else None
        )
        self.guard = LoginGuard(settings=settings, keys=keys, audit=audit)
        self.timeouts = sessions.SessionTimeouts(
            idle=timedelta(seconds=settings.session_idle_s),
            absolute=timedelta(seconds=settings.session_absolute_s),
            mfa_pending=timedelta(seconds=settings.mfa_pending_s),
        )

    @classmethod
    def from_keys(
        cls,
        settings: AuthSettings,
        *,
        derived: DerivedKeys,
        audit: AuditLog,
        clock: Clock | None = None,
    ) -> Self:
        """Build from the key store's derived keys."""
        keys = AuthKeys.derive(
            derived,
            pepper_key_id=settings.pepper_key_id,
            previous_pepper_key_ids=settings.previous_pepper_key_ids,
        )
        return cls(settings=settings, keys=keys, audit=audit, clock=clock)

    # --- internals ---------------------------------------------------------------------------

    def _account(self, db_session: Session, account_id: str) -> Account:
        account = db_session.get(Account, account_id)
        if account is None or account.disabled_at is not None:
            raise Unauthenticated("no valid session; log in again", code="no_session")
        return account

    def _needs_second_factor(self, db_session: Session, account: Account) -> bool:
        """Whether a login must present a second factor (an app, or a security key)."""
        return requires_second_factor(account) or passkeys.has_credentials(
            db_session=db_session, account_id=account.id
        )

    def _only_webauthn(self, db_session: Session, account: Account) -> bool:
        """Whether the account's only second factor is a security key or passkey."""
        return account.totp_confirmed_at is None and passkeys.has_credentials(
            db_session=db_session, account_id=account.id
        )

    def _is_fresh(self, current: CurrentSession, now: datetime) -> bool:
        """Whether the session authenticated within the step-up window."""
        return now - current.authenticated_at <= timedelta(seconds=self.settings.step_up_s)

    def _key_proof(
        self,
        db_session: Session,
        account: Account,
        current: CurrentSession | None,
        now: datetime,
        operation: str,
    ) -> Refusal | None:
        """None unless the account's only second factor is a security key and ``current`` has
        not proved it within the step-up window; then the refusal (audited)."""
        if not self._only_webauthn(db_session, account) or (
            current is not None and self._is_fresh(current, now)
        ):
            return None
        self._audit(db_session, operation, "denied", subject=account, reason="webauthn_required")
        return Refusal(
            PermissionDenied(
                "this account's second factor is a security key: re-authenticate with it "
                "first (/v1/auth/reauth/webauthn)",
                code="webauthn_required",
            )
        )

    def _check_new_password(
        self, password: str, *, has_second_factor: bool, context: Sequence[str]
    ) -> None:
        words = [word for word in (*context, self.settings.shop_name or "") if word]
        verdict = check_password(
            password,
            policy=self.policy,
            has_second_factor=has_second_factor,
            context_words=words,
            breached=self.breached,
        )
        if not verdict.ok:
            raise PasswordRejectedError(verdict.reasons)

    def _recheck(
        self,
        db_session: Session,
        account: Account,
        *,
        password: str,
        code: str | None,
        address: str,
        now: datetime,
        operation: str,
        second_factor: bool = False,
        current: CurrentSession | None = None,
    ) -> Refusal | None:
        """Re-authentication inside a session: the password, and with ``second_factor`` also a
        TOTP code when the account has an authenticator.

        A password cannot stand in for a security key: with ``second_factor``, an account whose
        only second factor is WebAuthn is refused unless ``current`` proved it recently (a
        login or a step-up with the key, ``/v1/auth/reauth/webauthn``)."""
        normalise_password(password, max_length=self.settings.max_password_length)
        if second_factor:
            refused_key = self._key_proof(db_session, account, current, now, operation)
            if refused_key is not None:
                return refused_key
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        if refused is None:
            ok, new_hash = self.hasher.verify_and_maybe_rehash(account.password_hash, password)
            if ok and new_hash is not None:
                account.password_hash = new_hash
            if ok and second_factor and account.totp_confirmed_at is not None:
                ok = code is not None and self._use_totp(db_session, account, code, now)
            if not ok:
                self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
                refused = Refusal(Unauthenticated(BAD_CREDENTIALS, code="bad_credentials"))
        if refused is not None:
            self._audit(db_session, operation, "denied", subject=account,
                        reason=refused.error.code)  # fmt: skip
            return refused
        self.guard.succeeded(db_session, login_ref=account.login_ref, attempt=attempt)
        return None

    def _set_password(
        self, db_session: Session, account: Account, password: str, now: datetime, *, reason: str
    ) -> int:
        """Store a new password hash, end every session, tell the owner; return sessions ended."""
        account.password_hash = self.hasher.hash(password)
        account.password_changed_at = now
        account.must_change_password = False
        revoked = repository.revoke_sessions(
            db_session=db_session, account_id=account.id, at=now, reason=reason
        )
        self._notify(
            db_session, account, "password_changed", "Your password was changed",
            "The password of your account was changed and every session was ended. If this "
            "was not you, reset your password at once and contact the shop.",
        )  # fmt: skip
        return revoked

    def _use_totp(self, db_session: Session, account: Account, code: str, now: datetime) -> bool:
        return factors.use_totp(
            db_session=db_session, keys=self.keys, account=account, code=code, at=now
        )

    def _use_recovery_code(
        self, db_session: Session, account: Account, code: str, now: datetime
    ) -> tuple[bool, list[str] | None]:
        remaining = factors.use_recovery_code(
            db_session=db_session, keys=self.keys, account=account, code=code, at=now
        )
        if remaining is None:
            return False, None
        self._audit(db_session, "auth.recovery.use", "ok", subject=account, remaining=remaining)
        self._notify(
            db_session, account, "recovery_code_used", "A recovery code was used",
            "A recovery code was used to log in to your account. If this was not you, "
            "change your password and contact the shop at once.",
        )  # fmt: skip
        # After the last one a new set, or the person would be locked out next time.
        return True, self._replace_recovery_codes(db_session, account) if remaining == 0 else None

    def _replace_recovery_codes(self, db_session: Session, account: Account) -> list[str]:
        return factors.replace_recovery_codes(
            db_session=db_session, keys=self.keys, account=account,
            count=self.settings.recovery_codes, at=self.clock.now(),
        )  # fmt: skip

    def _new_totp(self, account: Account, label: str) -> TotpEnrolment:
        return factors.new_totp(
            keys=self.keys, account=account, label=label, issuer=self.settings.totp_issuer
        )

    def _issue(
        self, db_session: Session, account: Account, stage: SessionStage, now: datetime
    ) -> IssuedSession:
        return sessions.issue(
            db_session=db_session, keys=self.keys, timeouts=self.timeouts,
            account_id=account.id, stage=stage, at=now,
        )  # fmt: skip

    def _notify(
        self, db_session: Session, account: Account, kind: str, subject: str, body: str
    ) -> None:
        outbox.enqueue(
            db_session=db_session, keys=self.keys, account_id=account.id,
            login_ciphertext=account.login_ciphertext, kind=kind, subject=subject, body=body,
            at=self.clock.now(),
        )  # fmt: skip

    def _audit(
        self,
        db_session: Session,
        operation: str,
        outcome: str,
        *,
        subject: Account | None = None,
        anonymous: bool = False,
        **detail: int | str | bool,
    ) -> None:
        # A refused login is made by someone unknown, whichever account it named.
        known = subject is not None and not anonymous
        actor = f"{subject.kind}:{subject.id}" if subject is not None and known else "anonymous"
        self.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=actor,
                operation=operation,
                outcome=outcome,
                subject_id=subject.id if subject is not None else None,
                detail=detail,
            ),
        )

    def _audit_current(
        self,
        db_session: Session,
        current: CurrentSession,
        operation: str,
        **detail: int | str | bool,
    ) -> None:
        self.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=f"{current.kind}:{current.account_id}",
                operation=operation,
                subject_id=current.account_id,
                detail=detail,
            ),
        )
