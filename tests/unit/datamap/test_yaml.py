"""Reading YAML: syntax errors, duplicate keys, positions, files and hostile text."""

from __future__ import annotations

from pathlib import Path

import pytest

from privault.datamap import DataMapError, parse_datamap, starter_datamap_text
from privault.datamap.loader import MAX_DATAMAP_BYTES, load_datamap
from privault.errors import InvalidInput


def _issues(text: str) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text)
    return [str(issue) for issue in caught.value.issues]


VALID = """\
version: 1
regions: [eu]
purposes:
  support: {basis: contract}
collections:
  customers:
    fields:
      email: {type: email, category: user.contact.email}
"""


def test_minimal_map_parses_with_defaults() -> None:
    """A map with only the required keys parses; defaults fill the rest."""
    datamap = parse_datamap(VALID)
    email = datamap.field("customers", "email")
    assert (datamap.default_region, datamap.roles, datamap.shop) == ("eu", {}, None)
    assert (email.searchable, email.token, email.required, email.purposes) == (
        False,
        "random",
        False,
        ("support",),
    )


def test_syntax_error_gives_line_and_column() -> None:
    """A YAML syntax error is one issue naming its line and column."""
    with pytest.raises(DataMapError) as caught:
        parse_datamap("version: 1\nregions: [eu\npurposes: {}\n")
    (issue,) = caught.value.issues
    assert (issue.path, issue.line, issue.column) == ("(document)", 3, 9)
    assert issue.message.startswith("invalid YAML at line 3:9: ")


def test_duplicate_key_is_an_issue_with_both_lines() -> None:
    """A key given twice in one mapping is reported, pointing at the first definition."""
    text = VALID + "      email: {type: email, category: user.contact.email}\n"
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text)
    (issue,) = caught.value.issues
    assert str(issue) == (
        "collections.customers.fields.email: duplicate key (first defined at line 8)"
    )
    assert (issue.line, issue.column) == (9, 7)


def test_issue_carries_line_of_its_entry() -> None:
    """A validation issue carries the line and column of the entry it is about."""
    with pytest.raises(DataMapError) as caught:
        parse_datamap(VALID.replace("type: email", "type: emial"))
    (issue,) = caught.value.issues
    assert (issue.line, issue.column) == (8, 15)


def test_missing_key_takes_line_of_its_parent() -> None:
    """An issue about a missing key is placed at the line of the mapping that lacks it."""
    with pytest.raises(DataMapError) as caught:
        parse_datamap(VALID.replace(", category: user.contact.email", ""))
    (issue,) = caught.value.issues
    assert (str(issue), issue.line) == (
        "collections.customers.fields.email.category: required key is missing",
        8,
    )


def test_error_message_lists_issues_with_source_and_position() -> None:
    """The exception message has one 'source:line:col: path: message' line per issue."""
    with pytest.raises(DataMapError) as caught:
        parse_datamap(VALID.replace("type: email", "type: emial"), source="privault.yaml")
    assert str(caught.value).splitlines() == [
        "privault.yaml: the data map has 1 problem:",
        "  privault.yaml:8:15: collections.customers.fields.email.type: unknown type 'emial' "
        "(did you mean 'email'?)",
    ]


def test_datamap_error_is_invalid_input_with_code() -> None:
    """DataMapError is an InvalidInput carrying the issue count in its context."""
    with pytest.raises(InvalidInput) as caught:
        parse_datamap("[]")
    assert (caught.value.code, caught.value.context["issue_count"]) == ("invalid_datamap", 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "(document): the data map is empty (start from `privault init`)"),
        ("# only a comment\n", "(document): the data map is empty (start from `privault init`)"),
        (
            "- a\n- b\n",
            "(document): expected a mapping with version, regions, purposes and collections, "
            "got a list",
        ),
        (
            "just text",
            "(document): expected a mapping with version, regions, purposes and collections, "
            "got text",
        ),
        ("\x00", "(document): invalid YAML: #x0000 is not allowed (position 0)"),
        ("a: !!int abc\n", "(document): invalid YAML: a value could not be read (ValueError)"),
        ("[" * 5000, "(document): the YAML is nested too deeply"),
    ],
    ids=["empty", "comment_only", "list", "scalar", "nul", "bad_int_tag", "deep_nesting"],
)
def test_unusable_document_gives_one_clear_issue(text: str, expected: str) -> None:
    """Empty, non-mapping, unreadable or absurdly nested text gives one clear issue."""
    assert _issues(text) == [expected]


def test_python_tags_are_refused() -> None:
    """Tags that would build Python objects are refused, not executed."""
    (issue,) = _issues("version: !!python/object/apply:os.system ['true']\n")
    assert "could not determine a constructor" in issue


def test_second_document_is_refused() -> None:
    """A file holding two YAML documents is an error, not a silently ignored second map."""
    (issue,) = _issues(VALID + "---\n" + VALID)
    assert issue.startswith("(document): invalid YAML at line 9:1: ")


def test_recursive_alias_is_reported_not_looped() -> None:
    """A self-referencing alias in place of a list is reported as a type error."""
    text = VALID.replace("regions: [eu]", "regions: &r [*r]")
    assert _issues(text) == ["regions[0]: expected a region name, got a list"]


def test_oversized_text_is_refused() -> None:
    """Text above the size limit is refused before parsing."""
    assert _issues("#" * (MAX_DATAMAP_BYTES + 1)) == [
        f"(document): the data map is larger than {MAX_DATAMAP_BYTES} characters"
    ]


def test_long_value_is_cut_in_messages() -> None:
    """A huge bad value is quoted only in part, so messages stay readable."""
    (issue,) = _issues(VALID.replace("type: email", "type: " + "x" * 5000))
    assert "'" + "x" * 60 + "...'" in issue
    assert "x" * 61 not in issue


class TestLoadDatamap:
    """Reading the data map from a file."""

    def test_reads_valid_file(self, tmp_path: Path) -> None:
        """A valid file loads into a DataMap."""
        path = tmp_path / "privault.yaml"
        path.write_text(starter_datamap_text(), encoding="utf-8")
        assert "customers" in load_datamap(path).collections

    def test_missing_file_is_a_datamap_error(self, tmp_path: Path) -> None:
        """A missing file is a DataMapError that says how to create one."""
        path = tmp_path / "privault.yaml"
        with pytest.raises(DataMapError) as caught:
            load_datamap(path)
        assert [str(i) for i in caught.value.issues] == [
            f"(document): no data map at {path} (write one with `privault init`)"
        ]

    def test_directory_is_a_datamap_error(self, tmp_path: Path) -> None:
        """A directory in place of the file is a DataMapError, not an OSError."""
        with pytest.raises(DataMapError) as caught:
            load_datamap(tmp_path)
        assert caught.value.issues[0].message.startswith(f"cannot read {tmp_path}: ")

    def test_non_utf8_file_is_a_datamap_error(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are reported with their offset."""
        path = tmp_path / "privault.yaml"
        path.write_bytes(b"version: 1\nshop: \xff\n")
        with pytest.raises(DataMapError) as caught:
            load_datamap(path)
        assert [str(i) for i in caught.value.issues] == [
            "(document): the file is not UTF-8 text (bad byte at offset 17)"
        ]

    def test_oversized_file_is_refused(self, tmp_path: Path) -> None:
        """A file above the size limit is refused without reading it whole."""
        path = tmp_path / "privault.yaml"
        path.write_bytes(b"#" * (MAX_DATAMAP_BYTES + 1))
        with pytest.raises(DataMapError) as caught:
            load_datamap(path)
        assert caught.value.issues[0].message == (
            f"the file is larger than {MAX_DATAMAP_BYTES} bytes"
        )

    def test_error_names_the_file(self, tmp_path: Path) -> None:
        """Issues from a file are reported under that file's path."""
        path = tmp_path / "privault.yaml"
        path.write_text("[]", encoding="utf-8")
        with pytest.raises(DataMapError) as caught:
            load_datamap(path)
        assert caught.value.source == str(path)
        assert str(caught.value).startswith(f"{path}: the data map has 1 problem")
