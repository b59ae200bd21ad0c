"""``privault operator create|unlock``: staff accounts, made from the command line only."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from privault.audit import AuditRecord
from privault.auth import repository
from privault.auth.keys import normalise_login
from privault.auth.models import AccountKind, OperatorRole
from privault.auth.service import Authenticator, PasswordRejectedError
from privault.common.cli import err, operator_actor, out, settings_of
from privault.errors import InvalidInput
from privault.vault import Vault

app = typer.Typer(help="privault's own staff accounts (MFA mandatory).")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _authenticator(vault: Vault) -> Authenticator:
    return Authenticator.from_keys(
        vault.settings.auth,
        derived=vault.keys.derived,
        audit=vault.audit,
        clock=vault.records.clock,
    )


@app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="The operator's login name.")],
    role: Annotated[
        str, typer.Option("--role", help="What the operator may do: admin, dpo, support, auditor.")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from one line of stdin.")
    ] = False,
) -> None:
    """Create an operator: prints the authenticator URI and recovery codes to stdout, once."""
    roles = [member.value for member in OperatorRole]
    if role not in roles:
        raise InvalidInput(
            f"unknown role (expected one of: {', '.join(roles)})", code="unknown_operator_role"
        )
    password = _read_password(password_stdin)
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        auth = _authenticator(vault)
        try:
            with vault.session() as db_session:
                created = auth.create_operator(
                    db_session=db_session, login=email, password=password, role=OperatorRole(role)
                )
                vault.audit.record(
                    db_session=db_session,
                    event=AuditRecord(
                        actor=vault.actor,
                        operation="auth.operator.create",
                        subject_id=created.account_id,
                        detail={"role": created.role},
                    ),
                )
        except PasswordRejectedError as exc:
            for reason in exc.reasons:
                err.print(f"{reason.code}: {reason.guidance}", markup=False, highlight=False)
            raise
    err.print(
        f"created operator {created.account_id} with role '{created.role}'. Add the "
        "authenticator below to an app now; the first login asks for its code. The secret and "
        "recovery codes are shown only this once.",
        markup=False,
        highlight=False,
    )
    out.print(f"otpauth: {created.totp.uri}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"secret: {created.totp.secret}", markup=False, highlight=False)
    out.print("recovery codes:", markup=False)
    for code in created.recovery_codes:
        out.print(f"  {code}", markup=False, highlight=False)


@app.command("unlock")
def unlock(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Login name to unlock.")],
    customer: Annotated[
        bool, typer.Option("--customer", help="A customer's login rather than an operator's.")
    ] = False,
) -> None:
    """Clear a login's failure count after 100 failures locked it (after checking who asks)."""
    kind = AccountKind.CUSTOMER if customer else AccountKind.OPERATOR
    with Vault.open(settings_of(ctx), actor=operator_actor()) as vault:
        auth = _authenticator(vault)
        login_ref = auth.keys.login_ref_of(kind.value, normalise_login(email))
        with vault.session() as db_session:
            failures, _ = repository.throttle_state(db_session=db_session, login_ref=login_ref)
            repository.clear_failures(db_session=db_session, login_ref=login_ref)
            vault.audit.record(
                db_session=db_session,
                event=AuditRecord(
                    actor=vault.actor,
                    operation="auth.unlock",
                    detail={"kind": kind.value, "failures": failures},
                ),
            )
    err.print(f"cleared {failures} failure(s)", markup=False)
