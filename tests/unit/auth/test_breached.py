"""Offline breached-password list in the HIBP range layout, both directory and sorted file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from privault.auth import BreachedPasswordList, PasswordPolicy, check_password
from privault.errors import IntegrityViolation, InvalidInput

BREACHED = ["hunter2-but-longer", "correct horse battery staple", "pässwörd-ünïcödé"]
# Other hashes around them, so lookups have neighbours to pass over.
FILLER = [f"filler-password-{i}" for i in range(300)]


def sha1(password: str) -> str:
    """Upper-case hex SHA-1, as HIBP publishes."""
    return hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()


@pytest.fixture
def range_dir(tmp_path: Path) -> Path:
    """A directory of PREFIX.txt range files holding SUFFIX:COUNT lines."""
    files: dict[str, list[str]] = {}
    for count, password in enumerate(BREACHED + FILLER, start=1):
        digest = sha1(password)
        files.setdefault(digest[:5], []).append(f"{digest[5:]}:{count}")
    for prefix, lines in files.items():
        (tmp_path / f"{prefix}.txt").write_text("\r\n".join(sorted(lines)) + "\r\n")
    return tmp_path


@pytest.fixture
def sorted_file(tmp_path: Path) -> Path:
    """One file of HASH:COUNT lines sorted by hash."""
    path = tmp_path / "pwned.txt"
    lines = sorted(f"{sha1(p)}:{n}" for n, p in enumerate(BREACHED + FILLER, start=1))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("layout", ["range_dir", "sorted_file"])
class TestLookup:
    def test_every_listed_password_is_found(
        self, layout: str, request: pytest.FixtureRequest
    ) -> None:
        """Every password in the list is found, wherever it sits in the file."""
        listing = BreachedPasswordList(request.getfixturevalue(layout))
        assert all(listing.contains(p) for p in BREACHED + FILLER)

    def test_unlisted_password_not_found(self, layout: str, request: pytest.FixtureRequest) -> None:
        """Passwords not in the list, including near misses, are not found."""
        listing = BreachedPasswordList(request.getfixturevalue(layout))
        for password in ("hunter2-but-longer!", "filler-password-300", "", "zzzz"):
            assert not listing.contains(password)

    def test_decomposed_form_of_listed_password_found(
        self, layout: str, request: pytest.FixtureRequest
    ) -> None:
        """A listed password typed with combining accents is found through its NFKC form."""
        listing = BreachedPasswordList(request.getfixturevalue(layout))
        assert listing.contains("pa\u0308sswo\u0308rd-u\u0308ni\u0308co\u0308de\u0301")

    def test_min_count_filters_rare_entries(
        self, layout: str, request: pytest.FixtureRequest
    ) -> None:
        """With min_count, entries seen fewer times are ignored."""
        listing = BreachedPasswordList(request.getfixturevalue(layout), min_count=2)
        assert not listing.contains(BREACHED[0])  # count 1
        assert listing.contains(BREACHED[1])  # count 2


def test_single_line_sorted_file(tmp_path: Path) -> None:
    """A file with one entry and no trailing newline is searched correctly."""
    path = tmp_path / "one.txt"
    path.write_text(f"{sha1('only-one-here')}:5")
    listing = BreachedPasswordList(path)
    assert listing.contains("only-one-here")
    assert not listing.contains("another")


def test_empty_sorted_file_contains_nothing(tmp_path: Path) -> None:
    """An empty list finds nothing and does not fail."""
    path = tmp_path / "empty.txt"
    path.write_text("")
    assert not BreachedPasswordList(path).contains("anything")


def test_missing_path_refused(tmp_path: Path) -> None:
    """A configured path that does not exist is reported at construction."""
    with pytest.raises(InvalidInput):
        BreachedPasswordList(tmp_path / "nope")


def test_malformed_sorted_file_is_integrity_violation(tmp_path: Path) -> None:
    """A file that is not HASH:COUNT lines is reported as corrupt, not silently passed."""
    path = tmp_path / "bad.txt"
    path.write_text("this is not a hash list\n" * 50)
    with pytest.raises(IntegrityViolation):
        BreachedPasswordList(path).contains("anything")


def test_check_password_reports_breached(range_dir: Path) -> None:
    """check_password refuses a listed password with the 'breached' reason."""
    verdict = check_password(
        "correct horse battery staple",
        policy=PasswordPolicy(),
        has_second_factor=False,
        breached=BreachedPasswordList(range_dir),
    )
    assert "breached" in verdict.codes
