"""Changing an account's login e-mail address.

The request needs an active session that authenticated within the step-up window, or the
password (and the second factor) in the request itself. A single-use code goes to the NEW
address and a notice to the OLD one; nothing changes until the code comes back, in a session of
the same account. The code is stored as a keyed hash and expires.

A new address that already has an account gets the same answer and the same notice at the old
address; only that address's owner is told something different (someone tried to use it), so
the requester learns nothing about who has an account. On confirmation every other session of
the account ends, both addresses are told, and the audit event names no address.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from privault.auth import outbox, repository
from privault.auth.guard import Refusal
from privault.auth.keys import normalise_login
from privault.auth.models import Account, EmailChange
from privault.auth.service.base import AuthenticatorBase
from privault.auth.sessions import CurrentSession
from privault.common.ids import new_id
from privault.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated

CODE_BYTES = 16  # 128 bits from the CSPRNG
_MAX_CODE_LENGTH = 64
REQUEST = "auth.email.change_request"
CONFIRM = "auth.email.change"


class EmailChanges(AuthenticatorBase):
    """Request and confirm a change of the login address."""

    def request_email_change(
        self,
        *,
        db_session: Session,
        current: CurrentSession,
        new_email: str,
        address: str,
        password: str | None = None,
        code: str | None = None,
    ) -> Refusal | None:
        """Send a confirmation code to ``new_email`` and a notice to the current address.

        Needs a step-up within the window, or ``password`` (and ``code``) now. The caller
        answers alike whether or not the new address already has an account.
        """
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        normalised = normalise_login(new_email)
        if not self._is_fresh(current, now):
            if password is None:
                self._audit(db_session, REQUEST, "denied", subject=account,
                            reason="step_up_required")  # fmt: skip
                return Refusal(
                    PermissionDenied(
                        "this needs a recent login; re-authenticate first, or give the password "
                        "(and code)",
                        code="step_up_required",
                    )
                )
            refused = self._recheck(
                db_session, account, password=password, code=code, address=address, now=now,
                operation=REQUEST, second_factor=True, current=current,
            )  # fmt: skip
            if refused is not None:
                return refused
        new_ref = self.keys.login_ref_of(account.kind, normalised)
        if new_ref == account.login_ref:
            raise InvalidInput("this is already the account's address", code="email_unchanged")
        minutes = self.settings.email_change_ttl_s // 60
        # The same notice whatever happens next: the old mailbox must not learn who has an account.
        self._notify(
            db_session, account, "email_change_requested", "A change of your login address",
            "Someone asked to change the login address of your account. It changes only once "
            f"the code sent to the new address is entered within {minutes} minutes. If this was "
            "not you, change your password and contact the shop at once.",
        )  # fmt: skip
        repository.drop_email_changes(db_session=db_session, account_id=account.id)
        taken = repository.account_by_login_ref(db_session=db_session, login_ref=new_ref)
        if taken is not None:
            self._notify_address(
                db_session, normalised, account=taken, kind="email_change_attempt",
                subject="Someone tried to use your address",
                body="Someone asked to make this address the login of another account. Yours "
                "already uses it, so nothing was changed. If you know nothing of this, you need "
                "do nothing.",
            )  # fmt: skip
            self._audit(db_session, REQUEST, "denied", subject=account, reason="taken")
            return None
        confirmation = secrets.token_urlsafe(CODE_BYTES)
        repository.replace_email_change(
            db_session=db_session,
            change=EmailChange(
                id=new_id("emc"),
                account_id=account.id,
                code_hash=self.keys.email_code_hash_of(confirmation),
                new_login_ref=new_ref,
                new_login_ciphertext=self.keys.seal_login(account.id, normalised),
                created_at=now,
                expires_at=now + timedelta(seconds=self.settings.email_change_ttl_s),
            ),
        )
        self._notify_address(
            db_session, normalised, account=account, kind="email_change_code",
            subject="Confirm your new login address",
            body="Someone asked to make this address the login of their account at the shop. If it "
            f"was you, enter this code within {minutes} minutes while logged in; it works once:"
            f"\n\n{confirmation}\n\nIf it was not you, ignore this message.",
        )  # fmt: skip
        self._audit(db_session, REQUEST, "ok", subject=account)
        return None

    def confirm_email_change(
        self, *, db_session: Session, current: CurrentSession, code: str, address: str
    ) -> Refusal | None:
        """Make the pending address the login; other sessions end and both addresses are told."""
        now = self.clock.now()
        account = self._account(db_session, current.account_id)
        attempt = self.guard.begin(db_session, address=address, at=now)
        refused = self.guard.refusal(db_session, login_ref=account.login_ref, attempt=attempt)
        claimed = None if refused is not None else self._claim(db_session, account, code, now)
        if claimed is None:
            if refused is None:
                self.guard.failed(db_session, login_ref=account.login_ref, attempt=attempt)
                refused = Refusal(Unauthenticated("the code is not valid", code="bad_email_code"))
            self._audit(db_session, CONFIRM, "denied", subject=account, reason=refused.error.code)
            return refused
        self.guard.succeeded(db_session, login_ref=account.login_ref, attempt=attempt)
        new_ref, new_sealed = claimed
        old_sealed = account.login_ciphertext
        # Only someone who just proved the new mailbox learns that it was taken meanwhile.
        if repository.login_ref_taken(db_session=db_session, login_ref=new_ref):
            self._audit(db_session, CONFIRM, "denied", subject=account, reason="taken")
            return Refusal(Conflict("the address is no longer available", code="email_taken"))
        account.login_ref, account.login_ciphertext = new_ref, new_sealed
        try:
            db_session.flush()
        except IntegrityError:
            raise Conflict(
                "the address was taken at the same moment; try again", code="email_taken"
            ) from None
        revoked = repository.revoke_sessions(
            db_session=db_session, account_id=account.id, at=now, reason="email_changed",
            except_session_id=current.session_id,
        )  # fmt: skip
        outbox.enqueue(
            db_session=db_session, keys=self.keys, account_id=account.id,
            login_ciphertext=old_sealed, kind="email_changed",
            subject="Your login address was changed",
            body="The login address of your account was changed; this address no longer logs "
            "in, and every other session was ended. If this was not you, contact the shop at once.",
            at=now,
        )  # fmt: skip
        self._notify(
            db_session, account, "email_changed", "This is now your login address",
            "This address is now the login of your account at the shop.",
        )  # fmt: skip
        self._audit(db_session, CONFIRM, "ok", subject=account, revoked=revoked)
        return None

    def _notify_address(
        self, db_session: Session, recipient: str, *, account: Account, kind: str, subject: str,
        body: str,
    ) -> None:  # fmt: skip
        outbox.enqueue_to(
            db_session=db_session, keys=self.keys, recipient=recipient, kind=kind,
            subject=subject, body=body, at=self.clock.now(), account_id=account.id,
        )  # fmt: skip

    def _claim(
        self, db_session: Session, account: Account, code: str, now: datetime
    ) -> tuple[bytes, bytes] | None:
        if not isinstance(code, str) or len(code) > _MAX_CODE_LENGTH:
            return None
        return repository.claim_email_change(
            db_session=db_session, account_id=account.id,
            code_hash=self.keys.email_code_hash_of(code.strip()), at=now,
        )  # fmt: skip
