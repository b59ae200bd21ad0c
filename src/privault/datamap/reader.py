"""Walk a loaded YAML data map entry by entry: record every mistake with its dotted path and build
the parts that are valid (the loader then runs the cross-reference rules on them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from privault.datamap.categories import DATA_CATEGORIES, DEPRECATED_CATEGORIES, suggest_category
from privault.datamap.schema import (
    IDENTIFIER,
    Collection,
    DataMap,
    DataMapIssue,
    FieldSpec,
    FieldType,
    LegalBasis,
    Purpose,
    Retention,
    Role,
    TokenKind,
    View,
    did_you_mean,
    reference_issues,
    show,
    unknown_value,
)

__all__ = ["DOCUMENT", "DocumentReader"]

DOCUMENT = "(document)"
_READ_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}\.([a-z][a-z0-9_]{0,62}|\*)")

E = TypeVar("E", bound=StrEnum)


_KINDS: tuple[tuple[type, str], ...] = (
    (type(None), "nothing"),
    (bool, "true/false"),
    (int, "a number"),
    (float, "a number"),
    (str, "text"),
    (list, "a list"),
    (dict, "a mapping"),
    (date, "a date"),
)


def _kind(value: object) -> str:
    """Name the kind of a YAML value for a message, never the value itself."""
    for kind, name in _KINDS:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__} value"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path and path != DOCUMENT else key


def _yaml_keys(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name != "name"]


class DocumentReader:
    """Walks the loaded YAML, collecting issues and building the parts that are valid."""

    def __init__(self) -> None:
        self.issues: list[DataMapIssue] = []
        self.unreadable: set[str] = set()

    def issue(self, path: str, message: str) -> None:
        self.issues.append(DataMapIssue(path, message))

    # scalar readers: each returns None when the key is absent or its value is wrong

    def mapping(self, value: Any, path: str, what: str = "a mapping") -> dict[Any, Any] | None:
        if isinstance(value, dict):
            return value
        self.issue(path, f"expected {what}, got {_kind(value)}")
        return None

    def keys(
        self, data: dict[Any, Any], path: str, allowed: Sequence[str], required: Sequence[str]
    ) -> None:
        for key in data:
            if not isinstance(key, str):
                self.issue(_join(path, str(key)[:60]), f"keys must be text, got {_kind(key)}")
            elif key not in allowed:
                match = did_you_mean(key, allowed)
                hint = f"did you mean '{match}'?" if match else f"expected: {', '.join(allowed)}"
                self.issue(_join(path, key[:60]), f"unknown key ({hint})")
        for key in required:
            if key not in data:
                self.issue(_join(path, key), "required key is missing")

    def text(self, data: dict[Any, Any], key: str, path: str) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, str):
            return value
        self.issue(_join(path, key), f"expected text, got {_kind(value)}")
        return None

    def flag(self, data: dict[Any, Any], key: str, path: str) -> bool | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool):
            return value
        self.issue(_join(path, key), f"expected true or false, got {_kind(value)}")
        return None

    def choice(
        self, data: dict[Any, Any], key: str, path: str, enum: type[E], noun: str
    ) -> E | None:
        if key not in data:
            return None
        value = data[key]
        choices = [member.value for member in enum]
        if not isinstance(value, str):
            self.issue(
                _join(path, key), f"expected a {noun} ({', '.join(choices)}), got {_kind(value)}"
            )
            return None
        if value not in choices:
            self.issue(_join(path, key), unknown_value(noun, value, choices))
            return None
        return enum(value)

    def retention(self, data: dict[Any, Any], path: str) -> Retention | None:
        if "retention" not in data:
            return None
        value = data["retention"]
        where = _join(path, "retention")
        if not isinstance(value, str):
            self.issue(where, f"expected a duration such as '30d' or '3y', got {_kind(value)}")
            return None
        try:
            return Retention.parse(value)
        except ValueError as exc:
            self.issue(where, str(exc))
            return None

    def category(self, data: dict[Any, Any], path: str) -> str | None:
        value = data.get("category")
        where = _join(path, "category")
        if "category" not in data or (isinstance(value, str) and value in DATA_CATEGORIES):
            return value if isinstance(value, str) else None
        if not isinstance(value, str):
            self.issue(where, f"expected a data category such as 'user.name', got {_kind(value)}")
        elif value in DEPRECATED_CATEGORIES:
            new = DEPRECATED_CATEGORIES[value]
            message = f"data category {show(value)} is deprecated in fideslang; use '{new}'"
            self.issue(where, message)
        else:
            match = suggest_category(value)
            hint = f"did you mean '{match}'?" if match else "see docs/datamap.md for the list"
            self.issue(where, f"unknown data category {show(value)} ({hint})")
        return None

    def names(self, value: Any, path: str, noun: str) -> list[str] | None:
        """Read a list of names; None when it is not a list, else the well-formed entries."""
        if not isinstance(value, list):
            hint = (
                f" (write [{value}])"
                if isinstance(value, str) and IDENTIFIER.fullmatch(value)
                else ""
            )
            self.issue(path, f"expected a list of {noun} names, got {_kind(value)}{hint}")
            return None
        names: list[str] = []
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if not isinstance(item, str):
                self.issue(where, f"expected a {noun} name, got {_kind(item)}")
            elif item in names:
                self.issue(where, f"{noun} '{item}' is listed twice")
            else:
                names.append(item)
        return names

    def entries(
        self, parent: dict[Any, Any], key: str, path: str, what: str, one: str | None = None
    ) -> list[tuple[str, Any]] | None:
        """Read ``parent[key]``, a mapping keyed by names; None when absent or not a mapping.

        Badly named entries are reported and skipped; ``one`` names the kind of entry of which
        at least one is required.
        """
        if key not in parent:
            return None
        data = self.mapping(parent[key], path, f"a mapping of {what}")
        if data is None:
            return None
        if not data and one is not None:
            self.issue(path, f"declare at least one {one}")
        entries = []
        for name, item in data.items():
            if not isinstance(name, str):
                self.issue(_join(path, str(name)[:60]), f"names must be text, got {_kind(name)}")
            elif not IDENTIFIER.fullmatch(name):
                self.issue(
                    _join(path, name[:60]),
                    f"invalid name {show(name)}: use lowercase letters, digits and '_', "
                    "starting with a letter, at most 63 characters",
                )
            else:
                entries.append((name, item))
        return entries

    # the parts of a data map

    def document(self, data: Any) -> dict[str, Any]:
        if data is None:
            self.issue(DOCUMENT, "the data map is empty (start from `privault init`)")
            return {}
        what = "a mapping with version, regions, purposes and collections"
        root = self.mapping(data, DOCUMENT, what)
        if root is None:
            return {}
        required = ("version", "regions", "purposes", "collections")
        self.keys(root, "", _yaml_keys(DataMap), required)
        version = root.get("version", 1)
        if type(version) is int and version != 1:
            self.issue("version", f"unsupported version {version}; this privault reads version 1")
        elif type(version) is not int:
            self.issue("version", f"expected the number 1, got {_kind(version)}")
        regions = self.regions(root)
        default_region = self.text(root, "default_region", "")

        purpose_entries = self.entries(root, "purposes", "purposes", "purposes", "purpose")
        purpose_names = None if purpose_entries is None else [n for n, _ in purpose_entries]
        purposes = {n: p for n, v in purpose_entries or [] if (p := self.purpose(n, v))}
        collection_entries = self.entries(
            root, "collections", "collections", "collections", "collection"
        )
        collections = {
            n: c
            for n, v in collection_entries or []
            if (c := self.collection(n, v, purpose_names or []))
        }
        roles = {
            n: r
            for n, v in self.entries(root, "roles", "roles", "roles") or []
            if (r := self.role(n, v))
        }

        self.issues += reference_issues(
            regions=regions,
            default_region=default_region,
            purpose_names=purpose_names,
            collections=None if collection_entries is None else collections,
            roles=roles,
            unreadable=frozenset(self.unreadable),
        )
        parts: dict[str, Any] = {
            "regions": tuple(regions or ()),
            "default_region": default_region or (regions[0] if regions else ""),
            "purposes": purposes,
            "collections": collections,
            "roles": roles,
        }
        if (shop := self.text(root, "shop", "")) is not None:
            parts["shop"] = shop
        return parts

    def regions(self, root: dict[Any, Any]) -> list[str] | None:
        if "regions" not in root:
            return None
        regions = self.names(root["regions"], "regions", "region")
        if regions is None:
            return None
        for index, region in enumerate(regions):
            if not IDENTIFIER.fullmatch(region):
                self.issue(
                    f"regions[{index}]",
                    f"invalid region name {show(region)}: use lowercase letters, digits and '_'",
                )
        if not root["regions"]:
            self.issue("regions", "declare at least one region")
        return regions

    def purpose(self, name: str, value: Any) -> Purpose | None:
        path = f"purposes.{name}"
        before = len(self.issues)
        data = self.mapping(value, path, "a mapping with a 'basis'")
        if data is None:
            return None
        self.keys(data, path, _yaml_keys(Purpose), required=("basis",))
        fields = {
            "basis": self.choice(data, "basis", path, LegalBasis, "legal basis"),
            "description": self.text(data, "description", path),
            "sale_or_share": self.flag(data, "sale_or_share", path),
        }
        if len(self.issues) > before:
            return None
        return Purpose(name=name, **{k: v for k, v in fields.items() if v is not None})

    def collection(self, name: str, value: Any, purpose_names: list[str]) -> Collection | None:
        path = f"collections.{name}"
        data = self.mapping(value, path, "a mapping with 'fields'")
        if data is None or not isinstance(data.get("fields"), dict) or not data["fields"]:
            self.unreadable.add(name)
        if data is None:
            return None
        self.keys(data, path, _yaml_keys(Collection), required=("fields",))
        description = self.text(data, "description", path)
        retention = self.retention(data, path)
        fields: dict[str, FieldSpec] = {}
        entries = self.entries(data, "fields", f"{path}.fields", "fields", "field")
        for field_name, spec in entries or []:
            field = self.field(f"{path}.fields.{field_name}", field_name, spec, purpose_names)
            if field is None:
                self.unreadable.add(f"{name}.{field_name}")
            else:
                fields[field_name] = field
        extra = {"description": description, "retention": retention}
        return Collection(
            name=name, fields=fields, **{k: v for k, v in extra.items() if v is not None}
        )

    def field(self, path: str, name: str, value: Any, purpose_names: list[str]) -> FieldSpec | None:
        data = self.mapping(value, path, "a mapping with 'type' and 'category'")
        if data is None:
            return None
        self.keys(data, path, _yaml_keys(FieldSpec), required=("type", "category"))
        field_type = self.choice(data, "type", path, FieldType, "type")
        purposes: list[str] | None = list(purpose_names)
        if "purposes" in data:
            purposes = self.names(data["purposes"], f"{path}.purposes", "purpose")
            if purposes == [] and data["purposes"] == []:
                message = "list at least one purpose (leave the key out to allow all)"
                self.issue(f"{path}.purposes", message)
                purposes = None
        optional = {
            "category": self.category(data, path),
            "searchable": self.flag(data, "searchable", path),
            "retention": self.retention(data, path),
            "token": self.choice(data, "token", path, TokenKind, "token kind"),
            "required": self.flag(data, "required", path),
            "description": self.text(data, "description", path),
        }
        if field_type is None or purposes is None:
            return None
        optional["category"] = optional["category"] or ""
        return FieldSpec(
            name=name,
            type=field_type,
            purposes=tuple(purposes),
            **{k: v for k, v in optional.items() if v is not None},
        )

    def role(self, name: str, value: Any) -> Role | None:
        path = f"roles.{name}"
        data = self.mapping(value, path, "a mapping")
        if data is None:
            return None
        self.keys(data, path, _yaml_keys(Role), required=())
        purposes = (
            self.names(data["purposes"], f"{path}.purposes", "purpose")
            if "purposes" in data
            else []
        )
        write = self.names(data["write"], f"{path}.write", "collection") if "write" in data else []
        read: dict[str, View] | None = {}
        if "read" in data:
            read = self.read(data["read"], f"{path}.read")
        optional = {"description": self.text(data, "description", path)}
        if purposes is None or write is None or read is None:
            return None
        return Role(
            name=name,
            purposes=tuple(purposes),
            write=tuple(write),
            read=read,
            **{k: v for k, v in optional.items() if v is not None},
        )

    def read(self, value: Any, path: str) -> dict[str, View] | None:
        data = self.mapping(value, path, "a mapping of 'collection.field: view'")
        if data is None:
            return None
        read: dict[str, View] = {}
        for key, view_name in data.items():
            where = _join(path, str(key)[:60])
            if not isinstance(key, str) or not _READ_KEY.fullmatch(key):
                self.issue(
                    where, "name a field as 'collection.field' or all fields as 'collection.*'"
                )
                continue
            view = self.choice({key: view_name}, key, path, View, "view")
            if view is not None:
                read[key] = view
        return read
