"""Which operator role may run which sensitive operation over HTTP (pure rules).

Every operation here also needs a step-up: a login or re-authentication within
``auth.step_up_s``. The matrix is documented in docs/authentication.md.
"""

from __future__ import annotations

from enum import StrEnum

from privault.auth.models import OperatorRole


class OperatorAction(StrEnum):
    """A sensitive operation an operator can run through ``/v1/admin``."""

    CREATE_API_KEY = "apikey.create"
    ROTATE_KEYS = "keys.rotate"
    EXPORT_SUBJECT = "subject.export"
    ERASE_SUBJECT = "subject.erase"


OPERATOR_PERMISSIONS: dict[OperatorAction, frozenset[OperatorRole]] = {
    OperatorAction.CREATE_API_KEY: frozenset({OperatorRole.ADMIN}),
    OperatorAction.ROTATE_KEYS: frozenset({OperatorRole.ADMIN}),
    OperatorAction.EXPORT_SUBJECT: frozenset({OperatorRole.ADMIN, OperatorRole.DPO}),
    OperatorAction.ERASE_SUBJECT: frozenset({OperatorRole.ADMIN, OperatorRole.DPO}),
}


def operator_may(role: str | None, action: OperatorAction) -> bool:
    """Whether an operator of ``role`` may run ``action`` (deny by default)."""
    return role is not None and role in {r.value for r in OPERATOR_PERMISSIONS.get(action, ())}
