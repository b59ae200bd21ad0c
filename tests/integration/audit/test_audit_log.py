"""The audit log on a real database: append-only, gapless, and every kind of tampering caught."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from privault.audit import AuditRecord
from privault.audit.merkle import CompactTree, leaf_hash, verify_inclusion
from privault.audit.models import AuditEvent
from privault.audit.service import event_bytes
from privault.config import Settings
from privault.errors import NotFound
from privault.vault import Vault

CANARY = {
    "email": "canary.audit.5c1e@leak-test.example",
    "name": "Quillon Canaryfeather",
    "phone": "+44 20 7946 0111",
    "card": "4111 1111 1111 1111",
}


@pytest.fixture
def logged(vault: Vault) -> Vault:
    """A vault with twelve events and a checkpoint after the tenth."""
    for number in range(5):
        stored = vault.put("customers", f"C{number}", {"email": f"c{number}@example.com"})
        vault.get("customers", stored.id)
    assert vault.audit.checkpoint(sessions=vault.database.session) is not None
    vault.put("customers", "C9", {"email": "c9@example.com"})
    vault.export_subject("C9")
    return vault


def raw(vault: Vault, *statements: str) -> None:
    """Run SQL as a database administrator would: with the append-only triggers off."""
    with vault.database.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        for statement in statements:
            connection.exec_driver_sql(statement)


def verify(vault: Vault) -> list[str]:
    """Problems the verifier finds."""
    with vault.session() as db_session:
        return vault.audit.verify(db_session=db_session).problems


def rehash_all(vault: Vault) -> None:
    """What a careful forger does after editing: recompute every leaf hash and the head."""
    with Session(vault.database.engine) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.leaf_index)).all()
        hashes = [(event.leaf_index, leaf_hash(event_bytes(event))) for event in events]
    tree = CompactTree()
    tree.extend([digest for _, digest in hashes])
    with vault.database.engine.begin() as connection:
        for index, digest in hashes:
            connection.execute(
                text("UPDATE audit_events SET leaf_hash = :h WHERE leaf_index = :i"),
                {"h": digest, "i": index},
            )
        connection.execute(
            text("UPDATE audit_head SET size = :s, state = :st"),
            {"s": tree.size, "st": tree.state()},
        )


class TestAppendOnly:
    """The database refuses to change or remove events."""

    def test_update_is_refused(self, logged: Vault) -> None:
        """UPDATE on audit_events fails in the database."""
        with pytest.raises(DBAPIError), logged.database.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE audit_events SET actor = 'x'")

    def test_delete_is_refused(self, logged: Vault) -> None:
        """DELETE on audit_events fails in the database."""
        with pytest.raises(DBAPIError), logged.database.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM audit_events")

    def test_indexes_are_contiguous_and_the_log_verifies(self, logged: Vault) -> None:
        """An untouched log verifies, with indexes 0..n-1."""
        with logged.session() as db_session:
            report = logged.audit.verify(db_session=db_session)
        assert report.ok, report.problems
        assert report.events == 12
        assert report.checkpoints == 1
        assert report.external == 1


class TestTampering:
    """Each kind of tampering is found by verify."""

    def test_edited_event(self, logged: Vault) -> None:
        """Changing a stored field breaks that event's hash."""
        raw(logged, "UPDATE audit_events SET actor = 'someone-else' WHERE leaf_index = 3")
        problems = verify(logged)
        assert problems
        assert "at index 3: its contents do not match its hash" in problems[0]

    def test_edited_event_with_recomputed_hashes(self, logged: Vault) -> None:
        """Even with every hash and the head recomputed, the signed checkpoint disagrees."""
        raw(logged, "UPDATE audit_events SET outcome = 'denied' WHERE leaf_index = 3")
        rehash_all(logged)
        problems = verify(logged)
        assert any("checkpoint at tree size 10" in p for p in problems)

    def test_deleted_event(self, logged: Vault) -> None:
        """A missing index is named."""
        raw(logged, "DELETE FROM audit_events WHERE leaf_index = 4")
        assert "event at index 4: missing" in verify(logged)[0]

    def test_inserted_event(self, logged: Vault) -> None:
        """An event slipped into the middle shifts the tree: the checkpoint disagrees."""
        raw(
            logged,
            "UPDATE audit_events SET leaf_index = leaf_index + 1000 WHERE leaf_index >= 5",
            "UPDATE audit_events SET leaf_index = leaf_index - 999 WHERE leaf_index >= 1005",
            "INSERT INTO audit_events (leaf_index, id, at, actor, operation, outcome, leaf_hash)"
            " SELECT 5, 'evt_forged', at, 'nobody', 'record.read', 'ok', leaf_hash"
            " FROM audit_events WHERE leaf_index = 4",
        )
        rehash_all(logged)
        assert any("checkpoint at tree size 10" in p for p in verify(logged))

    def test_reordered_events(self, logged: Vault) -> None:
        """Swapping two events changes both leaves."""
        raw(
            logged,
            "UPDATE audit_events SET leaf_index = 100 WHERE leaf_index = 2",
            "UPDATE audit_events SET leaf_index = 2 WHERE leaf_index = 6",
            "UPDATE audit_events SET leaf_index = 6 WHERE leaf_index = 100",
        )
        problems = verify(logged)
        assert "event" in problems[0]
        assert "at index 2: its contents do not match its hash" in problems[0]

    def test_truncated_tail(self, logged: Vault) -> None:
        """Removing the newest events below a checkpoint's size is caught."""
        logged.audit.checkpoint(sessions=logged.database.session)
        raw(logged, "DELETE FROM audit_events WHERE leaf_index >= 10")
        rehash_all(logged)
        assert any("events were removed from the end" in p for p in verify(logged))

    def test_self_consistent_forgery_is_caught_by_external_copy(self, logged: Vault) -> None:
        """A rebuilt table with matching hashes and no checkpoints still fails: the external
        checkpoint copy names a root the forged events cannot produce."""
        raw(
            logged,
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_events SET actor = 'forger'",
        )
        rehash_all(logged)
        problems = verify(logged)
        assert problems
        assert "checkpoint-" in problems[0]

    def test_altered_checkpoint(self, logged: Vault) -> None:
        """A stored checkpoint whose root was changed fails its signature."""
        raw(logged, "UPDATE audit_checkpoints SET text = replace(text, '10\n', '11\n')")
        assert "signature or contents do not verify" in verify(logged)[0]


class TestProofs:
    """Inclusion proofs verify against the checkpoint's root."""

    def test_inclusion_proof_verifies(self, logged: Vault) -> None:
        """The proof of an early event checks out against the signed root."""
        with logged.session() as db_session:
            event_id = db_session.execute(
                text("SELECT id FROM audit_events WHERE leaf_index = 7")
            ).scalar_one()
            proof = logged.audit.inclusion(db_session=db_session, event_id=event_id)
        assert proof["tree_size"] == 10
        assert verify_inclusion(
            leaf_hash=bytes.fromhex(str(proof["leaf_hash"])),
            leaf_index=7,
            tree_size=10,
            proof=[bytes.fromhex(p) for p in proof["proof"]],  # type: ignore[attr-defined]
            root=bytes.fromhex(str(proof["root_hash"])),
        )

    def test_unknown_event(self, logged: Vault) -> None:
        """Proving an unknown event is NotFound."""
        with logged.session() as db_session, pytest.raises(NotFound):
            logged.audit.inclusion(db_session=db_session, event_id="evt_nope")


class TestEvents:
    """What the vault logs."""

    def test_refusals_are_logged(self, vault: Vault) -> None:
        """A read of a missing record is logged as not_found."""
        with pytest.raises(NotFound):
            vault.get("customers", "rec_missing")
        with vault.session() as db_session:
            row = db_session.execute(
                text("SELECT operation, outcome, detail FROM audit_events")
            ).one()
        assert row.operation == "record.read"
        assert row.outcome == "not_found"
        assert json.loads(row.detail)["code"] == "record_not_found"

    def test_canary_never_in_events(self, vault: Vault) -> None:
        """Values, customer ids and tokens never reach the log: only names and pseudonyms."""
        stored = vault.put("customers", "CANARY-ID-77", CANARY)
        vault.get("customers", stored.id)
        vault.update("customers", stored.id, {"name": "Quillon Canaryfeather Jr"})
        vault.export_subject("CANARY-ID-77")
        vault.erase_subject("CANARY-ID-77")
        with vault.session() as db_session:
            rows = db_session.execute(text("SELECT * FROM audit_events")).all()
        dump = "\n".join(repr(tuple(row)) for row in rows)
        assert len(rows) == 5
        for needle in (*CANARY.values(), "4111111111111111", "CANARY-ID-77", "Quillon"):
            assert needle not in dump
        assert '"email"' in dump  # field names are kept

    def test_same_customer_same_pseudonym(self, vault: Vault) -> None:
        """A customer's events share one pseudonym, different from another customer's."""
        vault.put("customers", "A", {"email": "a@example.com"})
        vault.put("customers", "A", {"email": "a2@example.com"})
        vault.put("customers", "B", {"email": "b@example.com"})
        with vault.session() as db_session:
            subjects = (
                db_session.execute(text("SELECT subject FROM audit_events ORDER BY leaf_index"))
                .scalars()
                .all()
            )
        assert subjects[0] == subjects[1] != subjects[2]
        assert subjects[0] == vault.audit.pseudonym("A")


def _append_many(settings: Settings, worker: int, count: int) -> None:
    with Vault.open(settings, actor=f"worker-{worker}") as vault:
        for number in range(count):
            vault.audited(
                AuditRecord(actor=f"worker-{worker}", operation="test.append"),
                lambda s: None,
            )
            del number


@pytest.mark.postgres
def test_concurrent_processes_keep_one_gapless_log(settings: Settings) -> None:
    """Four processes appending at once on PostgreSQL give indexes 0..n-1 that verify."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip("this concurrency test is about PostgreSQL")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_many, args=(settings, worker, 40)) for worker in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    with Vault.open(settings) as vault, vault.session() as db_session:
        indexes = (
            db_session.execute(text("SELECT leaf_index FROM audit_events ORDER BY leaf_index"))
            .scalars()
            .all()
        )
        assert indexes == list(range(160))
        report = vault.audit.verify(db_session=db_session)
    assert report.ok, report.problems


def test_checkpoint_files_are_outside_the_database(logged: Vault, settings: Settings) -> None:
    """The checkpoint copy lands in the checkpoint folder, readable without the database."""
    files = list(Path(settings.audit_checkpoint_dir).glob("checkpoint-*.txt"))
    assert len(files) == 1
    assert files[0].read_text().splitlines()[1] == "10"


def test_import_is_logged_per_batch(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`privault import` writes one record.import event per batch, named by operator."""
    from privault.cli.main import run

    monkeypatch.setenv("PRIVAULT_HOME", str(settings.home))
    monkeypatch.setenv("PRIVAULT_DATABASE__URL", settings.database_url)
    source = tmp_path / "c.csv"
    source.write_text(
        "customer_id,email\n" + "".join(f"C{i},c{i}@example.com\n" for i in range(25))
    )
    assert run(["import", str(source), "--batch-size", "10", "-q"]) == 0
    with Vault.open(settings) as vault, vault.session() as db_session:
        rows = db_session.execute(
            text("SELECT actor, operation, detail FROM audit_events ORDER BY leaf_index")
        ).all()
        assert vault.audit.verify(db_session=db_session).ok
    imports = [row for row in rows if row.operation == "record.import"]
    assert [json.loads(row.detail)["records"] for row in imports] == [10, 10, 5]
    assert all(row.actor.startswith("operator:") for row in imports)


def test_event_ids_name_their_leaf(vault: Vault) -> None:
    """An event's id encodes its leaf index; looking it up needs no index of its own."""
    from privault.audit import repository as audit_repository

    vault.put("customers", "C1", {"email": "a@example.com"})
    vault.put("customers", "C2", {"email": "b@example.com"})
    with vault.session() as db_session:
        second = audit_repository.get_event(db_session=db_session, event_id="evt_0000000000000001")
        assert second is not None
        assert second.leaf_index == 1
        for bogus in ("evt_1", "evt_zzzzzzzzzzzzzzzz", "rec_0000000000000001", ""):
            assert audit_repository.get_event(db_session=db_session, event_id=bogus) is None


def test_data_map_changes_are_logged(settings: Settings) -> None:
    """Opening the vault after privault.yaml changed logs a datamap.change event, once."""
    with Vault.open(settings) as vault, vault.session() as db_session:
        assert db_session.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 0
    original = settings.datamap_path.read_text()
    settings.datamap_path.write_text(original.replace("Example Shop", "Another Shop"))
    for _ in range(2):
        with Vault.open(settings) as vault, vault.session() as db_session:
            rows = db_session.execute(text("SELECT operation, detail FROM audit_events")).all()
    assert [row.operation for row in rows] == ["datamap.change"]
    detail = json.loads(rows[0].detail)
    assert len(detail["sha256"]) == 64
    assert detail["previous"] != detail["sha256"]
