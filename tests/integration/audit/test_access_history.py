"""The per-customer access history the rights workflow shows a customer."""

from __future__ import annotations

from privault.vault import Vault


def test_history_lists_every_access_to_one_customer(vault: Vault) -> None:
    """Writes, reads and detokenizations of C-1 appear, in order; C-2's do not."""
    one = vault.put("customers", "C-1", {"email": "one@example.com", "name": "One"})
    other = vault.put("customers", "C-2", {"email": "two@example.com"})
    vault.get("customers", one.id)
    vault.get("customers", other.id)
    vault.detokenize(one.tokens["name"])
    with vault.session() as db_session:
        history = vault.audit.access_history(db_session=db_session, subject_id="C-1")
        later = vault.audit.access_history(
            db_session=db_session, subject_id="C-1", after_index=history[0].leaf_index
        )
        nobody = vault.audit.access_history(db_session=db_session, subject_id="C-3")
    assert [entry.operation for entry in history] == [
        "record.write",
        "record.read",
        "token.detokenize",
    ]
    assert sorted(history[1].fields_returned or []) == ["email", "name"]
    assert history[2].fields_returned == ["name"]
    assert all(entry.outcome == "ok" and entry.actor == "library" for entry in history)
    assert [entry.operation for entry in later] == ["record.read", "token.detokenize"]
    assert nobody == []
