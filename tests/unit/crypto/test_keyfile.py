"""Key files: mode 0600, sealed under a passphrase, and refused when altered or swapped."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from privault.crypto.keyfile import KeyProtection, read_keyfile, write_keyfile
from privault.errors import IntegrityViolation, InvalidInput, NotFound

SECRET = b"\x01" * 32


class TestKeyFile:
    """Writing and reading key files."""

    def test_plain_file_round_trips_with_mode_0600(self, tmp_path: Path) -> None:
        """An unprotected file is readable by its owner only."""
        path = tmp_path / "root.json"
        write_keyfile(
            path, kind="root", region=None, payload=SECRET, meta={}, protection=KeyProtection()
        )
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert read_keyfile(path, kind="root", protection=KeyProtection()).payload == SECRET

    def test_passphrase_file_hides_the_secret(self, tmp_path: Path) -> None:
        """With a passphrase the payload on disk is not the secret."""
        path = tmp_path / "root.json"
        protection = KeyProtection(passphrase=b"correct horse battery staple")
        write_keyfile(
            path, kind="root", region=None, payload=SECRET, meta={}, protection=protection
        )
        assert SECRET not in path.read_bytes()
        assert read_keyfile(path, kind="root", protection=protection).payload == SECRET

    def test_wrong_passphrase_is_refused(self, tmp_path: Path) -> None:
        """A wrong passphrase gives IntegrityViolation, not garbage."""
        path = tmp_path / "root.json"
        write_keyfile(
            path,
            kind="root",
            region=None,
            payload=SECRET,
            meta={},
            protection=KeyProtection(passphrase=b"one"),
        )
        with pytest.raises(IntegrityViolation, match="wrong passphrase"):
            read_keyfile(path, kind="root", protection=KeyProtection(passphrase=b"two"))

    def test_edited_metadata_is_refused_under_passphrase(self, tmp_path: Path) -> None:
        """Metadata is bound to the sealed payload."""
        path = tmp_path / "master-eu.json"
        protection = KeyProtection(passphrase=b"pass")
        write_keyfile(
            path,
            kind="master",
            region="eu",
            payload=SECRET,
            meta={"versions": {"1": {}}},
            protection=protection,
        )
        document = json.loads(path.read_text())
        document["region"] = "us"
        path.write_text(json.dumps(document))
        with pytest.raises(IntegrityViolation):
            read_keyfile(path, kind="master", protection=protection)

    def test_protection_mismatch_is_explained(self, tmp_path: Path) -> None:
        """Opening a passphrase file without a passphrase says which setting is missing."""
        path = tmp_path / "root.json"
        write_keyfile(
            path,
            kind="root",
            region=None,
            payload=SECRET,
            meta={},
            protection=KeyProtection(passphrase=b"pass"),
        )
        with pytest.raises(InvalidInput, match="PRIVAULT_KEYS__PASSPHRASE"):
            read_keyfile(path, kind="root", protection=KeyProtection())

    def test_wrong_kind_is_refused(self, tmp_path: Path) -> None:
        """A root file is not accepted as a master keyset."""
        path = tmp_path / "root.json"
        write_keyfile(
            path, kind="root", region=None, payload=SECRET, meta={}, protection=KeyProtection()
        )
        with pytest.raises(IntegrityViolation, match="not a master key file"):
            read_keyfile(path, kind="master", protection=KeyProtection())

    @pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"format": "other"}'])
    def test_garbage_file_is_refused(self, tmp_path: Path, content: bytes) -> None:
        """Corrupt files give IntegrityViolation."""
        path = tmp_path / "root.json"
        path.write_bytes(content)
        with pytest.raises(IntegrityViolation):
            read_keyfile(path, kind="root", protection=KeyProtection())

    def test_missing_file_says_run_init(self, tmp_path: Path) -> None:
        """A missing key file points at `privault init`."""
        with pytest.raises(NotFound, match="privault init"):
            read_keyfile(tmp_path / "root.json", kind="root", protection=KeyProtection())
