"""Usage mistakes end in a message and exit status 2, never a traceback."""

from __future__ import annotations

import pytest

from privault.cli.main import run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["apikey", "create"], "Missing option '--role'"),
        (["keys", "status", "--bogus"], "No such option"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_exit_two_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing option, an unknown option or command: exit 2 and say which."""
    status = run(argv)
    captured = capsys.readouterr()
    assert status == 2
    assert message in captured.err
    assert "Traceback" not in captured.err + captured.out
