"""``privault retention run`` and ``privault hold ...`` in-process: output and exit statuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from privault.cli.main import run
from privault.config import Settings
from privault.errors import NotFound
from privault.retention import Lease
from privault.vault import Vault

Invoke = Callable[..., tuple[int, str, str]]
CARD = "4111111111111111"


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    """Run privault against the test home; returns (status, stdout, stderr)."""
    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = run(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return invoke


@pytest.fixture
def records(aged: Vault) -> dict[str, str]:
    """Records made at T0 (2024), long enough ago that cards and IP addresses are due."""
    return {
        "kept": aged.put("customers", "C-1", {"email": "c-1@example.com", "card": CARD}).id,
        "held": aged.put("customers", "C-2", {"email": "c-2@example.com", "card": CARD}).id,
        "order": aged.put("orders", "C-1", {"ip_address": "203.0.113.7"}).id,
    }


def test_dry_run_prints_what_the_run_does(
    cli: Invoke, records: dict[str, str], aged: Vault
) -> None:
    """The dry run's lines are the real run's; held data is marked and kept."""
    assert cli("hold", "add", "C-2", "--reason", "case 2026-4")[0] == 0
    status, planned, err = cli("retention", "run", "--dry-run")
    assert status == 0, err
    assert err.startswith("dry run: examined 3 records; would delete 1 records")
    lines = sorted(planned.splitlines())
    assert lines == sorted(
        [
            f"purge\tdrop\tcustomers\t{records['kept']}\tcard\t"
            "customers.card retention 1y expired on 2025-01-09",
            f"held\tdrop\tcustomers\t{records['held']}\tcard\t"
            "customers.card retention 1y expired on 2025-01-09",
            f"purge\tdelete\torders\t{records['order']}\tip_address\t"
            "every field expired: orders.ip_address retention 90d expired on 2024-04-09",
        ]
    )
    assert "C-1" not in planned
    assert "c-1@example.com" not in planned
    assert aged.get("orders", records["order"]).values  # the dry run changed nothing
    status, done, err = cli("retention", "run", "--batch-size", "1")
    assert status == 0, err
    assert done == planned
    assert "deleted 1 records, removed fields from 1; 1 held" in err
    with pytest.raises(NotFound):
        aged.get("orders", records["order"])
    assert set(aged.get("customers", records["held"]).values) == {"email", "card"}
    assert set(aged.get("customers", records["kept"]).values) == {"email"}


def test_a_second_sweep_is_refused_while_one_runs(
    cli: Invoke, records: dict[str, str], aged: Vault
) -> None:
    """While another process holds the sweep lease, `retention run` exits 4 and changes nothing."""
    other = Lease(sessions=aged.database.session, holder="serve@host", ttl=timedelta(hours=9))
    assert other.try_acquire()
    status, out, err = cli("retention", "run")
    assert status == 4
    assert "another retention sweep is running (serve@host" in err
    assert out == ""
    assert aged.get("orders", records["order"]).values


def test_hold_add_list_remove(cli: Invoke, records: dict[str, str]) -> None:
    """Holds are placed, listed with their reason, renewed and removed."""
    status, _, err = cli("hold", "add", "C-1", "--reason", "case 2026-4")
    assert (status, err.strip()) == (0, "legal hold placed")
    status, _, err = cli("hold", "add", "C-1", "--reason", "case 2026-5")
    assert (status, err.strip()) == (0, "customer already held; reason updated")
    status, out, _ = cli("hold", "list")
    assert status == 0
    assert "C-1" in out
    assert "case 2026-5" in out
    assert cli("hold", "remove", "C-1")[0] == 0
    status, out, _ = cli("hold", "list")
    assert "C-1" not in out


BAD_INPUT = [
    (("hold", "add", "C-404", "--reason", "case 1"), 3, "no data is stored for this customer"),
    (("hold", "add", "C-1", "--reason", " "), 2, "reason must be 1 to 500 characters"),
    (("hold", "add", "C-1", "--reason", "mail ada@example.com"), 2, "personal data"),
    (("hold", "add", "C-1"), 2, "--reason"),
    (("hold", "remove", "C-1"), 3, "this customer has no legal hold"),
    (("retention", "run", "--batch-size", "0"), 2, "batch-size"),
]


def test_bad_input_has_an_exit_status_and_writes_nothing(
    cli: Invoke, records: dict[str, str]
) -> None:
    """Unknown customers exit 3, bad input 2, with a message naming no customer data."""
    for args, code, message in BAD_INPUT:
        status, _out, err = cli(*args)
        assert status == code, args
        assert message in err
        assert "ada@example.com" not in err
    assert "C-1" not in cli("hold", "list")[1]
