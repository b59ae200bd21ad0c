"""API keys on a real database (SQLite and PostgreSQL): create, authenticate, list, revoke, CLI."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import typer
from sqlalchemy import text
from sqlalchemy.orm import Session

from privault.apikeys import (
    HASH_KEY_LABEL,
    ApiKeyRead,
    authenticate,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
)
from privault.apikeys import cli as apikeys_cli
from privault.config import Settings
from privault.errors import InvalidInput, NotFound, Unauthenticated
from privault.vault import Vault

T0 = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
KEY_FORMAT = r"pvk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}"


@pytest.fixture
def keyed_vault(vault: Vault) -> Vault:
    """The fresh vault (its migrations include the api_keys table)."""
    return vault


@pytest.fixture
def db_session(keyed_vault: Vault) -> Iterator[Session]:
    """A session committed at the end of the test, as the request scope would."""
    with keyed_vault.session() as session:
        yield session


@pytest.fixture
def hash_key(keyed_vault: Vault) -> bytes:
    """The hashing key the server derives for API keys."""
    return keyed_vault.keys.derived.derive(HASH_KEY_LABEL)


def _create(
    db_session: Session, vault: Vault, hash_key: bytes, role: str = "support_agent", **kw: object
) -> tuple[str, ApiKeyRead]:
    created = create_api_key(
        db_session=db_session,
        datamap=vault.datamap,
        hash_key=hash_key,
        role=role,
        at=T0,
        **kw,  # type: ignore[arg-type]
    )
    return created.key, created.record


def _raw_rows(db_session: Session) -> list[tuple[object, ...]]:
    return [tuple(row) for row in db_session.execute(text("SELECT * FROM api_keys"))]


class TestCreate:
    """Creating a key: its format, its scope, and what is stored."""

    def test_key_has_documented_format_and_id(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """The key is pvk_<12 hex id>_<43 base64url chars>, and its id is the record's."""
        key, record = _create(db_session, keyed_vault, hash_key)
        assert re.fullmatch(KEY_FORMAT, key)
        assert key.split("_")[1] == record.id
        secret = key[len("pvk_") + 13 :]
        assert len(base64.urlsafe_b64decode(secret + "=")) == 32

    def test_plaintext_secret_is_in_no_column(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """No column of the table holds the key, its secret text or its secret bytes."""
        key, _ = _create(db_session, keyed_vault, hash_key, name="checkout")
        secret_text = key[len("pvk_") + 13 :]
        secret_bytes = base64.urlsafe_b64decode(secret_text + "=")
        rows = _raw_rows(db_session)
        assert len(rows) == 1
        for value in rows[0]:
            if isinstance(value, bytes | memoryview):
                assert secret_bytes not in bytes(value)
                assert secret_text.encode() not in bytes(value)
            else:
                assert secret_text not in str(value)

    def test_read_model_never_carries_the_hash(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """ApiKeyRead has no hash field, and the created key is hidden from repr."""
        _, record = _create(db_session, keyed_vault, hash_key)
        assert "secret_hash" not in record.model_dump()
        created = create_api_key(
            db_session=db_session,
            datamap=keyed_vault.datamap,
            hash_key=hash_key,
            role="support_agent",
            at=T0,
        )
        assert created.key not in repr(created)

    def test_two_keys_differ(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Every key has its own id and secret."""
        first, a = _create(db_session, keyed_vault, hash_key)
        second, b = _create(db_session, keyed_vault, hash_key)
        assert a.id != b.id
        assert first[17:] != second[17:]

    def test_scope_is_stored_as_given(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Purposes and regions narrow the key; duplicates collapse; None means all."""
        _, narrow = _create(
            db_session,
            keyed_vault,
            hash_key,
            role="marketing",
            purposes=["analytics", "analytics"],
            regions=["eu"],
            name="newsletter",
        )
        _, wide = _create(db_session, keyed_vault, hash_key, role="marketing")
        stored = get_api_key(db_session=db_session, key_id=narrow.id)
        assert (stored.purposes, stored.regions, stored.name) == (
            ["analytics"],
            ["eu"],
            "newsletter",
        )
        assert stored.allows_purpose("analytics")
        assert not stored.allows_purpose("marketing")
        assert not stored.allows_region("us")
        assert wide.purposes is None
        assert wide.regions is None
        assert wide.allows_purpose("marketing")
        assert wide.allows_region("us")

    def test_none_scope_is_sql_null(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """An unrestricted scope is stored as SQL NULL, not JSON null."""
        _create(db_session, keyed_vault, hash_key)
        nulls = db_session.execute(
            text("SELECT COUNT(*) FROM api_keys WHERE purposes IS NULL AND regions IS NULL")
        ).scalar_one()
        assert nulls == 1

    def test_unknown_role_is_refused_with_suggestion(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """A role not in the data map is refused, naming it and the closest role."""
        with pytest.raises(InvalidInput, match=r"support_agnt.*did you mean 'support_agent'") as e:
            _create(db_session, keyed_vault, hash_key, role="support_agnt")
        assert e.value.code == "unknown_role"

    def test_purpose_outside_the_role_is_refused(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """A declared purpose the role does not hold is refused, naming it."""
        with pytest.raises(InvalidInput, match="'marketing' for role 'support_agent'") as e:
            _create(db_session, keyed_vault, hash_key, purposes=["marketing"])
        assert e.value.code == "unknown_purpose"

    def test_unknown_region_is_refused_with_suggestion(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """A region the data map does not declare is refused with a did-you-mean."""
        with pytest.raises(InvalidInput, match=r"'EU'.*did you mean 'eu'") as e:
            _create(db_session, keyed_vault, hash_key, regions=["EU"])
        assert e.value.code == "unknown_region"

    def test_empty_purpose_list_is_refused(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """An empty list would make a key that can do nothing: refused."""
        with pytest.raises(InvalidInput) as e:
            _create(db_session, keyed_vault, hash_key, purposes=[])
        assert e.value.code == "empty_purposes"

    @pytest.mark.parametrize("name", ["", "   ", "a\nb", "x" * 101])
    def test_bad_name_is_refused(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes, name: str
    ) -> None:
        """A blank, multi-line or over-long label is refused."""
        with pytest.raises(InvalidInput) as e:
            _create(db_session, keyed_vault, hash_key, name=name)
        assert e.value.code == "invalid_key_name"

    def test_huge_role_is_refused_with_a_short_message(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """A 10 KB role name is refused and the message quotes only its start."""
        with pytest.raises(InvalidInput) as e:
            _create(db_session, keyed_vault, hash_key, role="r" * 10_000)
        assert len(e.value.message) < 300

    def test_short_hash_key_is_refused(self, db_session: Session, keyed_vault: Vault) -> None:
        """A hashing key under 32 bytes is refused before anything is stored."""
        with pytest.raises(InvalidInput):
            _create(db_session, keyed_vault, b"short")
        assert _raw_rows(db_session) == []

    def test_naive_time_is_refused(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Times must be timezone-aware."""
        with pytest.raises(InvalidInput):
            create_api_key(
                db_session=db_session,
                datamap=keyed_vault.datamap,
                hash_key=hash_key,
                role="support_agent",
                at=datetime(2024, 1, 1),
            )


class TestAuthenticate:
    """Presenting a key: accepted only when well-formed, known, right and active."""

    def test_valid_key_authenticates_to_its_record(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """The key just created authenticates and carries its role and scope."""
        key, record = _create(db_session, keyed_vault, hash_key, regions=["us"])
        found = authenticate(db_session=db_session, hash_key=hash_key, presented=key, at=T0)
        assert (found.id, found.role, found.regions) == (record.id, "support_agent", ["us"])

    def test_other_hash_key_does_not_authenticate(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """A key is bound to the hashing key: a server with another root secret refuses it."""
        key, _ = _create(db_session, keyed_vault, hash_key)
        with pytest.raises(Unauthenticated):
            authenticate(db_session=db_session, hash_key=b"k" * 32, presented=key, at=T0)

    def _refusal(self, db_session: Session, hash_key: bytes, presented: str) -> Unauthenticated:
        with pytest.raises(Unauthenticated) as e:
            authenticate(db_session=db_session, hash_key=hash_key, presented=presented, at=T0)
        return e.value

    def test_every_bad_key_gets_the_same_answer(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Wrong secret, unknown id, revoked and malformed keys: identical message and code."""
        key, record = _create(db_session, keyed_vault, hash_key)
        revoked_key, revoked = _create(db_session, keyed_vault, hash_key)
        revoke_api_key(db_session=db_session, key_id=revoked.id, at=T0)
        last = "A" if key[-1] != "A" else "B"
        other_id = "0" * 12 if record.id != "0" * 12 else "1" * 12
        bad = {
            "wrong secret": key[:-1] + last,
            "unknown id": f"pvk_{other_id}{key[16:]}",
            "revoked": revoked_key,
            "prefix only": "pvk_",
            "empty": "",
            "10 KB": "pvk_" + "a" * 10_240,
            "non-ASCII": key[:-1] + "é",
            # An all-digit id has no case to change, so force an upper-case letter into it.
            "upper-case id": key[:4] + "A" + key[5:16].upper() + key[16:],
            "padded": key + "=",
            "whitespace": " " + key,
        }
        answers = {
            name: (err.message, err.code)
            for name, presented in bad.items()
            for err in [self._refusal(db_session, hash_key, presented)]
        }
        assert set(answers.values()) == {("invalid API key", "bad_api_key")}, answers

    def test_non_string_is_refused(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Something other than a string is refused like a malformed key."""
        err = self._refusal(db_session, hash_key, None)  # type: ignore[arg-type]
        assert err.code == "bad_api_key"

    def test_refusal_does_not_echo_the_key(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Neither message nor context carries the presented key."""
        key, _ = _create(db_session, keyed_vault, hash_key)
        wrong = key[:-4] + "AAAA"
        err = self._refusal(db_session, hash_key, wrong)
        assert wrong[4:16] not in err.message
        assert err.context == {}

    def test_last_used_is_recorded_at_most_once_a_minute(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """The first use sets last_used_at; uses within a minute leave it; later ones move it."""
        key, record = _create(db_session, keyed_vault, hash_key)
        assert record.last_used_at is None

        def use(at: datetime) -> datetime | None:
            authenticate(db_session=db_session, hash_key=hash_key, presented=key, at=at)
            return get_api_key(db_session=db_session, key_id=record.id).last_used_at

        assert use(T0) == T0
        assert use(T0 + timedelta(seconds=59)) == T0
        assert use(T0 + timedelta(seconds=61)) == T0 + timedelta(seconds=61)


class TestListAndRevoke:
    """Listing and revoking keys."""

    def test_list_shows_every_key_oldest_first(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Both keys are listed in creation order; --active leaves out revoked ones."""
        _, first = _create(db_session, keyed_vault, hash_key)
        _, second = (
            create_api_key(
                db_session=db_session,
                datamap=keyed_vault.datamap,
                hash_key=hash_key,
                role="dpo",
                at=T0 + timedelta(seconds=1),
            )
            .model_dump()
            .values()
        )
        revoke_api_key(db_session=db_session, key_id=first.id, at=T0)
        listed = list_api_keys(db_session=db_session)
        assert [k.id for k in listed] == [first.id, second["id"]]
        assert [k.id for k in list_api_keys(db_session=db_session, include_revoked=False)] == [
            second["id"]
        ]

    def test_revoke_is_idempotent_and_keeps_the_first_time(
        self, db_session: Session, keyed_vault: Vault, hash_key: bytes
    ) -> None:
        """Revoking a revoked key succeeds and keeps its original revocation time."""
        _, record = _create(db_session, keyed_vault, hash_key)
        first = revoke_api_key(db_session=db_session, key_id=record.id, at=T0)
        again = revoke_api_key(db_session=db_session, key_id=record.id, at=T0 + timedelta(days=1))
        assert first.revoked_at == again.revoked_at == T0
        assert not again.active

    @pytest.mark.parametrize("key_id", ["0" * 12, "", "pvk_", "x" * 10_000, "ÿ" * 12])
    def test_revoking_an_unknown_key_is_not_found(
        self, db_session: Session, keyed_vault: Vault, key_id: str
    ) -> None:
        """Unknown or malformed ids are NotFound, without echoing the input."""
        with pytest.raises(NotFound) as e:
            revoke_api_key(db_session=db_session, key_id=key_id, at=T0)
        assert e.value.code == "api_key_not_found"
        assert len(e.value.message) < 100

    def test_revocation_survives_commit(self, keyed_vault: Vault, hash_key: bytes) -> None:
        """A key revoked in one transaction is refused in the next."""
        with keyed_vault.session() as s:
            key, record = _create(s, keyed_vault, hash_key)
        with keyed_vault.session() as s:
            revoke_api_key(db_session=s, key_id=record.id, at=T0)
        with keyed_vault.session() as s, pytest.raises(Unauthenticated):
            authenticate(db_session=s, hash_key=hash_key, presented=key, at=T0)


@pytest.fixture
def cli(settings: Settings, keyed_vault: Vault) -> typer.Typer:
    """The apikey commands mounted on a root that supplies the test's settings."""
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = settings

    root.add_typer(apikeys_cli.app, name="apikey")
    return root


def _run(cli: typer.Typer, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    cli(args=list(argv), standalone_mode=False)
    captured = capsys.readouterr()
    return captured.out, captured.err


class TestCli:
    """``privault apikey create|list|revoke``."""

    def test_create_prints_the_key_once_on_stdout_and_warns_on_stderr(
        self,
        cli: typer.Typer,
        capsys: pytest.CaptureFixture[str],
        keyed_vault: Vault,
        hash_key: bytes,
    ) -> None:
        """stdout is exactly the key (pipeable); stderr warns it is shown once; it works."""
        stdout, stderr = _run(
            cli, capsys, "apikey", "create", "--role", "marketing", "--purpose", "analytics",
            "--region", "eu", "--name", "reports",
        )  # fmt: skip
        key = stdout.strip()
        assert re.fullmatch(KEY_FORMAT, key)
        assert key not in stderr
        assert "only time" in stderr
        with keyed_vault.session() as s:
            found = authenticate(db_session=s, hash_key=hash_key, presented=key, at=T0)
        assert (found.role, found.purposes, found.regions, found.name) == (
            "marketing",
            ["analytics"],
            ["eu"],
            "reports",
        )

    def test_list_shows_keys_but_never_secrets(
        self, cli: typer.Typer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The table names id, role and status, and no secret."""
        key = _run(cli, capsys, "apikey", "create", "--role", "dpo")[0].strip()
        stdout, _ = _run(cli, capsys, "apikey", "list")
        assert key.split("_")[1] in stdout
        assert "dpo" in stdout
        assert "active" in stdout
        assert key[17:] not in stdout

    def test_revoke_then_list_shows_revoked(
        self,
        cli: typer.Typer,
        capsys: pytest.CaptureFixture[str],
        keyed_vault: Vault,
        hash_key: bytes,
    ) -> None:
        """After revoke the key is listed as revoked and no longer authenticates."""
        key = _run(cli, capsys, "apikey", "create", "--role", "dpo")[0].strip()
        key_id = key.split("_")[1]
        _, stderr = _run(cli, capsys, "apikey", "revoke", key_id)
        assert "revoked" in stderr
        assert "revoked" in _run(cli, capsys, "apikey", "list")[0]
        with keyed_vault.session() as s, pytest.raises(Unauthenticated):
            authenticate(db_session=s, hash_key=hash_key, presented=key, at=T0)

    def test_create_with_unknown_role_fails_and_stores_nothing(
        self, cli: typer.Typer, capsys: pytest.CaptureFixture[str], keyed_vault: Vault
    ) -> None:
        """A bad role raises InvalidInput; no key is printed or stored."""
        with pytest.raises(InvalidInput):
            _run(cli, capsys, "apikey", "create", "--role", "nobody")
        assert capsys.readouterr().out == ""
        with keyed_vault.session() as s:
            assert list_api_keys(db_session=s) == []

    def test_revoke_unknown_fails(
        self, cli: typer.Typer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Revoking an id that does not exist is NotFound."""
        with pytest.raises(NotFound):
            _run(cli, capsys, "apikey", "revoke", "0123456789ab")
