"""The operator role x sensitive operation matrix: the documented grants, deny by default."""

from __future__ import annotations

import pytest

from privault.auth import OperatorAction, OperatorRole, operator_may

GRANTED = {
    (OperatorAction.CREATE_API_KEY, OperatorRole.ADMIN),
    (OperatorAction.ROTATE_KEYS, OperatorRole.ADMIN),
    (OperatorAction.EXPORT_SUBJECT, OperatorRole.ADMIN),
    (OperatorAction.EXPORT_SUBJECT, OperatorRole.DPO),
    (OperatorAction.ERASE_SUBJECT, OperatorRole.ADMIN),
    (OperatorAction.ERASE_SUBJECT, OperatorRole.DPO),
}


@pytest.mark.parametrize("action", list(OperatorAction))
@pytest.mark.parametrize("role", list(OperatorRole))
def test_each_role_gets_exactly_its_grants(action: OperatorAction, role: OperatorRole) -> None:
    """The matrix in docs/authentication.md, cell by cell."""
    assert operator_may(role.value, action) == ((action, role) in GRANTED)


@pytest.mark.parametrize("role", [None, "", "ADMIN", "admin ", "root", "customer"])
def test_no_role_or_an_unknown_one_may_do_nothing(role: str | None) -> None:
    """A customer (no role), a case variant or an invented role is refused everything."""
    assert not any(operator_may(role, action) for action in OperatorAction)
