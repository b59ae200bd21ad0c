"""The vault on a real database (SQLite and PostgreSQL): store, read, update, delete, erase."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from privault.config import Settings
from privault.errors import IntegrityViolation, InvalidInput, NotFound
from privault.vault import RecordCreate, Vault
from privault.vault.models import Record
from privault.vault.rules import pack_fields, unpack_fields

CANARY_EMAIL = "canary.7f3a9c@leak-test.example"
CANARY_NAME = "Zebulon Canarywing"
CUSTOMER = {
    "email": CANARY_EMAIL,
    "name": CANARY_NAME,
    "phone": "+44 20 7946 0958",
    "address": "12 High St, London, UK",
    "birth_date": "1990-05-17",
    "card": "4111 1111 1111 1111",
}


class TestRecords:
    """Round trips through the encrypted store."""

    def test_put_then_get_returns_the_values(self, vault: Vault) -> None:
        """Values come back decrypted, in their stored form."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        record = vault.get("customers", stored.id)
        assert record.values["email"] == CANARY_EMAIL
        assert record.values["card"] == "4111111111111111"
        assert record.subject_id == "C-1"
        assert record.region == vault.datamap.region_or_default(None)

    def test_update_changes_and_removes_fields(self, vault: Vault) -> None:
        """Update re-encrypts changed fields, removes fields given as None, bumps the version."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        record = vault.update("customers", stored.id, {"phone": "+1 415 555 2671", "card": None})
        assert record.version == 2
        assert record.values["phone"] == "+1 415 555 2671"
        assert "card" not in vault.get("customers", stored.id).values

    def test_delete_then_get_is_not_found(self, vault: Vault) -> None:
        """A deleted record is gone."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        vault.delete("customers", stored.id)
        with pytest.raises(NotFound):
            vault.get("customers", stored.id)

    def test_unknown_record_and_collection_are_not_found(self, vault: Vault) -> None:
        """Unknown ids and collections raise NotFound."""
        with pytest.raises(NotFound):
            vault.get("customers", "rec_doesnotexist")
        with pytest.raises(NotFound, match="not in the data map"):
            vault.get("nonsense", "rec_x")

    def test_region_of_a_customer_is_fixed(self, vault: Vault) -> None:
        """A customer's later records go to the customer's region, not another."""
        vault.put("customers", "C-1", CUSTOMER, region="us")
        with pytest.raises(InvalidInput, match="belongs to region 'us'"):
            vault.put("customers", "C-1", CUSTOMER, region="eu")

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"emial": "a@b.co"}, "field 'emial' is not declared"),
            ({"email": "nope"}, "field 'email': not a valid email address"),
            ({"email": "a@b.co", "birth_date": "17/05/1990"}, "field 'birth_date'"),
            ({}, r"required field\(s\) missing: email"),
        ],
    )
    def test_bad_values_are_refused_and_nothing_is_written(
        self, vault: Vault, values: dict[str, str], message: str
    ) -> None:
        """A bad record raises InvalidInput naming the field, and leaves no row or key."""
        with pytest.raises(InvalidInput, match=message):
            vault.put_many(
                [
                    RecordCreate("customers", "C-ok", CUSTOMER),
                    RecordCreate("customers", "C-bad", values),
                ]
            )
        with vault.session() as db_session:
            assert db_session.scalar(text("SELECT count(*) FROM records")) == 0
            assert db_session.scalar(text("SELECT count(*) FROM subject_keys")) == 0


class TestTampering:
    """Stored ciphertexts that were altered or moved raise IntegrityViolation."""

    def _fields(self, vault: Vault, record_id: str) -> dict[str, bytes]:
        with vault.session() as db_session:
            record = db_session.get(Record, record_id)
            assert record is not None
            return unpack_fields(bytes(record.fields))

    def _set_fields(self, vault: Vault, record_id: str, fields: dict[str, bytes]) -> None:
        with vault.session() as db_session:
            db_session.execute(
                update(Record).where(Record.id == record_id).values(fields=pack_fields(fields))
            )

    def test_flipped_byte_in_stored_ciphertext(self, vault: Vault) -> None:
        """One flipped bit in the database gives IntegrityViolation, not wrong plaintext."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        fields = self._fields(vault, stored.id)
        raw = bytearray(fields["email"])
        raw[25] ^= 0x04
        fields["email"] = bytes(raw)
        self._set_fields(vault, stored.id, fields)
        with pytest.raises(IntegrityViolation):
            vault.get("customers", stored.id)

    def test_ciphertext_moved_to_another_field(self, vault: Vault) -> None:
        """Swapping two fields' ciphertexts is detected."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        fields = self._fields(vault, stored.id)
        fields["email"], fields["name"] = fields["name"], fields["email"]
        self._set_fields(vault, stored.id, fields)
        with pytest.raises(IntegrityViolation, match="altered or moved"):
            vault.get("customers", stored.id)

    def test_ciphertext_copied_into_another_record(self, vault: Vault) -> None:
        """A ciphertext copied from one record into another of the same customer fails."""
        one = vault.put("customers", "C-1", CUSTOMER)
        two = vault.put("customers", "C-1", {**CUSTOMER, "email": "other@example.com"})
        fields = self._fields(vault, two.id)
        fields["email"] = self._fields(vault, one.id)["email"]
        self._set_fields(vault, two.id, fields)
        with pytest.raises(IntegrityViolation):
            vault.get("customers", two.id)

    def test_ciphertext_copied_from_another_customer(self, vault: Vault) -> None:
        """A ciphertext from another customer's record fails (other key)."""
        one = vault.put("customers", "C-1", CUSTOMER)
        two = vault.put("customers", "C-2", CUSTOMER)
        fields = self._fields(vault, two.id)
        fields["email"] = self._fields(vault, one.id)["email"]
        self._set_fields(vault, two.id, fields)
        with pytest.raises(IntegrityViolation, match="another key"):
            vault.get("customers", two.id)

    def test_truncated_ciphertext(self, vault: Vault) -> None:
        """A truncated ciphertext is refused."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        fields = self._fields(vault, stored.id)
        fields["email"] = fields["email"][:20]
        self._set_fields(vault, stored.id, fields)
        with pytest.raises(IntegrityViolation, match="truncated"):
            vault.get("customers", stored.id)

    def test_wrong_key_version_byte(self, vault: Vault) -> None:
        """A ciphertext claiming another format version is refused."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        fields = self._fields(vault, stored.id)
        fields["email"] = b"\x09" + fields["email"][1:]
        self._set_fields(vault, stored.id, fields)
        with pytest.raises(IntegrityViolation, match="unknown version"):
            vault.get("customers", stored.id)

    def test_record_moved_to_another_customer(self, vault: Vault) -> None:
        """Re-pointing a record at another customer fails: the subject is bound."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        vault.put("customers", "C-2", CUSTOMER)
        with vault.session() as db_session:
            db_session.execute(
                update(Record).where(Record.id == stored.id).values(subject_id="C-2")
            )
        with pytest.raises(IntegrityViolation):
            vault.get("customers", stored.id)

    def test_corrupt_field_map(self, vault: Vault) -> None:
        """A field map that is not JSON is an integrity violation, not a 500."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        with vault.session() as db_session:
            db_session.execute(update(Record).where(Record.id == stored.id).values(fields=b"{oops"))
        with pytest.raises(IntegrityViolation, match="corrupt"):
            vault.get("customers", stored.id)


class TestErasure:
    """Crypto-shredding a customer."""

    def test_erase_makes_records_not_found(self, vault: Vault) -> None:
        """After erasure every record and the export are NotFound; other customers are intact."""
        one = vault.put("customers", "C-1", CUSTOMER)
        two = vault.put("customers", "C-1", CUSTOMER)
        other = vault.put("customers", "C-2", CUSTOMER)
        receipt = vault.erase_subject("C-1")
        assert receipt.records_deleted == 2
        for record_id in (one.id, two.id):
            with pytest.raises(NotFound):
                vault.get("customers", record_id)
        with pytest.raises(NotFound, match="erased at"):
            vault.export_subject("C-1")
        assert vault.get("customers", other.id).values["email"] == CANARY_EMAIL

    def test_copied_ciphertext_is_unreadable_after_erasure(self, vault: Vault) -> None:
        """A copy of a ciphertext kept elsewhere cannot be decrypted once the key is gone."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        with vault.session() as db_session:
            record = db_session.get(Record, stored.id)
            assert record is not None
            copied_fields = record.fields
            key_row = db_session.execute(
                text("SELECT key_id, wrapped_key, region FROM subject_keys")
            ).one()
        vault.erase_subject("C-1")
        # Even with the wrapped key saved from before (a backup), the key store refuses it.
        with pytest.raises(NotFound, match="erased"):
            vault.keys.open_subject_key(
                region=key_row.region,
                subject_id="C-1",
                key_id=key_row.key_id,
                wrapped_key=bytes(key_row.wrapped_key),
            )
        assert CANARY_EMAIL.encode() not in copied_fields

    def test_erasing_unknown_customer_is_not_found(self, vault: Vault) -> None:
        """Erasing a customer with no data says so."""
        with pytest.raises(NotFound, match="no data"):
            vault.erase_subject("nobody")

    def test_customer_can_come_back_after_erasure(self, vault: Vault) -> None:
        """A customer id reused after erasure gets a new key and works."""
        vault.put("customers", "C-1", CUSTOMER)
        vault.erase_subject("C-1")
        stored = vault.put("customers", "C-1", CUSTOMER)
        assert vault.get("customers", stored.id).values["name"] == CANARY_NAME


class TestErasureSurvivesRestore:
    """A database copy from before an erasure does not bring the customer back."""

    def test_restored_sqlite_copy_is_cleaned_on_open(self, tmp_path: Path) -> None:
        """The ledger beside the keys is re-applied when a restored database is opened."""
        home = tmp_path / "home"
        settings = Settings(home=home)
        from privault.home import init_home

        init_home(settings)
        with Vault.open(settings) as vault:
            stored = vault.put("customers", "C-1", CUSTOMER)
            kept = vault.put("customers", "C-2", CUSTOMER)
        backup = tmp_path / "backup.db"
        shutil.copy(home / "privault.db", backup)
        with Vault.open(settings) as vault:
            vault.erase_subject("C-1")
        shutil.copy(backup, home / "privault.db")
        for suffix in ("-wal", "-shm"):
            (home / f"privault.db{suffix}").unlink(missing_ok=True)
        with Vault.open(settings) as vault:
            with pytest.raises(NotFound):
                vault.get("customers", stored.id)
            assert vault.get("customers", kept.id).subject_id == "C-2"
            with vault.session() as db_session:
                assert (
                    db_session.scalar(select(Record.id).where(Record.subject_id == "C-1")) is None
                )


class TestNoPlaintextAtRest:
    """Customer values never reach the database or the logs in plaintext."""

    def test_canary_not_in_database(self, vault: Vault, settings: Settings) -> None:
        """Neither the SQLite file's bytes nor any PostgreSQL row holds the canary."""
        vault.put("customers", "C-1", CUSTOMER)
        vault.close()
        if settings.database_url.startswith("sqlite"):
            raw = b"".join(
                p.read_bytes() for p in settings.home.glob("privault.db*") if p.is_file()
            )
            raw += b"".join(
                p.read_bytes() for p in Path(settings.database_url[10:]).parent.glob("*.db*")
            )
        else:
            with vault.session() as db_session:
                text_rows = db_session.execute(
                    text(
                        "SELECT r::text FROM records r UNION ALL SELECT k::text FROM subject_keys k"
                    )
                ).scalars()
                blobs = db_session.execute(
                    text(
                        "SELECT fields FROM records UNION ALL SELECT wrapped_key FROM subject_keys"
                    )
                ).scalars()
                raw = "\n".join(text_rows).encode() + b"\n".join(bytes(b) for b in blobs)
        for needle in (CANARY_EMAIL, CANARY_NAME, "4111111111111111", "7946 0958"):
            assert needle.encode() not in raw
            assert needle.encode("utf-16-le") not in raw

    def test_canary_not_in_logs(self, vault: Vault, caplog: pytest.LogCaptureFixture) -> None:
        """At DEBUG, with SQL echo, no log line carries a customer value."""
        caplog.set_level(logging.DEBUG)
        logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
        try:
            stored = vault.put("customers", "C-1", CUSTOMER)
            vault.get("customers", stored.id)
            vault.update("customers", stored.id, {"name": "Other Name"})
            with pytest.raises(InvalidInput):
                vault.put("customers", "C-2", {**CUSTOMER, "birth_date": CANARY_EMAIL})
            vault.export_subject("C-1")
            vault.erase_subject("C-1")
        finally:
            logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
        assert caplog.records
        for needle in (CANARY_EMAIL, CANARY_NAME, "4111111111111111"):
            assert needle not in caplog.text
