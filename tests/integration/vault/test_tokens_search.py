"""Tokens and search without decryption, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from privault.common.checksums import luhn_valid
from privault.errors import InvalidInput, NotFound
from privault.vault import RecordCreate, Vault
from privault.vault.importer import import_file
from privault.vault.models import Lookup

CUSTOMER = {
    "email": "Ada.Lovelace@Example.com",
    "name": "Ada Lovelace",
    "phone": "+44 20 7946 0958",
    "address": "12 High St, London, UK",
    "birth_date": "1990-05-17",
    "card": "4111 1111 1111 1111",
}


def _lookups(vault: Vault) -> int:
    with vault.session() as db_session:
        return int(db_session.scalar(select(func.count()).select_from(Lookup)) or 0)


class TestTokens:
    """Every stored field has a token the shop keeps; tokens resolve while the data lives."""

    def test_each_field_gets_a_token_of_its_kind(self, vault: Vault) -> None:
        """Deterministic email, card-format card, pointer tokens for the rest."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        assert set(stored.tokens) == set(CUSTOMER)
        assert stored.tokens["email"].startswith("tok_eu_d_")
        assert stored.tokens["name"].startswith("tok_eu_")
        assert "Ada" not in stored.tokens["name"]
        card = stored.tokens["card"]
        assert len(card) == 16
        assert card[:6] == "411111"
        assert card[-4:] == "1111"
        assert not luhn_valid(card)

    def test_every_token_detokenizes_to_its_value(self, vault: Vault) -> None:
        """Each kind of token resolves to the stored value."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        record = vault.get("customers", stored.id)
        for name, token in stored.tokens.items():
            assert vault.detokenize(token) == record.values[name]

    def test_deterministic_tokens_join_equal_values(self, vault: Vault) -> None:
        """The same normalised email gives the same token; another region gives another."""
        one = vault.put("customers", "C-1", {"email": "ada@example.com"})
        two = vault.put("customers", "C-2", {"email": "  ADA@example.com "})
        other = vault.put("customers", "C-3", {"email": "ada@example.com"}, region="us")
        assert one.tokens["email"] == two.tokens["email"]
        assert other.tokens["email"].startswith("tok_us_d_")
        assert other.tokens["email"].split("_d_")[1] != one.tokens["email"].split("_d_")[1]

    def test_forged_and_altered_tokens_do_not_resolve(self, vault: Vault) -> None:
        """A changed character, another region's prefix or garbage is simply unknown."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        name = stored.tokens["name"]
        flipped = name[:-1] + ("a" if name[-1] != "a" else "b")
        forged = [
            flipped,
            name.replace("tok_eu_", "tok_us_", 1),
            stored.tokens["email"].replace("tok_eu_", "tok_us_", 1),
            "tok_eu_d_" + "a" * 32,
            "4111111111111111",
            "",
            "x" * 5000,
        ]
        for token in forged:
            with pytest.raises(NotFound):
                vault.detokenize(token)

    def test_update_reissues_tokens_of_changed_fields(self, vault: Vault) -> None:
        """A new card gets a new token; the old one stops resolving; pointers stay."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        vault.update("customers", stored.id, {"card": "5555 5555 5555 4444", "name": "A. King"})
        with pytest.raises(NotFound):
            vault.detokenize(stored.tokens["card"])
        assert vault.detokenize(stored.tokens["name"]) == "A. King"
        record = vault.get("customers", stored.id)
        new_card = vault.records.tokens_of(record)["card"]
        assert new_card[:6] == "555555"
        assert vault.detokenize(new_card) == "5555555555554444"

    def test_removed_field_token_stops_resolving(self, vault: Vault) -> None:
        """Removing a field removes its token and lookups."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        vault.update("customers", stored.id, {"card": None, "phone": None})
        for name in ("card", "phone"):
            with pytest.raises(NotFound):
                vault.detokenize(stored.tokens[name])
        assert vault.search("customers", "phone", CUSTOMER["phone"]) == []

    def test_delete_and_erase_stop_tokens_and_remove_lookups(self, vault: Vault) -> None:
        """Tokens die with the record or the customer; no lookup row is left behind."""
        kept = vault.put("customers", "C-1", CUSTOMER)
        gone = vault.put("customers", "C-2", {**CUSTOMER, "email": "bob@example.com"})
        before = _lookups(vault)
        vault.delete("customers", gone.id)
        assert _lookups(vault) < before
        for token in gone.tokens.values():
            with pytest.raises(NotFound):
                vault.detokenize(token)
        vault.erase_subject("C-1")
        assert _lookups(vault) == 0
        for token in kept.tokens.values():
            with pytest.raises(NotFound):
                vault.detokenize(token)

    def test_ten_thousand_card_tokens_are_unique_and_luhn_invalid(self, vault: Vault) -> None:
        """10,000 cards sharing BIN and last four: every token unique, Luhn-invalid, BIN+last4.

        With six hidden digits, about fifty of 10,000 random middles collide: the vault must
        issue another token for those.
        """
        records = [
            RecordCreate("customers", f"C-{i}", {"email": f"c{i}@example.com",
                                                  "card": "4111111111111111"})
            for i in range(10_000)
        ]  # fmt: skip
        tokens: list[str] = []
        for start in range(0, len(records), 2_500):
            tokens.extend(s.tokens["card"] for s in vault.put_many(records[start : start + 2_500]))
        with vault.session() as db_session:
            stored = {
                bytes(d).decode()
                for d in db_session.scalars(select(Lookup.digest).where(Lookup.kind == "card"))
            }
        assert stored == set(tokens)
        assert len(tokens) == 10_000
        assert len(set(tokens)) == 10_000
        assert all(t[:6] == "411111" and t[-4:] == "1111" and len(t) == 16 for t in tokens)
        assert not any(luhn_valid(t) for t in tokens)


class TestSearch:
    """Blind-index lookups find records by exact (normalised) value, without decrypting."""

    def test_search_normalises_like_storage(self, vault: Vault) -> None:
        """Case and spaces of emails, phone formats and name case do not matter."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        other = {"email": "grace@example.com", "name": "Grace Hopper", "phone": "+1 415 555 2671"}
        vault.put("customers", "C-2", {**CUSTOMER, **other})
        for field, value in [
            ("email", " ada.lovelace@EXAMPLE.com"),
            ("phone", "+442079460958"),
            ("phone", "+44 (20) 7946-0958"),
            ("name", "ADA LOVELACE"),
        ]:
            found = vault.search("customers", field, value)
            assert [m.record_id for m in found] == [stored.id], (field, value)
            assert found[0].token == stored.tokens[field]
            assert found[0].subject_id == "C-1"

    def test_search_finds_every_record_with_the_value(self, vault: Vault) -> None:
        """Two customers sharing an email are both found, oldest first."""
        one = vault.put("customers", "C-1", {"email": "shared@example.com"})
        two = vault.put("customers", "C-2", {"email": "shared@example.com"})
        assert [m.record_id for m in vault.search("customers", "email", "shared@example.com")] == [
            one.id,
            two.id,
        ]

    def test_search_after_update_follows_the_new_value(self, vault: Vault) -> None:
        """The index moves with the value."""
        stored = vault.put("customers", "C-1", CUSTOMER)
        vault.update("customers", stored.id, {"email": "new@example.com"})
        assert vault.search("customers", "email", CUSTOMER["email"]) == []
        assert [m.record_id for m in vault.search("customers", "email", "new@example.com")] == [
            stored.id
        ]

    def test_bad_searches_are_clear_errors(self, vault: Vault) -> None:
        """Unknown collection or field, a field not searchable, an empty value."""
        vault.put("customers", "C-1", CUSTOMER)
        with pytest.raises(NotFound):
            vault.search("nope", "email", "x")
        with pytest.raises(InvalidInput, match="not declared"):
            vault.search("customers", "emial", "x")
        with pytest.raises(InvalidInput, match="not searchable"):
            vault.search("customers", "address", "12 High St, London, UK")
        for value in ["", "   ", None, 42, "x" * 1001]:
            with pytest.raises(InvalidInput):
                vault.search("customers", "email", value)

    def test_import_indexes_and_tokenises(self, vault: Vault, tmp_path: Path) -> None:
        """Imported records are searchable and their card tokens resolve."""
        path = tmp_path / "in.csv"
        path.write_text(
            "customer_id,email,card\nC-1,imp@example.com,5555555555554444\n", encoding="utf-8"
        )
        report = import_file(
            path,
            collection="customers",
            subject_column="customer_id",
            records=vault.records,
            sessions=vault.database.session,
        )
        assert report.rows_imported == 1
        (match,) = vault.search("customers", "email", "IMP@example.com")
        record = vault.get("customers", match.record_id)
        assert vault.detokenize(vault.records.tokens_of(record)["card"]) == "5555555555554444"
