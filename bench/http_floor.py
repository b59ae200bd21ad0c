"""The same-design floor of `bench/http.py`: `POST /v1/detokenize` done with raw primitives.

A FastAPI app started with the same `uvicorn.run` arguments as `privault serve`, with one sync
`def` route (FastAPI runs it in its thread pool, as it runs privault's routes) that does the
work privault's design asks of a single-token detokenize, and nothing more, with no privault
code on the request path:

- check the API key: HMAC-SHA256 of the presented key against the stored hash (a key known to
  the process, as privault's key cache has it);
- open the pointer token: base32, AES-SIV with the region as associated data;
- in one write transaction (BEGIN IMMEDIATE behind a process mutex, as privault's writers):
  select the record joined with its customer key, check the restriction table, unwrap the
  customer key (AES-GCM under the master key), decrypt the field (AES-GCM); build the audit
  event's canonical JSON, hash the leaf, HMAC the customer pseudonym, select the audit head,
  insert the event, update the head with one more node hash; commit;
- answer the value as JSON.

It runs on a copy of the home privault was measured on (the events it appends go there), with
the raw secrets handed over in a JSON file by `bench/http.py`.

Run by `bench/http.py`; alone: python bench/http_floor.py --port P --db DB --secrets FILE
"""

import sys
from pathlib import Path

# bench/http.py shadows the standard library's `http` package: keep this folder off the path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import argparse  # noqa: E402 - after the import path is fixed, see above
import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import sqlite3  # noqa: E402
import threading  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Annotated, Any  # noqa: E402

import uvicorn  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV  # noqa: E402
from fastapi import FastAPI, Header, HTTPException  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from privault.vault.rules import unpack_fields  # noqa: E402 - the stored format, as bench/read.py

PATH = "/v1/detokenize"
HOST = "127.0.0.1"
JOIN = (
    "SELECT r.subject_id, r.fields, k.region, k.key_id, k.wrapped_key "
    "FROM records r JOIN subject_keys k ON k.subject_id = r.subject_id "
    "WHERE r.id = ? AND r.collection = ?"
)
INSERT = (
    "INSERT INTO audit_events (leaf_index, id, at, actor, operation, collection, "
    "fields_requested, fields_returned, purpose, subject, outcome, request_id, detail, leaf_hash) "
    "VALUES (?, ?, ?, ?, 'token.detokenize', ?, NULL, ?, ?, ?, 'ok', NULL, ?, ?)"
)


class DetokenizeIn(BaseModel):
    """Tokens to turn back into values (validated as privault validates them)."""

    tokens: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        min_length=1, max_length=1000
    )


class Floor:
    """The raw work of one detokenize: keys in memory, one SQLite connection per thread."""

    def __init__(self, db: Path, secrets: dict[str, Any]) -> None:
        self.db = db
        self.siv = AESSIV(bytes.fromhex(secrets["pointer_key"]))
        self.masters = {int(k): AESGCM(bytes.fromhex(v)) for k, v in secrets["masters"].items()}
        self.api_hash_key = bytes.fromhex(secrets["api_hash_key"])
        self.api_key_hash = bytes.fromhex(secrets["api_key_hash"])
        self.pseudonym_key = bytes.fromhex(secrets["pseudonym_key"])
        self.granted = {(secrets["purpose"], secrets["collection"], secrets["field"])}
        self.writer = threading.Lock()
        self.local = threading.local()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, in WAL mode as privault's."""
        found: sqlite3.Connection | None = getattr(self.local, "connection", None)
        if found is None:
            found = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
            found.execute("PRAGMA journal_mode=WAL")
            found.execute("PRAGMA synchronous=NORMAL")
            found.execute("PRAGMA busy_timeout=30000")
            self.local.connection = found
        return found

    def authenticate(self, authorization: str) -> None:
        """The presented key's HMAC against the stored one."""
        presented = authorization.partition(" ")[2].encode()
        digest = hmac.digest(self.api_hash_key, presented, "sha256")
        if not hmac.compare_digest(digest, self.api_key_hash):
            raise HTTPException(401)

    def open_token(self, token: str, purpose: str) -> tuple[str, str, str]:
        """(record id, collection, field) of a pointer token, if the purpose grants it."""
        _, region, encoded = token.split("_", 2)
        sealed = base64.b32decode(encoded.upper() + "=" * (-len(encoded) % 8))
        plain = self.siv.decrypt(sealed, [region.encode()])
        collection, _, field = plain[16:].decode().partition("\x1f")
        if (purpose, collection, field) not in self.granted:
            raise HTTPException(403)
        return "rec_" + plain[:16].hex(), collection, field

    def decrypt(
        self, db: sqlite3.Connection, record_id: str, collection: str, field: str
    ) -> tuple[str, str]:
        """(customer id, value): the record and its key in one select, unwrap, decrypt."""
        subject, fields, key_region, key_id, wrapped = db.execute(
            JOIN, (record_id, collection)
        ).fetchone()
        if db.execute(
            "SELECT 1 FROM subject_restrictions WHERE subject_id = ?", (subject,)
        ).fetchone():
            raise HTTPException(403)
        context = f"privault/subject-key/v1\x00{key_region}\x00{key_id}\x00{subject}".encode()
        data_key = self.masters[int.from_bytes(wrapped[1:5], "big")].decrypt(
            wrapped[5:17], wrapped[17:], context
        )
        blob = unpack_fields(fields)[field]
        associated = blob[:5] + f"{collection}\x1f{field}\x1f{record_id}\x1f{subject}".encode()
        return subject, AESGCM(data_key).decrypt(blob[5:17], blob[17:], associated).decode()

    def log(self, db: sqlite3.Connection, subject: str, collection: str, field: str,
            purpose: str) -> None:  # fmt: skip
        """Append the audit event: canonical JSON, leaf hash, pseudonym, head update."""
        size, state = db.execute("SELECT size, state FROM audit_head WHERE id = 1").fetchone()
        at = datetime.now(UTC)
        pseudonym = hmac.new(self.pseudonym_key, subject.encode(), "sha256").hexdigest()
        returned, detail = json.dumps([field]), '{"refused":0,"tokens":1}'
        event = json.dumps(
            [size, f"evt_{size:016x}", at.isoformat(), "key", "token.detokenize", collection,
             None, returned, purpose, pseudonym, "ok", None, detail],
            separators=(",", ":"),
        ).encode()  # fmt: skip
        leaf = hashlib.sha256(b"\x00" + event).digest()
        node = hashlib.sha256(b"\x01" + bytes(state)[-32:] + leaf).digest()
        db.execute(
            INSERT,
            (size, f"evt_{size:016x}", at.replace(tzinfo=None).isoformat(sep=" "), "key",
             collection, returned, purpose, pseudonym, detail, leaf),
        )  # fmt: skip
        db.execute(
            "UPDATE audit_head SET size = ?, state = ? WHERE id = 1",
            (size + 1, bytes(state)[:-32] + node if state else node),
        )

    def detokenize(self, token: str, purpose: str) -> dict[str, Any]:
        """One token: decrypt and log in one committed write transaction."""
        record_id, collection, field = self.open_token(token, purpose)
        db = self.connection()
        with self.writer:
            db.execute("BEGIN IMMEDIATE")
            try:
                subject, value = self.decrypt(db, record_id, collection, field)
                self.log(db, subject, collection, field, purpose)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return {"token": token, "collection": collection, "field": field,
                "record_id": record_id, "view": "plain", "value": value, "error": None}  # fmt: skip


def serve(port: int, db: Path, secrets: dict[str, Any]) -> None:
    """Serve the floor route."""
    floor = Floor(db, secrets)
    app = FastAPI()

    @app.post(PATH)
    def detokenize(
        body: DetokenizeIn,
        authorization: Annotated[str, Header()],
        purpose: Annotated[str, Header(alias="X-Privault-Purpose")],
    ) -> dict[str, Any]:
        """Each token's field, decrypted, with its audit event committed first."""
        floor.authenticate(authorization)
        return {"results": [floor.detokenize(token, purpose) for token in body.tokens]}

    # Same call as privault.cli.main.serve with --workers 1 and no TLS.
    uvicorn.run(app, host=HOST, port=port, workers=None, log_level="warning", access_log=False)


def main() -> None:
    """Serve the floor on a port."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--secrets", type=Path, required=True)
    args = parser.parse_args()
    serve(args.port, args.db, json.loads(args.secrets.read_text()))


if __name__ == "__main__":
    main()
