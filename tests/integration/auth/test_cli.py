"""`privault operator create|unlock`."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pyotp
import pytest

from privault.auth import AccountKind, Authenticator, IssuedSession, SecondFactorResult
from privault.cli.main import run
from privault.config import Settings
from privault.vault import Vault

from .conftest import ADDRESS, CHEAP, PASSWORD

Invoke = Callable[..., tuple[int, str, str]]
OPS = "ops@example.com"


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    """Run privault against the test home, with cheap hashing; returns (status, out, err)."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    for name, value in CHEAP.items():
        monkeypatch.setenv(f"PRIVAULT_AUTH__{name.upper()}", str(value).lower())

    def invoke(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        status = run(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return invoke


def operator_login(
    settings: Settings, password: str = PASSWORD
) -> tuple[Authenticator, Vault, object]:
    """Try an operator login; returns the authenticator, an open vault and the result."""
    configured = settings.model_copy(update={"auth": settings.auth.model_copy(update=CHEAP)})
    vault = Vault.open(configured)
    auth = Authenticator.from_keys(configured.auth, derived=vault.keys.derived, audit=vault.audit)
    with vault.session() as db_session:
        result = auth.login(
            db_session=db_session, login=OPS, password=password, address=ADDRESS,
            kind=AccountKind.OPERATOR,
        )  # fmt: skip
    return auth, vault, result


def test_create_prints_authenticator_and_codes_then_login_needs_a_code(
    cli: Invoke, settings: Settings
) -> None:
    """The operator gets an otpauth URI and 10 recovery codes once; login asks for a code."""
    status, out, err = cli(
        "operator", "create", "--email", OPS, "--role", "dpo", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert status == 0, err
    assert PASSWORD not in out + err
    secret = re.search(r"secret: ([A-Z2-7]+)", out)
    assert secret is not None
    codes = re.findall(r"^\s+([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})$", out, re.M)
    assert len(codes) == 10
    assert "otpauth://totp/" in out
    auth, vault, pending = operator_login(settings)
    try:
        assert isinstance(pending, IssuedSession)
        assert pending.stage == "mfa_pending"
        with vault.session() as db_session:
            done = auth.verify_second_factor(
                db_session=db_session, token=pending.token, address=ADDRESS,
                code=pyotp.TOTP(secret.group(1)).now(),
            )  # fmt: skip
        assert isinstance(done, SecondFactorResult)
        with vault.session() as db_session:
            who = auth.current(db_session=db_session, token=done.session.token)
        assert (who.kind, who.role) == ("operator", "dpo")
    finally:
        vault.close()


@pytest.mark.parametrize(
    ("args", "stdin", "status"),
    [
        (["--role", "root"], PASSWORD, 2),  # not a role
        (["--role", "admin"], "qwzx9", 2),  # breaks the password rules
        (["--role", "admin"], "x" * 5000, 2),  # over the cap
    ],
)
def test_bad_input_is_refused(cli: Invoke, args: list[str], stdin: str, status: int) -> None:
    """Unknown roles and weak or huge passwords exit 2, and never echo the password."""
    code, out, err = cli(
        "operator", "create", "--email", OPS, *args, "--password-stdin", stdin=stdin + "\n"
    )
    assert code == status
    assert stdin not in out + err


def test_duplicate_operator_exits_4(cli: Invoke) -> None:
    """A second operator with the same login name is a conflict."""
    args = ("operator", "create", "--email", OPS, "--role", "admin", "--password-stdin")
    assert cli(*args, stdin=PASSWORD + "\n")[0] == 0
    assert cli(*args, stdin=PASSWORD + "\n")[0] == 4


def test_unlock_clears_the_lock(cli: Invoke, settings: Settings) -> None:
    """After the lock, `privault operator unlock` lets the right password in again."""
    assert cli(
        "operator", "create", "--email", OPS, "--role", "support", "--password-stdin",
        stdin=PASSWORD + "\n",
    )[0] == 0  # fmt: skip
    locked = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={**CHEAP, "lock_after_failures": 1,
                                                          "free_failures": 0})}
    )  # fmt: skip
    with Vault.open(locked) as vault:
        auth = Authenticator.from_keys(locked.auth, derived=vault.keys.derived, audit=vault.audit)
        with vault.session() as db_session:
            auth.login(db_session=db_session, login=OPS, password="wrong", address=ADDRESS,
                       kind=AccountKind.OPERATOR)  # fmt: skip
        with vault.session() as db_session:
            refused = auth.login(db_session=db_session, login=OPS, password=PASSWORD,
                                 address=ADDRESS, kind=AccountKind.OPERATOR)  # fmt: skip
        assert not isinstance(refused, IssuedSession)
        status, _, err = cli("operator", "unlock", OPS)
        assert status == 0
        assert "cleared 1" in err
        with vault.session() as db_session:
            allowed = auth.login(db_session=db_session, login=OPS, password=PASSWORD,
                                 address=ADDRESS, kind=AccountKind.OPERATOR)  # fmt: skip
        assert isinstance(allowed, IssuedSession)
