"""Master key rotation on a live database: rewrap, keep serving, retire."""

from __future__ import annotations

import threading

import pytest

from privault.config import Settings
from privault.crypto import service
from privault.errors import Conflict, IntegrityViolation
from privault.vault import RecordCreate, Vault

PERSON = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+44 20 7946 0958"}


def fill(vault: Vault, count: int, region: str = "eu") -> list[str]:
    """Store ``count`` customers; return their record ids."""
    stored = vault.put_many(
        [RecordCreate("customers", f"C{i}", PERSON, region) for i in range(count)]
    )
    return [s.id for s in stored]


class TestRotation:
    """``privault keys rotate`` and ``retire``."""

    def test_rotate_rewraps_every_customer_key(self, vault: Vault) -> None:
        """After rotation every customer key sits under the new primary and still reads."""
        ids = fill(vault, 120)
        report = service.rotate(
            sessions=vault.database.session, keys=vault.keys, region="eu", batch=50
        )
        assert report.rewrapped == 120
        with vault.session() as db_session:
            rows = service.status(db_session=db_session, keys=vault.keys, regions=["eu"])
        by_version = {row.key_id: row for row in rows}
        assert by_version[report.new_version].primary
        assert by_version[report.new_version].customer_keys == 120
        assert sum(r.customer_keys for r in rows if not r.primary) == 0
        assert vault.get("customers", ids[0]).values["name"] == "Ada Lovelace"

    def test_server_keeps_serving_during_rotation(self, vault: Vault, settings: Settings) -> None:
        """A second process (another Vault) reads and writes throughout a rotation."""
        ids = fill(vault, 300)
        failures: list[BaseException] = []
        stop = threading.Event()

        def serve() -> None:
            with Vault.open(settings) as server:
                n = 0
                while not stop.is_set():
                    try:
                        server.get("customers", ids[n % len(ids)])
                        server.put("customers", f"new-{n}", PERSON)
                    except BaseException as exc:
                        failures.append(exc)
                        return
                    n += 1

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            service.rotate(sessions=vault.database.session, keys=vault.keys, region="eu", batch=25)
        finally:
            stop.set()
            thread.join()
        assert failures == []
        # Keys the server made under the old version during rotation are finished by --resume.
        service.rewrap_region(sessions=vault.database.session, keys=vault.keys, region="eu")
        with vault.session() as db_session:
            assert service.retire(db_session=db_session, keys=vault.keys, region="eu")
        assert vault.get("customers", ids[-1]).values["email"] == "ada@example.com"

    def test_retire_refuses_while_old_version_in_use(self, vault: Vault) -> None:
        """Retiring a version that still wraps customer keys is refused."""
        fill(vault, 3)
        vault.keys.masters.add_version("eu")  # a new primary, but nothing rewrapped yet
        with vault.session() as db_session, pytest.raises(Conflict, match="still wrap"):
            service.retire(db_session=db_session, keys=vault.keys, region="eu")

    def test_retired_version_makes_stale_copies_unreadable(self, vault: Vault) -> None:
        """A wrapped key saved before rotation cannot be opened after retirement."""
        fill(vault, 1)
        with vault.session() as db_session:
            from privault.crypto.models import SubjectKey

            key = db_session.get(SubjectKey, "C0")
            assert key is not None
            old = (key.key_id, bytes(key.wrapped_key))
        service.rotate(sessions=vault.database.session, keys=vault.keys, region="eu")
        with vault.session() as db_session:
            service.retire(db_session=db_session, keys=vault.keys, region="eu")
        with pytest.raises(IntegrityViolation, match="not available"):
            vault.keys.open_subject_key(
                region="eu", subject_id="C0", key_id=old[0], wrapped_key=old[1]
            )

    def test_other_region_is_untouched(self, vault: Vault) -> None:
        """Rotating eu leaves us customers under their own key."""
        fill(vault, 2, region="us")
        report = service.rotate(sessions=vault.database.session, keys=vault.keys, region="eu")
        assert report.rewrapped == 0


def test_rewrap_skips_keys_changed_meanwhile(vault: Vault) -> None:
    """The compare-and-set leaves a key that changed (or went) since it was read."""
    from privault.common.clock import utcnow
    from privault.crypto import subject_keys
    from privault.crypto.models import SubjectKey

    fill(vault, 2)
    with vault.session() as db_session:
        rows = {k.subject_id: bytes(k.wrapped_key) for k in db_session.query(SubjectKey)}
    vault.erase_subject("C1")
    with vault.session() as db_session:
        changed = subject_keys.replace_wrapped_keys(
            db_session=db_session,
            changes=[
                ("C0", rows["C0"], b"new-C0", 7),
                ("C1", rows["C1"], b"new-C1", 7),
                ("C0", b"stale", b"other", 8),
            ],
            at=utcnow(),
        )
    assert changed == 1
    with vault.session() as db_session:
        assert [bytes(k.wrapped_key) for k in db_session.query(SubjectKey)] == [b"new-C0"]
