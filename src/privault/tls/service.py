"""Self-signed certificates for development HTTPS (production uses a certificate from a CA)."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from privault.errors import Conflict, InvalidInput

__all__ = ["CERT_FILE", "KEY_FILE", "MAX_DAYS", "make_self_signed", "write_self_signed"]

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
MAX_DAYS = 825  # the longest validity browsers accepted for a TLS server certificate
# Tolerates a client clock a little behind the machine that made the certificate.
_BACKDATE = timedelta(minutes=5)
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)


def _check_host(host: object) -> x509.GeneralName:
    """The SAN entry for ``host``: an IP address for IP literals, a DNS name otherwise."""
    if not isinstance(host, str) or not host:
        raise InvalidInput("a host must be a non-empty name or IP address", code="invalid_host")
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host.lower().removesuffix(".")
    labels = name.split(".")
    if labels[0] == "*" and len(labels) > 2:
        labels = labels[1:]  # one leading wildcard label, as in *.shop.test
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        shown = repr(host[:60])
        raise InvalidInput(
            f"{shown} is not a valid host name or IP address "
            "(use letters, digits and hyphens; write non-ASCII names in punycode)",
            code="invalid_host",
        )
    return x509.DNSName(name)


def make_self_signed(*, hosts: list[str], days: int) -> tuple[bytes, bytes]:
    """A self-signed TLS server certificate for ``hosts`` and its EC P-256 key, both PEM.

    Every host is a subject alternative name (IP literals as IP addresses); the first is also
    the common name. Valid from five minutes ago for ``days`` days.
    """
    if not hosts:
        raise InvalidInput("give at least one host", code="invalid_host")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1 to {MAX_DAYS}", code="invalid_days")
    names = list(dict.fromkeys(_check_host(host) for host in hosts))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, str(names[0].value)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "privault development"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert_pem, key_pem


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write to a new file created with ``mode`` and move it into place: never a half-written
    or briefly world-readable key."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # the umask may have narrowed it; never widen the key
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_self_signed(
    out_dir: Path, *, hosts: list[str], days: int, force: bool = False
) -> tuple[Path, Path]:
    """Make a self-signed certificate and write ``cert.pem`` and ``key.pem`` (mode 0600) in
    ``out_dir``; refuse to overwrite either unless ``force``. Returns both paths."""
    cert_path, key_path = out_dir / CERT_FILE, out_dir / KEY_FILE
    if not force:
        existing = [str(path) for path in (cert_path, key_path) if path.exists()]
        if existing:
            raise Conflict(
                f"{', '.join(existing)} already exists; pass --force to replace",
                code="tls_files_exist",
            )
    cert_pem, key_pem = make_self_signed(hosts=hosts, days=days)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_atomically(key_path, key_pem, 0o600)
    _write_atomically(cert_path, cert_pem, 0o644)
    return cert_path, key_path
