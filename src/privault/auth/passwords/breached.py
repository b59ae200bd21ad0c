"""An offline copy of Have I Been Pwned's breached-password list, searched without loading it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from privault.errors import IntegrityViolation, InvalidInput, Unavailable

_HEX40 = re.compile(r"[0-9A-F]{40}")


class BreachedPasswordList:
    """An offline copy of Have I Been Pwned's SHA-1 password list.

    ``path`` is either a directory of range files named by the 5-hex-digit SHA-1 prefix
    (``ABCDE`` or ``ABCDE.txt``), each holding ``SUFFIX:COUNT`` lines as the range API returns
    them, or one file of ``HASH:COUNT`` lines sorted by hash (the downloader's single-file form),
    searched by bisection so it is never loaded into memory.
    """

    def __init__(self, path: Path, *, min_count: int = 1) -> None:
        if not path.exists():
            raise InvalidInput("breached password list not found", code="breached_list_missing")
        self._path = path
        self._min_count = min_count

    def contains(self, password: str) -> bool:
        """Whether the password (as typed, or NFKC-normalised) is in the list."""
        candidates = {password, unicodedata.normalize("NFKC", password)}
        return any(self._count(candidate) >= self._min_count for candidate in candidates)

    def _count(self, password: str) -> int:
        try:
            data = password.encode("utf-8")
        except UnicodeEncodeError:
            return 0
        digest = hashlib.sha1(data, usedforsecurity=False).hexdigest().upper()
        try:
            if self._path.is_dir():
                return self._count_in_range_file(digest)
            return self._count_in_sorted_file(digest)
        except OSError as exc:
            raise Unavailable(
                "breached password list cannot be read", code="breached_list_unreadable"
            ) from exc

    def _count_in_range_file(self, digest: str) -> int:
        prefix, suffix = digest[:5], digest[5:]
        for name in (f"{prefix}.txt", prefix):
            candidate = self._path / name
            if candidate.is_file():
                with candidate.open("r", encoding="ascii", errors="replace") as lines:
                    for line in lines:
                        entry, _, count = line.strip().partition(":")
                        if entry.upper() == suffix:
                            return _parse_count(count)
                return 0
        return 0  # an incomplete copy: an absent range file means no entry

    def _count_in_sorted_file(self, digest: str) -> int:
        target = digest.encode("ascii")
        with self._path.open("rb") as handle:
            low, high = 0, handle.seek(0, 2)
            # Invariant: the line holding target, if any, starts in [low, high).
            while low < high:
                middle = (low + high) // 2
                if middle > 0:
                    # Reading from middle-1 lands on the first line start at or after middle.
                    handle.seek(middle - 1)
                    handle.readline()
                else:
                    handle.seek(0)
                start = handle.tell()
                line = handle.readline()
                if start >= high or not line:
                    high = middle
                    continue
                key = line[:40].upper()
                if not line.strip():  # a trailing blank line sorts after every hash
                    high = middle
                    continue
                if key == target:
                    return _parse_count(line[41:].decode("ascii", errors="replace"))
                if not _HEX40.fullmatch(key.decode("ascii", errors="replace")):
                    raise IntegrityViolation(
                        "breached password list is malformed", code="breached_list_malformed"
                    )
                if key < target:
                    low = handle.tell()
                else:
                    high = middle
            # The bisection can stop on a line start it never read; check it directly.
            handle.seek(low)
            line = handle.readline()
            if line[:40].upper() == target:
                return _parse_count(line[41:].decode("ascii", errors="replace"))
        return 0


def _parse_count(text: str) -> int:
    try:
        return int(text.strip() or "1")
    except ValueError:
        raise IntegrityViolation(
            "breached password list is malformed", code="breached_list_malformed"
        ) from None
