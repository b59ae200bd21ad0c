"""TLS tooling: self-signed certificates for development HTTPS (``privault tls self-signed``)."""

from __future__ import annotations

from privault.tls.service import (
    CERT_FILE,
    KEY_FILE,
    MAX_DAYS,
    make_self_signed,
    write_self_signed,
)

__all__ = ["CERT_FILE", "KEY_FILE", "MAX_DAYS", "make_self_signed", "write_self_signed"]
