"""The gate in front of operators' sensitive operations: an operator session of a role that
may run the operation, authenticated within the step-up window.

A refusal is returned (and audited in the caller's transaction) rather than raised, like a
refused login; a missing or dead session raises Unauthenticated (401) as everywhere else.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from privault.audit import AuditRecord
from privault.auth import sessions
from privault.auth.guard import Refusal
from privault.auth.models import AccountKind
from privault.auth.permissions import OperatorAction, operator_may
from privault.auth.service.base import AuthenticatorBase
from privault.auth.sessions import CurrentSession
from privault.errors import PermissionDenied


class OperatorGate(AuthenticatorBase):
    """Authorise an operator's sensitive operation."""

    def authorize_operator(
        self, *, db_session: Session, token: str | None, action: OperatorAction
    ) -> CurrentSession | Refusal:
        """The operator's session, if its role may run ``action`` and it stepped up recently."""
        now = self.clock.now()
        current = sessions.resolve(
            db_session=db_session, keys=self.keys, timeouts=self.timeouts, token=token, at=now
        )
        if current.kind != AccountKind.OPERATOR.value:
            reason, refusal = (
                "not_operator",
                PermissionDenied("only operators may do this", code="operator_only"),
            )
        elif not operator_may(current.role, action):
            reason, refusal = (
                "role",
                PermissionDenied(
                    f"the operator role '{current.role}' may not do this", code="role_not_allowed"
                ),
            )
        elif not self._is_fresh(current, now):
            reason, refusal = (
                "step_up_required",
                PermissionDenied(
                    "this needs a recent login; re-authenticate first (/v1/auth/reauth)",
                    code="step_up_required",
                ),
            )
        else:
            return current
        self.audit.record(
            db_session=db_session,
            event=AuditRecord(
                actor=f"{current.kind}:{current.account_id}",
                operation=action.value,
                outcome="denied",
                detail={"reason": reason, "via": "admin_api"},
            ),
        )
        return Refusal(refusal)
