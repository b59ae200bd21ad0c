"""Redaction: replace findings with a mask, a type label, a keyed hash, or a vault token."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from privault.dlp.findings import Finding, mask_value
from privault.errors import InvalidInput

__all__ = ["RedactMode", "Redactor", "Tokenizer", "redact"]

RedactMode = Literal["mask", "label", "hash", "token"]
Tokenizer = Callable[[str, str], str]
"""``tokenizer(pii_type, value) -> token``: the vault's tokenisation, wired in by the caller."""

_MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class Redactor:
    """How to replace a finding: ``mask`` keeps separators (cards keep their last four digits),
    ``label`` writes ``[TYPE]``, ``hash`` writes ``[TYPE:hmac]`` (HMAC-SHA256 under ``key``, the
    same value always gives the same tag so joins still work), ``token`` calls ``tokenizer``.
    """

    mode: RedactMode = "mask"
    key: bytes | None = None
    tokenizer: Tokenizer | None = None
    mask_char: str = "*"
    keep_last: int = 4

    def __post_init__(self) -> None:
        if self.mode not in get_args(RedactMode):
            raise InvalidInput("unknown redaction mode", code="dlp_bad_mode", mode=self.mode)
        if self.mode == "hash" and (self.key is None or len(self.key) < _MIN_KEY_BYTES):
            raise InvalidInput(
                "hash redaction needs a key of at least 16 bytes", code="dlp_missing_key"
            )
        if self.mode == "token" and self.tokenizer is None:
            raise InvalidInput("token redaction needs a tokenizer", code="dlp_missing_tokenizer")
        if len(self.mask_char) != 1:
            raise InvalidInput("mask_char must be one character", code="dlp_bad_mask")

    def replacement(self, value: str, pii_type: str) -> str:
        """The text that replaces ``value`` (a finding of ``pii_type``)."""
        if self.mode == "mask":
            return mask_value(value, pii_type, mask_char=self.mask_char, keep_last=self.keep_last)
        if self.mode == "label":
            return f"[{pii_type.upper()}]"
        if self.mode == "hash" and self.key is not None:
            digest = hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()
            return f"[{pii_type.upper()}:{digest[:16]}]"
        if self.tokenizer is not None:
            return self.tokenizer(pii_type, value)
        raise InvalidInput("redactor is missing its key or tokenizer", code="dlp_bad_redactor")

    def apply(self, text: str, findings: Iterable[Finding]) -> str:
        """``text`` with every finding replaced; overlapping findings are replaced once."""
        ordered = sorted(findings, key=lambda f: (f.start, -f.end))
        parts: list[str] = []
        position = 0
        for finding in ordered:
            if finding.start < 0 or finding.end > len(text) or finding.start > finding.end:
                raise InvalidInput(
                    "finding lies outside the text",
                    code="dlp_bad_span",
                    start=finding.start,
                    end=finding.end,
                )
            if finding.start < position:
                if finding.end <= position:
                    continue
                start = position  # overlaps the previous replacement: cover only the rest
            else:
                start = finding.start
            parts.append(text[position:start])
            parts.append(self.replacement(text[start : finding.end], finding.type))
            position = finding.end
        parts.append(text[position:])
        return "".join(parts)


def redact(
    text: str,
    findings: Iterable[Finding],
    *,
    mode: RedactMode = "mask",
    key: bytes | None = None,
    tokenizer: Tokenizer | None = None,
    mask_char: str = "*",
    keep_last: int = 4,
) -> str:
    """Replace each finding in ``text`` according to ``mode`` (see ``Redactor``)."""
    redactor = Redactor(mode, key, tokenizer, mask_char, keep_last)
    return redactor.apply(text, findings)
