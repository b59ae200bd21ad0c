"""Self-signed development certificates: content, files, CLI, and a real HTTPS handshake."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import typer
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from privault.config import Settings
from privault.errors import Conflict, InvalidInput
from privault.tls import cli as tls_cli
from privault.tls import make_self_signed, write_self_signed


@pytest.fixture(scope="module")
def made() -> tuple[x509.Certificate, bytes, bytes]:
    """One certificate for localhost, a name and two IP literals, valid 30 days."""
    cert_pem, key_pem = make_self_signed(
        hosts=["localhost", "shop.test", "127.0.0.1", "::1"], days=30
    )
    return x509.load_pem_x509_certificate(cert_pem), cert_pem, key_pem


class TestMakeSelfSigned:
    """make_self_signed."""

    def test_sans_name_every_host_with_ip_literals_as_ips(
        self, made: tuple[x509.Certificate, bytes, bytes]
    ) -> None:
        """DNS names become DNSName entries, IP literals IPAddress entries."""
        san = made[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["localhost", "shop.test"]
        assert san.get_values_for_type(x509.IPAddress) == [
            ipaddress.ip_address("127.0.0.1"),
            ipaddress.ip_address("::1"),
        ]

    def test_common_name_is_the_first_host(
        self, made: tuple[x509.Certificate, bytes, bytes]
    ) -> None:
        """The subject CN is the first host and the certificate is self-issued."""
        cert = made[0]
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
        assert cert.issuer == cert.subject

    def test_is_a_server_leaf_certificate(
        self, made: tuple[x509.Certificate, bytes, bytes]
    ) -> None:
        """serverAuth EKU, not a CA, digital-signature key usage."""
        cert = made[0]
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature

    def test_validity_starts_five_minutes_back_and_lasts_the_days(
        self, made: tuple[x509.Certificate, bytes, bytes]
    ) -> None:
        """not_before is about now - 5 min; not_after about now + days."""
        cert = made[0]
        now = datetime.now(UTC)
        assert now - timedelta(minutes=6) < cert.not_valid_before_utc < now - timedelta(minutes=4)
        expected_end = now + timedelta(days=30)
        assert abs(cert.not_valid_after_utc - expected_end) < timedelta(minutes=1)

    def test_key_is_p256_and_matches_the_certificate(
        self, made: tuple[x509.Certificate, bytes, bytes]
    ) -> None:
        """The key is EC P-256, unencrypted PKCS#8, and its public half is the certificate's;
        the certificate's signature verifies under it."""
        cert, _, key_pem = made
        assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
        key = serialization.load_pem_private_key(key_pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert isinstance(key.curve, ec.SECP256R1)
        assert key.public_key() == cert.public_key()
        cert.verify_directly_issued_by(cert)

    def test_two_certificates_have_different_keys_and_serials(self) -> None:
        """Every call makes a fresh key and serial."""
        first = x509.load_pem_x509_certificate(make_self_signed(hosts=["a.test"], days=1)[0])
        second = x509.load_pem_x509_certificate(make_self_signed(hosts=["a.test"], days=1)[0])
        assert first.serial_number != second.serial_number
        assert first.public_key() != second.public_key()

    def test_wildcard_host_is_allowed(self) -> None:
        """`*.shop.test` is a valid SAN."""
        cert = x509.load_pem_x509_certificate(make_self_signed(hosts=["*.shop.test"], days=1)[0])
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["*.shop.test"]

    @pytest.mark.parametrize(
        "host",
        ["", "bad host", "exa_mple.test", "-lead.test", "bücher.test", "*.test", "a" * 64, "a/b"],
    )
    def test_bad_host_is_refused(self, host: str) -> None:
        """Empty, spaced, underscored, hyphen-led, non-ASCII, bare-wildcard, over-long label."""
        with pytest.raises(InvalidInput) as error:
            make_self_signed(hosts=[host], days=1)
        assert error.value.code == "invalid_host"

    def test_huge_host_message_is_short(self) -> None:
        """A 10 KB host is refused with a message quoting only its start."""
        with pytest.raises(InvalidInput) as error:
            make_self_signed(hosts=["x" * 10_000], days=1)
        assert len(error.value.message) < 300

    def test_no_hosts_is_refused(self) -> None:
        """An empty host list is refused."""
        with pytest.raises(InvalidInput):
            make_self_signed(hosts=[], days=1)

    @pytest.mark.parametrize("days", [0, -1, 826])
    def test_days_out_of_range_are_refused(self, days: int) -> None:
        """Validity must be 1 to 825 days."""
        with pytest.raises(InvalidInput) as error:
            make_self_signed(hosts=["localhost"], days=days)
        assert error.value.code == "invalid_days"


class TestWriteSelfSigned:
    """write_self_signed."""

    def test_writes_cert_and_private_key_file(self, tmp_path: Path) -> None:
        """cert.pem and key.pem are written in a new directory; the key is mode 0600."""
        cert_path, key_path = write_self_signed(tmp_path / "tls", hosts=["localhost"], days=1)
        assert (cert_path.name, key_path.name) == ("cert.pem", "key.pem")
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert key.public_key() == cert.public_key()
        assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) & 0o077 == 0
        assert sorted(p.name for p in (tmp_path / "tls").iterdir()) == ["cert.pem", "key.pem"]

    @pytest.mark.parametrize("existing", ["cert.pem", "key.pem"])
    def test_refuses_to_overwrite(self, tmp_path: Path, existing: str) -> None:
        """An existing cert.pem or key.pem is left alone without force."""
        (tmp_path / existing).write_bytes(b"keep me")
        with pytest.raises(Conflict) as error:
            write_self_signed(tmp_path, hosts=["localhost"], days=1)
        assert error.value.code == "tls_files_exist"
        assert (tmp_path / existing).read_bytes() == b"keep me"
        assert [p.name for p in tmp_path.iterdir()] == [existing]

    def test_force_replaces_both(self, tmp_path: Path) -> None:
        """With force a new key and certificate replace the old ones, key still 0600."""
        _, key_path = write_self_signed(tmp_path, hosts=["localhost"], days=1)
        old_key = key_path.read_bytes()
        key_path.chmod(0o644)
        write_self_signed(tmp_path, hosts=["localhost"], days=1, force=True)
        assert key_path.read_bytes() != old_key
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600

    def test_bad_host_writes_nothing(self, tmp_path: Path) -> None:
        """A refused host leaves no directory or file behind."""
        with pytest.raises(InvalidInput):
            write_self_signed(tmp_path / "tls", hosts=["bad host"], days=1)
        assert not (tmp_path / "tls").exists()


def _cli(home: Path) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = Settings(home=home)

    root.add_typer(tls_cli.app, name="tls")
    return root


class TestCli:
    """``privault tls self-signed``."""

    def test_default_writes_under_home_for_localhost(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without options the files go to <home>/tls, for localhost, 127.0.0.1 and ::1."""
        _cli(tmp_path / "home")(args=["tls", "self-signed"], standalone_mode=False)
        cert_path = tmp_path / "home" / "tls" / "cert.pem"
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["localhost"]
        assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
        assert "--tls-cert" in capsys.readouterr().err

    def test_options_choose_directory_hosts_and_days(self, tmp_path: Path) -> None:
        """--out, --host and --days are honoured; a second run needs --force."""
        argv = ["tls", "self-signed", "--out", str(tmp_path / "certs"), "--host", "shop.test"]
        _cli(tmp_path)(args=[*argv, "--days", "2"], standalone_mode=False)
        cert = x509.load_pem_x509_certificate((tmp_path / "certs" / "cert.pem").read_bytes())
        assert cert.not_valid_after_utc - cert.not_valid_before_utc < timedelta(days=2, hours=1)
        with pytest.raises(Conflict):
            _cli(tmp_path)(args=argv, standalone_mode=False)
        _cli(tmp_path)(args=[*argv, "--force"], standalone_mode=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await JSONResponse({"tls": scope["scheme"]})(scope, receive, send)


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """uvicorn serving HTTPS on loopback with a fresh self-signed certificate."""
    cert_path, key_path = write_self_signed(tmp_path, hosts=["localhost", "127.0.0.1"], days=1)
    port = _free_port()
    config = uvicorn.Config(
        _hello,
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(cert_path),
        ssl_keyfile=str(key_path),
        log_level="error",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port, cert_path
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_uvicorn_serves_https_that_verifies_against_the_certificate(
    https_server: tuple[int, Path],
) -> None:
    """A client trusting only the certificate completes a verified TLS handshake, by name and
    by IP; a client trusting the default CAs refuses it."""
    port, cert_path = https_server
    trusting = ssl.create_default_context(cafile=str(cert_path))
    for host in ("localhost", "127.0.0.1"):
        response = httpx.get(f"https://{host}:{port}/", verify=trusting)
        assert response.json() == {"tls": "https"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://127.0.0.1:{port}/", verify=ssl.create_default_context())
