"""The data map: the shop's one declaration of its customer data (``privault.yaml``).

Load it with ``load_datamap(path)``; every problem in it is reported at once in a
``DataMapError``. The schema reference is ``docs/datamap.md``.
"""

from __future__ import annotations

from privault.datamap.categories import DATA_CATEGORIES
from privault.datamap.loader import load_datamap, parse_datamap, starter_datamap_text
from privault.datamap.schema import (
    VIEW_TYPES,
    Collection,
    DataMap,
    DataMapError,
    DataMapIssue,
    FieldSpec,
    FieldType,
    LegalBasis,
    Purpose,
    Retention,
    Role,
    TokenKind,
    View,
    view_fits,
)

__all__ = [
    "DATA_CATEGORIES",
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
    "load_datamap",
    "parse_datamap",
    "starter_datamap_text",
    "view_fits",
]
