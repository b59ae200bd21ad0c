"""``privault retained list|show|purge`` in-process: names and dates only, reveal audited,
purge exactly the expired."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from privault.audit.models import AuditEvent
from privault.cli.main import run
from privault.config import Settings
from privault.rights.retained import RetainedValue
from privault.vault import Vault

from .fulfilment import EMAIL, SUBJECT
from .retained import BILLING, IBAN, erase

Invoke = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    """Run ``privault retained`` against the test home; (status, stdout, stderr)."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = run(["retained", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return invoke


def test_list_show_reveal_purge(cli: Invoke, vault: Vault, customer: dict[str, str]) -> None:
    """The operator's whole path over the command line."""
    kept = erase(vault)
    iban = kept["orders", "iban"]
    status, out, err = cli("list", "--subject", SUBJECT)
    assert status == 0, err
    assert all(row.id in out for row in kept.values())  # the id column never wraps
    assert "3 retained field(s)" in err
    assert IBAN not in out
    assert EMAIL not in out
    assert "0 retained" in cli("list", "--subject", "C-9999")[2]

    status, out, _ = cli("show", iban.id)
    shown = json.loads(out)
    assert status == 0
    assert "value" not in shown
    assert (shown["collection"], shown["field"]) == ("orders", "iban")
    assert shown["reason"].startswith("invoicing")
    with vault.session() as s:
        assert (
            s.scalars(select(AuditEvent).where(AuditEvent.operation == "retained.reveal")).all()
            == []
        )
    status, out, _ = cli("show", iban.id, "--reveal")
    assert status == 0
    assert json.loads(out)["value"] == IBAN
    with vault.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.operation == "retained.reveal")).one()
        assert event.actor.startswith("operator:")
        assert IBAN not in (event.detail or "")
    assert cli("show", "ret_missing")[0] == 3

    with vault.session() as s:
        s.execute(
            update(RetainedValue)
            .where(RetainedValue.id == iban.id)
            .values(retain_until=iban.retained_at - timedelta(days=1))
        )
    status, out, err = cli("list", "--expired")
    assert iban.id in out
    assert "1 retained field(s)" in err
    status, out, err = cli("purge", "--dry-run")
    assert (status, "1 retained field(s) would be purged" in err) == (0, True)
    status, out, err = cli("purge")
    assert (status, "1 retained field(s) purged" in err) == (0, True)
    assert iban.id in out
    assert "2 retained" in cli("list")[2]
    assert "0 retained field(s) purged" in cli("purge")[2]

    old = vault.keys.masters.primary_version("eu")
    vault.keys.masters.add_version("eu")
    assert "1 retention key(s) rewrapped" in cli("rewrap")[2]
    assert "0 retention key(s) rewrapped" in cli("rewrap", "--region", "eu")[2]
    vault.keys.masters.remove_version("eu", old)
    status, out, _ = cli("show", kept["orders", "billing_address"].id, "--reveal")
    assert (status, json.loads(out)["value"]) == (0, BILLING)
