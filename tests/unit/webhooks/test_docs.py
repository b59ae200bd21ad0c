"""The examples in docs/webhooks.md run, and its settings tables show the real defaults."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

from pydantic import BaseModel

from privault.config import ShopifySettings, WebhookSettings

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def test_doc_examples_run() -> None:
    """The receiver's example verifies, and refuses a changed body and a late delivery."""
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6
    assert result.failed == 0


def _rows(pattern: str) -> dict[str, str]:
    return dict(re.findall(pattern, DOC.read_text(encoding="utf-8"), re.M))


def _check(defaults: BaseModel, rows: dict[str, str]) -> None:
    for name, shown in rows.items():
        value = getattr(defaults, name)
        rendered = str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, float) and value.is_integer():
            rendered = str(int(value))
        assert rendered == shown.strip().strip("`"), name


def test_outgoing_settings_table_matches_the_defaults() -> None:
    """Every webhook setting is in the table with its default."""
    rows = _rows(r"^\| `([a-z_]+)` \| `([^`|]+)` \|")
    assert set(rows) == set(WebhookSettings.model_fields) - {"endpoints"}
    _check(WebhookSettings(), rows)


def test_shopify_settings_table_names_every_setting() -> None:
    """The Shopify table lists every setting (secret and file on one row)."""
    names = re.findall(r"^\| `([A-Z_]+)`", DOC.read_text(encoding="utf-8"), re.M)
    extra = {"app_secret_file"}
    assert {n.lower() for n in names} | extra == set(ShopifySettings.model_fields)
    _check(ShopifySettings(), {"max_body_bytes": "262144", "redact_batch_size": "500"})
