"""The data map's typed model and the rules that tie its parts together.

``loader`` turns YAML into these models; the cross-reference rules live here, beside the models,
so a ``DataMap`` built in code is held to the same rules as one read from a file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, model_validator
from pydantic_core import CoreSchema, core_schema

from privault.errors import InvalidInput, NotFound

__all__ = [
    "IDENTIFIER",
    "MAX_RETENTION_DAYS",
    "VIEW_TYPES",
    "Collection",
    "DataMap",
    "DataMapError",
    "DataMapIssue",
    "FieldSpec",
    "FieldType",
    "LegalBasis",
    "Purpose",
    "Retention",
    "Role",
    "TokenKind",
    "View",
    "did_you_mean",
    "reference_issues",
    "show",
    "unknown_value",
    "view_fits",
]

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,62}")
MAX_RETENTION_DAYS = 100 * 365
_RETENTION = re.compile(r"([1-9][0-9]{0,5})([dwmy])")
# Months and years are fixed lengths so a retention is one exact number of days everywhere.
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


class LegalBasis(StrEnum):
    """The six lawful bases of GDPR Art. 6(1)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTEREST = "legitimate_interest"


class FieldType(StrEnum):
    """What a field holds; decides its validation, masks and the views that fit it."""

    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    DATE = "date"
    CARD_NUMBER = "card_number"
    IBAN = "iban"
    NATIONAL_ID = "national_id"
    IP_ADDRESS = "ip_address"
    TEXT = "text"


class TokenKind(StrEnum):
    """How the token handed back to the shop is made."""

    RANDOM = "random"
    DETERMINISTIC = "deterministic"
    CARD = "card"


class View(StrEnum):
    """The form in which a role sees a field."""

    PLAIN = "plain"
    MASKED = "masked"
    TOKEN = "token"  # noqa: S105 - a view's name, not a secret
    DENIED = "denied"
    REDACTED = "redacted"
    EMAIL_MASK = "email_mask"
    LAST2 = "last2"
    LAST4 = "last4"
    BIN_LAST4 = "bin_last4"
    INITIALS = "initials"
    CITY_COUNTRY = "city_country"
    YEAR = "year"


_NUMBERED = frozenset(
    {FieldType.CARD_NUMBER, FieldType.IBAN, FieldType.PHONE, FieldType.NATIONAL_ID}
)
# Views missing from this table fit every type.
VIEW_TYPES: Mapping[View, frozenset[FieldType]] = {
    View.EMAIL_MASK: frozenset({FieldType.EMAIL}),
    View.LAST2: _NUMBERED,
    View.LAST4: _NUMBERED,
    View.BIN_LAST4: _NUMBERED,
    View.INITIALS: frozenset({FieldType.NAME}),
    View.CITY_COUNTRY: frozenset({FieldType.ADDRESS}),
    View.YEAR: frozenset({FieldType.DATE}),
}


def view_fits(view: View, field_type: FieldType) -> bool:
    """Tell whether ``view`` can be applied to a field of ``field_type``."""
    return view not in VIEW_TYPES or field_type in VIEW_TYPES[view]


def show(value: str, limit: int = 60) -> str:
    """Quote a value from the data map for a message, escaped and cut to ``limit`` characters."""
    escaped = repr(value)[1:-1]
    return f"'{escaped[:limit]}...'" if len(escaped) > limit else f"'{escaped}'"


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``value``, or None when none is close."""
    if len(value) > 200:
        return None
    candidates = list(choices)
    lowered = {choice.lower(): choice for choice in candidates}
    if value.lower() in lowered:
        return lowered[value.lower()]
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_value(noun: str, value: str, choices: Sequence[str], scope: str = "") -> str:
    """Say that ``value`` is not a known ``noun``, with the closest choice or the list."""
    unknown = f"unknown {noun} {show(value)}{scope}"
    match = did_you_mean(value, choices)
    if match is not None:
        return f"{unknown} (did you mean '{match}'?)"
    if not choices:
        return f"{unknown} (none is declared)"
    if len(choices) <= 12:
        return f"{unknown} (expected one of: {', '.join(choices)})"
    return unknown


@dataclass(frozen=True, slots=True)
class DataMapIssue:
    """One problem in a data map, at a dotted path (and a line, when read from YAML)."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DataMapError(InvalidInput):
    """The data map is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[DataMapIssue], *, source: str = "<string>") -> None:
        self.issues = list(issues)
        self.source = source
        count = len(self.issues)
        lines = [f"{source}: the data map has {count} problem{'' if count == 1 else 's'}:"]
        for issue in self.issues:
            where = f"{source}:{issue.line}:{issue.column}" if issue.line else source
            lines.append(f"  {where}: {issue}")
        super().__init__("\n".join(lines), code="invalid_datamap", source=source, issue_count=count)


@dataclass(frozen=True, slots=True)
class Retention:
    """How long data is kept, parsed from ``Nd``, ``Nw``, ``Nm`` (30 days) or ``Ny`` (365 days)."""

    text: str
    days: int

    @classmethod
    def parse(cls, text: str) -> Retention:
        """Parse a duration such as ``30d`` or ``3y``; raise ValueError with a readable message."""
        match = _RETENTION.fullmatch(text)
        if match is None:
            raise ValueError(
                f"invalid retention {show(text)}: write a whole number and a unit d, w, m or y "
                "(e.g. '30d', '12w', '6m', '3y')"
            )
        days = int(match.group(1)) * _UNIT_DAYS[match.group(2)]
        if days > MAX_RETENTION_DAYS:
            raise ValueError(f"retention {show(text)} is longer than 100 years")
        return cls(text=text, days=days)

    @property
    def period(self) -> timedelta:
        """The retention as a timedelta."""
        return timedelta(days=self.days)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def _coerce(cls, value: Any) -> Retention:
        if isinstance(value, Retention):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError("retention must be a duration such as '30d'")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Let pydantic models hold a Retention, read from and written as its text."""
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda r: r.text),
        )


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Purpose(_Frozen):
    """Why data is processed, with its lawful basis."""

    name: str
    basis: LegalBasis
    description: str = ""
    sale_or_share: bool = False


class FieldSpec(_Frozen):
    """One declared field of a collection."""

    name: str
    type: FieldType
    category: str
    searchable: bool = False
    retention: Retention | None = None
    token: TokenKind = TokenKind.RANDOM
    purposes: tuple[str, ...]
    required: bool = False
    description: str = ""


class Collection(_Frozen):
    """A kind of record (customers, orders) and its fields."""

    name: str
    description: str = ""
    retention: Retention | None = None
    fields: dict[str, FieldSpec]


class Role(_Frozen):
    """Who a caller acts as: the purposes they serve, what they read and in which view."""

    name: str
    description: str = ""
    purposes: tuple[str, ...] = ()
    read: dict[str, View] = {}
    write: tuple[str, ...] = ()


class DataMap(_Frozen):
    """The shop's one declaration of its customer data."""

    version: Literal[1] = 1
    shop: str | None = None
    regions: tuple[str, ...]
    default_region: str
    purposes: dict[str, Purpose]
    collections: dict[str, Collection]
    roles: dict[str, Role] = {}

    @model_validator(mode="after")
    def _references_resolve(self) -> DataMap:
        issues = reference_issues(
            regions=self.regions,
            default_region=self.default_region,
            purpose_names=list(self.purposes),
            collections=self.collections,
            roles=self.roles,
        )
        if issues:
            raise DataMapError(issues, source="<DataMap>")
        return self

    def collection(self, name: str) -> Collection:
        """Return the collection ``name``; raise NotFound when it is not declared."""
        try:
            return self.collections[name]
        except KeyError:
            raise NotFound(
                f"collection '{name}' is not in the data map", code="unknown_collection"
            ) from None

    def field(self, collection: str, field: str) -> FieldSpec:
        """Return the spec of ``collection.field``; raise NotFound when it is not declared."""
        spec = self.collection(collection).fields.get(field)
        if spec is None:
            raise NotFound(
                f"field '{collection}.{field}' is not in the data map",
                code="unknown_field",
                collection=collection,
                field=field,
            )
        return spec

    def view_for(self, role: str, collection: str, field: str) -> View | None:
        """Return the view ``role`` has on a field, or None when not granted (or denied)."""
        spec = self.roles.get(role)
        if spec is None:
            return None
        view = spec.read.get(f"{collection}.{field}")
        if view is None and field in self.collections.get(collection, _NO_COLLECTION).fields:
            view = spec.read.get(f"{collection}.*")
        return None if view is View.DENIED else view

    def allowed_purposes(self, role: str, collection: str, field: str) -> frozenset[str]:
        """Return the purposes for which ``role`` may read a field (empty when it may not)."""
        if self.view_for(role, collection, field) is None:
            return frozenset()
        return frozenset(self.roles[role].purposes) & frozenset(
            self.field(collection, field).purposes
        )

    def can_write(self, role: str, collection: str) -> bool:
        """Tell whether ``role`` may store, update or delete records of ``collection``."""
        spec = self.roles.get(role)
        return spec is not None and collection in spec.write

    def region_or_default(self, region: str | None) -> str:
        """Return ``region`` (or the default when None); raise InvalidInput when undeclared."""
        if region is None:
            return self.default_region
        if region not in self.regions:
            raise InvalidInput(unknown_value("region", region, self.regions), code="unknown_region")
        return region


_NO_COLLECTION = Collection(name="none", fields={})


def reference_issues(
    *,
    regions: Sequence[str] | None,
    default_region: str | None,
    purpose_names: Sequence[str] | None,
    collections: Mapping[str, Collection] | None,
    roles: Mapping[str, Role],
    unreadable: frozenset[str] = frozenset(),
) -> list[DataMapIssue]:
    """List the broken references between the parts of a data map.

    A part passed as None could not be read; references into it are not checked, so one
    mistake is reported once. ``unreadable`` names collections and ``collection.field``
    entries that are declared but invalid, for the same reason.
    """
    issues: list[DataMapIssue] = []

    def resolves(path: str, noun: str, value: str, known: Sequence[str] | None) -> None:
        if known is not None and value not in known:
            issues.append(DataMapIssue(path, unknown_value(noun, value, known)))

    if regions is not None and default_region is not None:
        resolves("default_region", "region", default_region, regions)
    for collection in (collections or {}).values():
        issues += _collection_issues(collection, purpose_names)
    collection_names = None if collections is None else [*collections, *unreadable]
    for role in roles.values():
        path = f"roles.{role.name}"
        for index, purpose in enumerate(role.purposes):
            resolves(f"{path}.purposes[{index}]", "purpose", purpose, purpose_names)
        for index, name in enumerate(role.write):
            resolves(f"{path}.write[{index}]", "collection", name, collection_names)
        if collections is not None:
            for key, view in role.read.items():
                issues += _read_issues(
                    role,
                    key,
                    view,
                    collections=collections,
                    unreadable=unreadable,
                    purpose_names=purpose_names,
                )
    return issues


def _collection_issues(
    collection: Collection, purpose_names: Sequence[str] | None
) -> list[DataMapIssue]:
    issues: list[DataMapIssue] = []
    for spec in collection.fields.values():
        path = f"collections.{collection.name}.fields.{spec.name}"
        if purpose_names is not None:
            for index, purpose in enumerate(spec.purposes):
                if purpose not in purpose_names:
                    message = unknown_value("purpose", purpose, purpose_names)
                    issues.append(DataMapIssue(f"{path}.purposes[{index}]", message))
        if spec.token is TokenKind.CARD and spec.type is not FieldType.CARD_NUMBER:
            message = (
                f"token 'card' keeps the shape of a card number and fits only type "
                f"'card_number', not '{spec.type}' (use random or deterministic)"
            )
            issues.append(DataMapIssue(f"{path}.token", message))
        if (
            spec.retention
            and collection.retention
            and spec.retention.days > collection.retention.days
        ):
            message = (
                f"retention {spec.retention} is longer than the collection's retention "
                f"{collection.retention}; the whole record is deleted first"
            )
            issues.append(DataMapIssue(f"{path}.retention", message))
    return issues


def _read_issues(
    role: Role,
    key: str,
    view: View,
    *,
    collections: Mapping[str, Collection],
    unreadable: frozenset[str],
    purpose_names: Sequence[str] | None,
) -> list[DataMapIssue]:
    path = f"roles.{role.name}.read.{key}"
    collection_name, _, field_name = key.partition(".")
    if not field_name:
        return [DataMapIssue(path, "name a field as 'collection.field' or all as 'collection.*'")]
    if collection_name in unreadable or key in unreadable:
        return []
    collection = collections.get(collection_name)
    if collection is None:
        message = unknown_value("collection", collection_name, list(collections))
        return [DataMapIssue(path, message)]
    issues: list[DataMapIssue] = []
    if field_name == "*":
        if view in VIEW_TYPES:
            message = (
                f"view '{view}' fits only {_types(view)}; a 'collection.*' entry needs a view "
                "that fits every type: plain, masked, token, redacted or denied"
            )
            issues.append(DataMapIssue(path, message))
        targets = [
            spec
            for spec in collection.fields.values()
            if f"{collection_name}.{spec.name}" not in role.read
        ]
    else:
        spec = collection.fields.get(field_name)
        if spec is None:
            prefix = f"{collection_name}."
            broken = [n.removeprefix(prefix) for n in unreadable if n.startswith(prefix)]
            choices = [*collection.fields, *broken]
            scope = f" in collection '{collection_name}'"
            return [DataMapIssue(path, unknown_value("field", field_name, choices, scope))]
        if not view_fits(view, spec.type):
            message = (
                f"view '{view}' does not fit type '{spec.type}' (it fits {_types(view)}); "
                "use masked, redacted, token or plain"
            )
            issues.append(DataMapIssue(path, message))
        targets = [spec]
    if view is View.DENIED or purpose_names is None:
        return issues
    for spec in targets:
        # A misspelt purpose is reported where it is written; it should not also read as a
        # missing overlap here.
        named = {*role.purposes, *spec.purposes}
        if named <= set(purpose_names) and not set(role.purposes) & set(spec.purposes):
            message = (
                f"the role's purposes ({', '.join(role.purposes) or 'none'}) share none with "
                f"the purposes of field '{collection_name}.{spec.name}' "
                f"({', '.join(spec.purposes)}), so it could never be read"
            )
            issues.append(DataMapIssue(path, message))
    return issues


def _types(view: View) -> str:
    return ", ".join(sorted(VIEW_TYPES[view]))
