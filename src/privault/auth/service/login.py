"""Use cases that let someone in: registration, operators, login, second factor, sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privault.auth import repository, sessions
from privault.auth.guard import Refusal
from privault.auth.keys import normalise_login
from privault.auth.models import Account, AccountKind, OperatorRole, SessionStage
from privault.auth.passwords import normalise_password
from privault.auth.service.base import (
    BAD_CODE,
    BAD_CREDENTIALS,
    AuthenticatorBase,
    NewOperator,
    SecondFactorResult,
)
from privault.auth.sessions import CurrentSession, IssuedSession, SessionView
from privault.common.ids import new_id
from privault.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated


class Logins(AuthenticatorBase):
    """Registration, login, the second factor at login, sessions, step-up."""

    # --- registration ------------------------------------------------------------------------

    def register(
        self,
        *,
        db_session: Session,
        login: str,
        password: str,
        name: str | None = None,
        kind: AccountKind = AccountKind.CUSTOMER,
        role: OperatorRole | None = None,
    ) -> str | None:
        """Create an account; None (and a notice to the owner) if the login name is taken.

        The caller answers both cases alike, so registration does not reveal who has an
        account; the same password checks and hashing run in both.
        """
        normalised = normalise_login(login)
        self._check_new_password(
            password, has_second_factor=False, context=(normalised, name or "")
        )
        now = self.clock.now()
        password_hash = self.hasher.hash(password)
        login_ref = self.keys.login_ref_of(kind.value, normalised)
        existing = repository.account_by_login_ref(db_session=db_session, login_ref=login_ref)
        if existing is not None:
            self._notify(
                db_session, existing, "registration_attempt",
                "Someone tried to register with your address",
                "Someone tried to create an account with this address, which already has one. "
                "If it was you, log in or reset your password. If not, you need do nothing.",
            )  # fmt: skip
            self._audit(db_session, "auth.register", "denied", subject=existing, reason="taken")
            return None
        account_id = new_id("acc")
        account = Account(
            id=account_id,
            kind=kind.value,
            role=role.value if role is not None else None,
            login_ref=login_ref,
            login_ciphertext=self.keys.seal_login(account_id, normalised),
            password_hash=password_hash,
            password_changed_at=now,
            must_change_password=False,
            created_at=now,
        )
        db_session.add(account)
        try:
            db_session.flush()
        except IntegrityError:
            raise Conflict(
                "another registration for this login name is in progress; try again",
                code="registration_conflict",
            ) from None
        self._audit(db_session, "auth.register", "ok", subject=account, kind=kind.value)
        return account_id

    def create_operator(
        self, *, db_session: Session, login: str, password: str, role: OperatorRole
    ) -> NewOperator:
        """Make an operator account with its authenticator and recovery codes (MFA mandatory)."""
        account_id = self.register(
            db_session=db_session,
            login=login,
            password=password,
            kind=AccountKind.OPERATOR,
            role=role,
        )
        if account_id is None:
            raise Conflict("an operator with this login name exists", code="operator_exists")
        account = self._account(db_session, account_id)
        enrolment = self._new_totp(account, normalise_login(login))
        codes = self._replace_recovery_codes(db_session, account)
        return NewOperator(account_id, role.value, enrolment, codes)

    # --- login -------------------------------------------------------------------------------

    def login(
        self,
        *,
        db_session: Session,
        login: str,
        password: str,
        address: str,
        kind: AccountKind = AccountKind.CUSTOMER,
    ) -> IssuedSession | Refusal:
        """Check a password; issue an active session, or one waiting for the second factor."""
        normalised = normalise_login(login)
        normalise_password(password, max_length=self.settings.max_password_length)
        now = self.clock.now()
        login_ref = self.keys.login_ref_of(kind.value, normalised)
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=login_ref, attempt=attempt)
        if refused is not None:
            self._audit(db_session, "auth.login", "denied", reason=refused.error.code)
            return refused
        account = repository.account_by_login_ref(db_session=db_session, login_ref=login_ref)
        if account is None or account.disabled_at is not None:
            # Costs what a wrong password for a real account costs (see PasswordHasher).
            self.hasher.dummy_verify(password)
            ok, new_hash = False, None
        else:
            ok, new_hash = self.hasher.verify_and_maybe_rehash(account.password_hash, password)
        if not ok or account is None:
            self.guard.failed(db_session, login_ref=login_ref, attempt=attempt)
            self._audit(db_session, "auth.login", "denied", subject=account, anonymous=True,
                        reason="bad_credentials")  # fmt: skip
            return Refusal(Unauthenticated(BAD_CREDENTIALS, code="bad_credentials"))
        if new_hash is not None:
            account.password_hash = new_hash
        if self._needs_second_factor(db_session, account):
            issued = self._issue(db_session, account, SessionStage.MFA_PENDING, now)
            self._audit(db_session, "auth.login", "ok", subject=account, stage="mfa_pending")
            return issued
        self.guard.succeeded(db_session, login_ref=login_ref, attempt=attempt)
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, "auth.login", "ok", subject=account, rehashed=new_hash is not None)
        return issued

    def verify_second_factor(
        self,
        *,
        db_session: Session,
        token: str | None,
        address: str,
        code: str | None = None,
        recovery_code: str | None = None,
    ) -> SecondFactorResult | Refusal:
        """Complete a login with a TOTP code or a recovery code; the pending token is replaced."""
        now = self.clock.now()
        pending = sessions.resolve(
            db_session=db_session, keys=self.keys, timeouts=self.timeouts, token=token, at=now,
            stage=SessionStage.MFA_PENDING,
        )  # fmt: skip
        account = self._account(db_session, pending.account_id)
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        if refused is not None:
            self._audit(
                db_session, "auth.mfa", "denied", subject=account, reason=refused.error.code
            )
            return refused
        new_codes: list[str] | None = None
        if code is not None:
            ok = self._use_totp(db_session, account, code, now)
            method = "totp"
        elif recovery_code is not None:
            ok, new_codes = self._use_recovery_code(db_session, account, recovery_code, now)
            method = "recovery_code"
        else:
            raise InvalidInput("give a code or a recovery code", code="second_factor_missing")
        if not ok:
            self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
            self._audit(db_session, "auth.mfa", "denied", subject=account, anonymous=True,
                        method=method)  # fmt: skip
            return Refusal(Unauthenticated(BAD_CODE, code="bad_second_factor"))
        if account.totp_confirmed_at is None and method == "totp":
            account.totp_confirmed_at = now  # an operator's first login confirms the app
        self.guard.succeeded(db_session, login_ref=account.login_ref, attempt=attempt)
        repository.revoke_sessions(
            db_session=db_session, account_id=account.id, session_id=pending.session_id,
            at=now, reason="mfa_complete",
        )  # fmt: skip
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, "auth.mfa", "ok", subject=account, method=method)
        return SecondFactorResult(issued, new_codes)

    # --- sessions ----------------------------------------------------------------------------

    def current(
        self, *, db_session: Session, token: str | None, fresh_within: timedelta | None = None
    ) -> CurrentSession:
        """The active session of a token; with ``fresh_within``, also a recent authentication."""
        now = self.clock.now()
        current = sessions.resolve(
            db_session=db_session, keys=self.keys, timeouts=self.timeouts, token=token, at=now
        )
        if fresh_within is not None and now - current.authenticated_at > fresh_within:
            raise PermissionDenied(
                "this needs a recent login; re-authenticate first", code="step_up_required"
            )
        return current

    def require_step_up(self, *, db_session: Session, token: str | None) -> CurrentSession:
        """The session, if it authenticated within the step-up window (sensitive operations)."""
        return self.current(
            db_session=db_session,
            token=token,
            fresh_within=timedelta(seconds=self.settings.step_up_s),
        )

    def list_sessions(self, *, db_session: Session, current: CurrentSession) -> list[SessionView]:
        """The caller's live sessions."""
        return sessions.list_own(
            db_session=db_session, timeouts=self.timeouts, current=current, at=self.clock.now()
        )

    def end_session(self, *, db_session: Session, current: CurrentSession, session_id: str) -> None:
        """End one of the caller's sessions (the current one is a logout)."""
        sessions.revoke_own(
            db_session=db_session, current=current, session_id=session_id,
            at=self.clock.now(), reason="logout" if session_id == current.session_id else "ended",
        )  # fmt: skip
        self._audit_current(
            db_session, current, "auth.session.end", own=session_id == current.session_id
        )

    def reauthenticate(
        self,
        *,
        db_session: Session,
        current: CurrentSession,
        password: str,
        address: str,
        code: str | None = None,
    ) -> IssuedSession | Refusal:
        """Step-up: prove the password (and the second factor if any) again; new token."""
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        refused = self._recheck(
            db_session, account, password=password, code=code, address=address, now=now,
            operation="auth.reauth", second_factor=True,
        )  # fmt: skip
        if refused is not None:
            return refused
        repository.revoke_sessions(
            db_session=db_session, account_id=account.id, session_id=current.session_id,
            at=now, reason="reauthenticated",
        )  # fmt: skip
        issued = self._issue(db_session, account, SessionStage.ACTIVE, now)
        self._audit(db_session, "auth.reauth", "ok", subject=account)
        return issued
