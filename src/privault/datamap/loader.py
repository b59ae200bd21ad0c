"""Read a data map from YAML and report every problem in it at once.

The YAML is first composed into nodes, which give line numbers and reveal duplicate keys that
PyYAML would silently overwrite; then the plain data is walked entry by entry, each mistake is
recorded with its dotted path, and the valid parts still go through the cross-reference rules so
one run shows everything that needs fixing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from privault.datamap.reader import DOCUMENT, DocumentReader
from privault.datamap.schema import DataMap, DataMapError, DataMapIssue

__all__ = ["DOCUMENT", "MAX_DATAMAP_BYTES", "load_datamap", "parse_datamap", "starter_datamap_text"]

MAX_DATAMAP_BYTES = 1_048_576


def starter_datamap_text() -> str:
    """Return the starter data map that ``privault init`` writes for a new shop."""
    return resources.files("privault.datamap").joinpath("starter.yaml").read_text("utf-8")


def load_datamap(path: Path) -> DataMap:
    """Read and validate the data map at ``path``; raise DataMapError listing every problem."""
    source = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_DATAMAP_BYTES + 1)
    except FileNotFoundError:
        raise _fail(f"no data map at {path} (write one with `privault init`)", source) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _fail(f"cannot read {path}: {reason}", source) from None
    if len(raw) > MAX_DATAMAP_BYTES:
        raise _fail(f"the file is larger than {MAX_DATAMAP_BYTES} bytes", source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(
            f"the file is not UTF-8 text (bad byte at offset {exc.start})", source
        ) from None
    return parse_datamap(text, source=source)


def parse_datamap(text: str, *, source: str = "<string>") -> DataMap:
    """Validate a data map given as YAML text; raise DataMapError listing every problem."""
    if len(text) > MAX_DATAMAP_BYTES:
        raise _fail(f"the data map is larger than {MAX_DATAMAP_BYTES} characters", source)
    data, positions, issues = _read_yaml(text)
    if data is None and issues:
        raise DataMapError(issues, source=source)
    reader = DocumentReader()
    parts = reader.document(data)
    issues += reader.issues
    if issues:
        raise DataMapError(_placed(issues, positions), source=source)
    return DataMap(**parts)


def _fail(message: str, source: str) -> DataMapError:
    return DataMapError([DataMapIssue(DOCUMENT, message)], source=source)


# --- YAML -------------------------------------------------------------------------------------

_Positions = dict[str, tuple[int, int]]


def _read_yaml(text: str) -> tuple[Any, _Positions, list[DataMapIssue]]:
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        positions, issues = _index_nodes(node)
        return loader.construct_document(node), positions, issues
    except Exception as exc:  # PyYAML's constructors also let bare ValueError, KeyError... escape
        return None, {}, [_yaml_issue(exc)]
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_issue(exc: Exception) -> DataMapIssue:
    """Describe why PyYAML could not read the text, by position, without quoting it."""
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or exc.context or "unreadable YAML"
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
            message = f"invalid YAML at line {line}:{column}: {problem}"
            return DataMapIssue(DOCUMENT, message, line, column)
        message = f"invalid YAML: {problem}"
    elif isinstance(exc, yaml.reader.ReaderError):
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
        message = f"invalid YAML: {character} is not allowed (position {exc.position})"
    elif isinstance(exc, RecursionError):
        message = "the YAML is nested too deeply"
    else:
        message = f"invalid YAML: a value could not be read ({type(exc).__name__})"
    return DataMapIssue(DOCUMENT, message)


def _index_nodes(root: yaml.Node) -> tuple[_Positions, list[DataMapIssue]]:
    """Map each dotted path to its line and column, and report duplicate keys."""
    positions: _Positions = {}
    issues: list[DataMapIssue] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        # Aliases share node objects (and may be recursive): visit each node once.
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                child = path
                if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                    key = str(key_node.value)
                    child = f"{path}.{key}" if path else key
                    line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    if key in first_line:
                        message = f"duplicate key (first defined at line {first_line[key]})"
                        issues.append(DataMapIssue(child, message, line, column))
                    else:
                        first_line[key] = line
                        positions.setdefault(child, (line, column))
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                positions.setdefault(child, (item.start_mark.line + 1, item.start_mark.column + 1))
                stack.append((item, child))
    return positions, issues


def _placed(issues: list[DataMapIssue], positions: _Positions) -> list[DataMapIssue]:
    """Give each issue the line of its path (or of its nearest parent), in document order."""
    placed = []
    for issue in issues:
        path = issue.path
        while issue.line is None and path and path not in positions:
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        if issue.line is None and path in positions:
            placed.append(DataMapIssue(issue.path, issue.message, *positions[path]))
        else:
            placed.append(issue)
    return sorted(placed, key=lambda i: (i.line is None, i.line or 0, i.column or 0))


# --- walking the data -------------------------------------------------------------------------
