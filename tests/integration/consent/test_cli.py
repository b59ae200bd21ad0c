"""``privault consent notice publish|list|show`` and ``privault consent receipt verify``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from privault.audit.models import AuditEvent
from privault.cli.main import run
from privault.config import Settings
from privault.consent import grant_consent, latest_receipt
from privault.consent.rules import text_sha256
from privault.vault import Vault

Invoke = Callable[..., tuple[int, str, str]]
EN = "# Marketing\n\nWe send offers by e-mail.\n"


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


def publish(cli: Invoke, tmp_path: Path, text: str = EN, **options: str) -> tuple[int, str, str]:
    """Publish ``text`` as a marketing notice (2024-05, en unless overridden)."""
    path = tmp_path / "notice.md"
    path.write_text(text, encoding="utf-8")
    given = {"purpose": "marketing", "version": "2024-05", "language": "en", **options}
    args = [item for name, value in given.items() for item in (f"--{name}", value)]
    return cli("consent", "notice", "publish", *args, "--file", str(path))


def test_publish_list_show(cli: Invoke, tmp_path: Path, settings: Settings) -> None:
    """Published, listed, shown as JSON with its hash; the publication is audited."""
    status, _, err = publish(cli, tmp_path)
    assert status == 0, err
    assert text_sha256(EN) in err
    status, _, err = publish(cli, tmp_path)
    assert (status, "already published" in err) == (0, True)
    assert publish(cli, tmp_path, text="Wir senden Angebote.", language="de")[0] == 0
    status, out, _ = cli("consent", "notice", "list", "--purpose", "marketing")
    assert status == 0
    assert "2024-05" in out
    assert " de " in out
    status, out, _ = cli("consent", "notice", "show", "--purpose", "marketing")
    shown = json.loads(out)
    assert (shown["text"], shown["sha256"], shown["language"]) == (EN, text_sha256(EN), "en")
    with Vault.open(settings) as vault, vault.session() as db_session:
        published = db_session.scalars(
            select(AuditEvent).where(AuditEvent.operation == "consent.notice_publish")
        ).all()
    assert len(published) == 2


def test_changed_text_is_a_conflict(cli: Invoke, tmp_path: Path) -> None:
    """A published version never changes: exit 4 and a hint to publish a new version."""
    assert publish(cli, tmp_path)[0] == 0
    status, _, err = publish(cli, tmp_path, text=EN + "changed\n")
    assert status == 4
    assert "new version" in err


def test_bad_options_and_files(cli: Invoke, tmp_path: Path) -> None:
    """Unknown purposes, malformed tags and versions exit 2 (\"english\" is a well-formed
    tag); a missing file exits 3; a file that is not UTF-8 exits 2."""
    cases: list[tuple[dict[str, str], int]] = [
        ({"purpose": "telepathy"}, 2), ({"language": "english"}, 0), ({"language": "e_n"}, 2),
        ({"version": "../x"}, 2),
    ]  # fmt: skip
    assert [publish(cli, tmp_path, **options)[0] for options, _ in cases] == [
        status for _, status in cases
    ]
    missing = ("--purpose", "marketing", "--version", "1", "--language", "en")
    assert cli("consent", "notice", "publish", *missing, "--file", str(tmp_path / "no"))[0] == 3
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\xff\xfe\x00")
    assert cli("consent", "notice", "publish", *missing, "--file", str(binary))[0] == 2


def test_receipt_verify_good_and_tampered(cli: Invoke, tmp_path: Path, settings: Settings) -> None:
    """A receipt verifies (exit 0); an altered one or a wrong key exits 5; junk exits 2."""
    with Vault.open(settings) as vault, vault.session() as db_session:
        grant_consent(
            db_session=db_session, datamap=vault.datamap, subject_id="C-1", purpose="marketing",
            source="web", at=vault.records.clock.now(),
        )  # fmt: skip
        document = latest_receipt(
            db_session=db_session, subject_id="C-1", purpose="marketing",
            signing_key=vault.keys.audit_signing_key(), controller=None,
        )  # fmt: skip
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(document, indent=2))
    status, _, err = cli("consent", "receipt", "verify", str(good))
    assert status == 0, err
    assert "verifies" in err
    document["receipt"]["purpose"] = "analytics"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    assert cli("consent", "receipt", "verify", str(bad))[0] == 5
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert cli("consent", "receipt", "verify", str(junk))[0] == 2
    assert cli("consent", "receipt", "verify", str(tmp_path / "none.json"))[0] == 3
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert cli("consent", "receipt", "verify", str(good), "--public-key", str(other))[0] == 5
