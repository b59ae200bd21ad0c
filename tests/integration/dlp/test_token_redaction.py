"""``privault scan --redact-mode token``: leaked values replaced by the vault's own tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from privault.cli.main import run
from privault.config import Settings
from privault.errors import NotFound
from privault.vault import Vault

EMAIL = "leaky.customer@example.com"
CARD = "5555555555554444"


def test_token_redaction_uses_the_vault_tokens(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An email becomes the customer's own email token (it detokenizes); a card an opaque tag."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    with Vault.open(settings) as vault:
        stored = vault.put("customers", "C-1", {"email": EMAIL, "card": CARD})
    log = tmp_path / "app.log"
    log.write_text(
        f"login user={EMAIL.upper()} card={CARD}\nretry user={EMAIL} card={CARD}\n",
        encoding="utf-8",
    )
    out = tmp_path / "clean"
    status = run(["scan", str(log), "--redact-to", str(out), "--redact-mode", "token"])
    capsys.readouterr()
    assert status == 0
    redacted = (out / "app.log").read_text(encoding="utf-8")
    assert EMAIL not in redacted.lower()
    assert CARD not in redacted
    email_token = stored.tokens["email"]
    assert redacted.count(email_token) == 2  # case does not matter: one customer, one token
    lines = redacted.splitlines()
    card_tags = [line.split("card=")[1] for line in lines]
    assert card_tags[0] == card_tags[1]
    assert card_tags[0].startswith("tok_eu_x_")
    with Vault.open(settings) as vault:
        assert vault.detokenize(email_token) == EMAIL
        with pytest.raises(NotFound):
            vault.detokenize(card_tags[0])


def test_token_redaction_without_a_home_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No initialised home: exit 2 with a message, nothing written."""
    monkeypatch.setenv("PRIVAULT_HOME", str(tmp_path / "nohome"))
    log = tmp_path / "app.log"
    log.write_text(f"user={EMAIL}\n", encoding="utf-8")
    status = run(["scan", str(log), "--redact-to", str(tmp_path / "o"), "--redact-mode", "token"])
    captured = capsys.readouterr()
    assert status == 2
    assert "error" in captured.err
    assert EMAIL not in captured.err + captured.out
    assert not (tmp_path / "o" / "app.log").exists()
