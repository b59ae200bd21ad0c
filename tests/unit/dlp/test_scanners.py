"""File scanners: locations, formats kept parseable after redaction, streaming, trees."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from privault.dlp import FileScanner, Redactor, Scanner
from privault.errors import InvalidInput, NotFound

CARD = "4111 1111 1111 1111"
EMAIL = "jo@example.com"


def scanner(**kwargs: object) -> FileScanner:
    """A file scanner with label redaction."""
    return FileScanner(Scanner(), redactor=Redactor("label"), **kwargs)  # type: ignore[arg-type]


def test_text_findings_carry_line_and_column() -> None:
    """Findings in text report 1-based line and column and a masked preview."""
    found = list(FileScanner(Scanner()).scan_text(f"hello\n  mail {EMAIL}\n", path="t.log"))
    assert [(f.path, f.line, f.column, f.type, f.preview) for f in found] == [
        ("t.log", 2, 8, "email", "**@*******.com")
    ]


def test_small_blocks_give_the_same_findings_as_one_block() -> None:
    """Streaming in small blocks finds the same values at the same places as one pass."""
    text = "".join(f"line {i} user{i}@example.com card={CARD}\n" for i in range(200))
    whole = list(FileScanner(Scanner()).scan_text(text))
    streamed = list(FileScanner(Scanner(), block_size=256).scan_text(text))
    assert streamed == whole
    assert len(whole) == 400


def test_private_key_across_block_boundary_is_found_whole(tmp_path: Path) -> None:
    """A PEM block that starts near the end of a block is carried whole into the next."""
    pem = "-----BEGIN PRIVATE KEY-----\n" + "QUJD\n" * 40 + "-----END PRIVATE KEY-----\n"
    source = tmp_path / "keys.txt"
    source.write_text("x" * 300 + "\n" + pem + "tail\n")
    out = tmp_path / "out.txt"
    found = list(scanner(block_size=400).scan_file(source, out=out))
    assert [(f.type, f.line) for f in found] == [("secret", 2)]
    assert out.read_text() == "x" * 300 + "\n[SECRET]\ntail\n"


def test_progress_callback_reaches_the_file_size(tmp_path: Path) -> None:
    """The progress callback is called as blocks are read and ends at the byte count."""
    source = tmp_path / "app.log"
    source.write_text("ok line\n" * 5000)
    calls: list[tuple[int, int | None]] = []
    list(
        FileScanner(
            Scanner(), progress=lambda d, t: calls.append((d, t)), block_size=4096
        ).scan_file(source)
    )
    assert calls[-1] == (source.stat().st_size, source.stat().st_size)
    assert len(calls) > 1


def test_redacted_csv_stays_csv(tmp_path: Path) -> None:
    """Redacting a CSV keeps rows, columns and quoting; only the values change."""
    source = tmp_path / "customers.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "email", "card", "note"])
        writer.writerow(["1", EMAIL, CARD, 'said "hi", then left'])
        writer.writerow(["2", "", "", "multi\nline"])
    out = tmp_path / "out.csv"
    found = list(scanner().scan_file(source, out=out))
    assert [(f.line, f.field, f.type) for f in found] == [
        (2, "email", "email"),
        (2, "card", "card"),
    ]
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["id", "email", "card", "note"],
        ["1", "[EMAIL]", "[CARD]", 'said "hi", then left'],
        ["2", "", "", "multi\nline"],
    ]


def test_redacted_json_stays_json(tmp_path: Path) -> None:
    """Redacting JSON keeps the structure; numbers holding personal data become strings."""
    source = tmp_path / "export.json"
    document = {
        "orders": [
            {
                "id": 7,
                "email": EMAIL,
                "card": 4111111111111111,
                "tags": ["vip", f"mail {EMAIL}"],
                "paid": True,
            }
        ]
    }
    source.write_text(json.dumps(document))
    out = tmp_path / "out.json"
    found = list(scanner().scan_file(source, out=out))
    assert {(f.field, f.type) for f in found} == {
        ("/orders/0/email", "email"),
        ("/orders/0/card", "card"),
        ("/orders/0/tags/1", "email"),
    }
    assert json.loads(out.read_text()) == {
        "orders": [
            {
                "id": 7,
                "email": "[EMAIL]",
                "card": "[CARD]",
                "tags": ["vip", "mail [EMAIL]"],
                "paid": True,
            }
        ]
    }


def test_redacted_json_lines_stay_json_lines(tmp_path: Path) -> None:
    """Each JSON Lines record stays one valid JSON document; non-JSON lines are text."""
    source = tmp_path / "events.jsonl"
    source.write_text(json.dumps({"email": EMAIL}) + "\n\nnot json " + EMAIL + "\n")
    out = tmp_path / "out.jsonl"
    found = list(scanner().scan_file(source, out=out))
    assert [(f.line, f.field) for f in found] == [(1, "/email"), (3, None)]
    lines = out.read_text().splitlines()
    assert json.loads(lines[0]) == {"email": "[EMAIL]"}
    assert lines[2] == "not json [EMAIL]"


def test_email_used_as_json_key_is_redacted(tmp_path: Path) -> None:
    """Personal data in object keys is found and redacted, and keys stay distinct."""
    source = tmp_path / "map.json"
    source.write_text(json.dumps({EMAIL: 1, "a@example.com": 2}))
    out = tmp_path / "out.json"
    assert len(list(scanner().scan_file(source, out=out))) == 2
    assert json.loads(out.read_text()) == {"[EMAIL]": 1, "[EMAIL]~": 2}


def test_invalid_json_is_scanned_as_text(tmp_path: Path) -> None:
    """A .json file that does not parse is still scanned, as text."""
    source = tmp_path / "broken.json"
    source.write_text('{"email": "' + EMAIL + '"')
    assert [f.type for f in FileScanner(Scanner()).scan_file(source)] == ["email"]


def test_parquet_is_scanned_and_redacted_with_its_schema(tmp_path: Path) -> None:
    """Parquet string columns are redacted in place; integer PII cells become null."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    source = tmp_path / "t.parquet"
    table = pa.table(
        {"email": [EMAIL, None, "x"], "card": [4111111111111111, 7, None], "price": [1.5, 2.0, 3.0]}
    )
    pq.write_table(table, source)
    out = tmp_path / "out.parquet"
    found = list(scanner().scan_file(source, out=out))
    assert [(f.line, f.field, f.type) for f in found] == [
        (1, "email", "email"),
        (1, "card", "card"),
    ]
    result = pq.read_table(out)
    assert result.schema == table.schema
    assert result.to_pydict() == {
        "email": ["[EMAIL]", None, "x"],
        "card": [None, 7, None],
        "price": [1.5, 2.0, 3.0],
    }


def test_tree_skips_hidden_folders_binaries_and_its_output(tmp_path: Path) -> None:
    """A tree scan skips hidden folders, binary files and the redaction output folder."""
    root = tmp_path / "data"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text(EMAIL)
    (root / "img.bin").write_bytes(b"\x00\x01" + EMAIL.encode())
    (root / "sub").mkdir()
    (root / "sub" / "a.log").write_text(EMAIL)
    out = root / "redacted"
    first = list(scanner().scan_paths([str(root)], out_dir=out))
    second = list(scanner().scan_paths([str(root)], out_dir=out))
    assert [(f.path, f.type) for f in first] == [("sub/a.log", "email")]
    assert second == first
    assert (out / "data" / "sub" / "a.log").read_text() == "[EMAIL]"


def test_stdin_is_scanned() -> None:
    """``-`` reads standard input."""
    found = list(FileScanner(Scanner()).scan_paths(["-"], stdin=io.BytesIO(EMAIL.encode())))
    assert [(f.path, f.type) for f in found] == [("<stdin>", "email")]


def test_missing_path_is_not_found() -> None:
    """A path that does not exist is a NotFound error."""
    with pytest.raises(NotFound):
        list(FileScanner(Scanner()).scan_paths(["/nonexistent/nowhere.log"]))


def test_redacting_onto_the_source_is_refused(tmp_path: Path) -> None:
    """A redacted copy may not overwrite the file it is made from."""
    source = tmp_path / "a.log"
    source.write_text(EMAIL)
    with pytest.raises(InvalidInput):
        list(scanner().scan_file(source, out=source))


def test_undecodable_bytes_survive_redaction(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are kept as they were around the redacted values."""
    source = tmp_path / "latin1.log"
    source.write_bytes(b"caf\xe9 " + EMAIL.encode() + b"\n")
    out = tmp_path / "out.log"
    list(scanner().scan_file(source, out=out))
    assert out.read_bytes() == b"caf\xe9 [EMAIL]\n"


def test_failed_scan_leaves_no_redacted_file(tmp_path: Path) -> None:
    """When redaction fails part-way (the vault goes away), no partial copy is left behind."""
    calls: list[str] = []

    def flaky_tokenizer(pii_type: str, value: str) -> str:
        calls.append(pii_type)
        if len(calls) > 1:
            raise ConnectionError("vault unavailable")
        return "tok_1"

    source = tmp_path / "app.log"
    source.write_text(f"{EMAIL}\n" + "filler line\n" * 5000 + f"{EMAIL}\n")
    out = tmp_path / "out" / "app.log"
    files = FileScanner(
        Scanner(), redactor=Redactor("token", tokenizer=flaky_tokenizer), block_size=1024
    )
    with pytest.raises(ConnectionError):
        list(files.scan_file(source, out=out))
    assert list((tmp_path / "out").iterdir()) == []


def test_long_csv_cell_is_scanned(tmp_path: Path) -> None:
    """A cell longer than the csv module's default limit is scanned, not refused."""
    source = tmp_path / "tickets.csv"
    source.write_text("id,body\n1," + "x " * 100_000 + EMAIL + "\n")
    assert [f.type for f in FileScanner(Scanner()).scan_file(source)] == ["email"]


def test_parquet_without_pyarrow_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without pyarrow installed, a Parquet file gives InvalidInput, not an ImportError."""
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    source = tmp_path / "t.parquet"
    source.write_bytes(b"PAR1")
    with pytest.raises(InvalidInput):
        list(FileScanner(Scanner()).scan_file(source))
