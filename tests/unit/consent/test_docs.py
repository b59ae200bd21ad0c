"""docs/consent.md says what the code does: its example runs, its routes, commands and settings
exist."""

from __future__ import annotations

import re
from pathlib import Path

from privault.api import create_app
from privault.cli.main import app as cli_app
from privault.config import ConsentSettings, Settings
from privault.consent.receipt import RECEIPT_FORMAT, SIGNING_CONTEXT
from privault.consent.rules import ORIGIN_KEY_LABEL

DOC = Path(__file__).resolve().parents[3] / "docs" / "consent.md"
TEXT = DOC.read_text(encoding="utf-8")


def test_python_examples_run() -> None:
    """Each ```python block runs as written."""
    blocks = re.findall(r"^```python\n(.*?)^```", TEXT, re.S | re.M)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})  # noqa: S102 - our own documentation


def test_routes_named_exist() -> None:
    """Every /v1 consent path on the page is a route of the app, and the reverse."""
    app = create_app(Settings(home=Path("/nonexistent")))
    paths = set(app.openapi()["paths"])
    consent_paths = {p for p in paths if "consent" in p}
    named = set(re.findall(r"`(?:GET|POST|DELETE) (/v1/[^`?]+?)(?:\?[^`]*)?`", TEXT))
    named |= set(re.findall(r"`(/v1/subjects/\{subject_id\}/consents/\{purpose\}[^`]*)`", TEXT))
    assert named <= paths
    assert consent_paths <= named


def test_commands_named_exist() -> None:
    """`privault consent notice publish|list|show` and `receipt verify` are commands."""
    consent = next(group for group in cli_app.registered_groups if group.name == "consent")
    typer_app = consent.typer_instance
    assert typer_app is not None
    groups = {group.name: group.typer_instance for group in typer_app.registered_groups}
    commands = {
        f"{name} {command.name}"
        for name, group in groups.items()
        if group is not None
        for command in group.registered_commands
    }
    assert commands == {"notice publish", "notice list", "notice show", "receipt verify"}
    for command in commands:
        assert f"privault consent {command}" in TEXT


def test_constants_and_settings_match() -> None:
    """The format, signing context, key label and settings on the page are the code's."""
    assert RECEIPT_FORMAT in TEXT
    assert SIGNING_CONTEXT.decode().replace("\n", "\\n") in TEXT
    assert ORIGIN_KEY_LABEL in TEXT
    for name in ConsentSettings.model_fields:
        assert f"PRIVAULT_CONSENT__{name.upper()}" in TEXT
    assert f"| `{ConsentSettings().default_language}` |" in TEXT
