"""Masking transforms: the partial views of a value a role may see instead of the value.

A transform is a function ``str -> str`` registered under a name, optionally limited to some
field types. ``apply_transform`` is the only way the vault runs one, and it guarantees that a
transform never raises and never hands back the value itself: odd input, an exception or an
output equal to the input all become ``[REDACTED]``.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Final, overload

from privault.crypto import check_field_type
from privault.errors import Conflict, InvalidInput

__all__ = [
    "BUILTIN_TRANSFORMS",
    "REDACTED",
    "TRANSFORMS",
    "Transform",
    "TransformFunc",
    "apply_transform",
    "bin_last4",
    "city_country",
    "default_mask_for",
    "email_mask",
    "initials",
    "ip_prefix",
    "last2",
    "last4",
    "redacted",
    "register_transform",
    "unregister_transform",
    "year",
]

REDACTED: Final = "[REDACTED]"

TransformFunc = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Transform:
    """A registered transform: its name, its function and the field types it applies to."""

    name: str
    func: TransformFunc
    types: frozenset[str] | None  # None: applies to every field type

    def applies_to(self, field_type: str) -> bool:
        """Whether this transform may be used on a field of ``field_type``."""
        return self.types is None or field_type in self.types


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def email_mask(value: str) -> str:
    """``john.doe@example.com`` -> ``j***@example.com``; a one-letter local part shows no letter."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in local + domain):
        return REDACTED
    if "." not in domain.strip("."):
        return REDACTED
    shown = local[0] if len(local) > 1 else ""
    return f"{shown}***@{domain}"


def _keep_last(value: str, keep: int) -> str:
    chars = [ch for ch in unicodedata.normalize("NFKC", value) if ch.isalnum()]
    # Fewer than four hidden characters is too few to call masked: redact instead.
    if len(chars) < keep + 4:
        return REDACTED
    return "*" * (len(chars) - keep) + "".join(chars[-keep:])


def last2(value: str) -> str:
    """Keep the last 2 characters, one ``*`` per hidden one, separators dropped: ``******58``."""
    return _keep_last(value, 2)


def last4(value: str) -> str:
    """Keep the last 4 characters, one ``*`` per hidden one, separators dropped: ``****1234``."""
    return _keep_last(value, 4)


def bin_last4(value: str) -> str:
    """Keep a card's first 6 and last 4 digits, never more: ``411111******1111``."""
    digits = value.strip().replace(" ", "").replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        return REDACTED
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def initials(value: str) -> str:
    """``Jane Q. Doe`` -> ``J. Q. D.``: the first letter of each word, upper-cased."""
    letters = []
    for word in _nfc(value).split():
        first = next((ch for ch in word if ch.isalpha()), None)
        if first is not None:
            letters.append(f"{first.upper()}.")
    return " ".join(letters) if letters else REDACTED


def city_country(value: str) -> str:
    """``12 High St, London, UK`` -> ``London, UK``: the last two comma- or line-separated parts.

    Fewer than three parts would show the whole address, so those are redacted.
    """
    parts = [part.strip() for part in re.split(r"[,\n]", value)]
    parts = [part for part in parts if part]
    if len(parts) < 3:
        return REDACTED
    return ", ".join(parts[-2:])


_DAY_MONTH_YEAR: Final = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")


def year(value: str) -> str:
    """``1990-05-17`` -> ``1990``; also ISO date-times and ``17/05/1990``-style dates."""
    text = value.strip()
    try:
        return f"{datetime.fromisoformat(text).year:04d}"
    except ValueError:
        pass
    match = _DAY_MONTH_YEAR.fullmatch(text)
    if match:
        first, second, year_ = (int(group) for group in match.groups())
        # Either day/month or month/day order; both parts must fit one of them.
        day, month = (first, second) if second <= 12 else (second, first)
        try:
            return f"{date(year_, month, day).year:04d}"
        except ValueError:
            return REDACTED
    return REDACTED


def ip_prefix(value: str) -> str:
    """IPv4 -> its /24 (``192.0.2.0/24``), IPv6 -> its /48 (``2001:db8:85a3::/48``)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return REDACTED
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Network((int(address) >> 8 << 8, 24)))
    # Built from the integer so a zone id ("%eth0") never reaches the output.
    return str(ipaddress.IPv6Network((int(address) >> 80 << 80, 48)))


def redacted(value: str) -> str:
    """``[REDACTED]``, for any value of any type."""
    return REDACTED


_NUMBERED: Final = frozenset({"phone", "card_number", "iban", "national_id"})
_BUILTINS: Final[tuple[Transform, ...]] = (
    Transform("email_mask", email_mask, frozenset({"email"})),
    Transform("last2", last2, _NUMBERED),
    Transform("last4", last4, _NUMBERED),
    Transform("bin_last4", bin_last4, frozenset({"card_number"})),
    Transform("initials", initials, frozenset({"name"})),
    Transform("city_country", city_country, frozenset({"address"})),
    Transform("year", year, frozenset({"date"})),
    Transform("ip_prefix", ip_prefix, frozenset({"ip_address"})),
    Transform("redacted", redacted, None),
)

BUILTIN_TRANSFORMS: Final[frozenset[str]] = frozenset(t.name for t in _BUILTINS)

_DEFAULT_MASKS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "email": "email_mask",
        "phone": "last4",
        "card_number": "last4",
        "iban": "last4",
        "national_id": "last4",
        "name": "initials",
        "address": "city_country",
        "date": "year",
        "ip_address": "ip_prefix",
        "text": "redacted",
    }
)

_registry: dict[str, Transform] = {t.name: t for t in _BUILTINS}
_registry_lock = threading.Lock()
TRANSFORMS: Final[Mapping[str, Transform]] = MappingProxyType(_registry)
"""Read-only live view of every registered transform, by name."""

_NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,62}")


def default_mask_for(field_type: str) -> str:
    """The transform a ``masked`` view of a field of this type uses."""
    check_field_type(field_type)
    return _DEFAULT_MASKS[field_type]


@overload
def register_transform(
    name: str, func: TransformFunc, *, types: set[str] | frozenset[str] | None = None
) -> TransformFunc: ...
@overload
def register_transform(
    name: str, func: None = None, *, types: set[str] | frozenset[str] | None = None
) -> Callable[[TransformFunc], TransformFunc]: ...
def register_transform(
    name: str, func: TransformFunc | None = None, *, types: set[str] | frozenset[str] | None = None
) -> TransformFunc | Callable[[TransformFunc], TransformFunc]:
    """Register a custom transform; call directly or use as ``@register_transform(name)``.

    ``types`` limits it to those field types (None: every type). A name already taken, including
    a built-in one, is refused with ``Conflict``.
    """
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidInput(
            "transform name must be 1-63 lower-case letters, digits or '_', starting with a letter",
            code="invalid_transform_name",
        )
    if types is not None:
        if not types:
            raise InvalidInput("types must name at least one field type", code="invalid_types")
        for field_type in types:
            check_field_type(field_type)
    frozen_types = frozenset(types) if types is not None else None

    def decorator(f: TransformFunc) -> TransformFunc:
        if not callable(f):
            raise InvalidInput("a transform must be callable", code="invalid_transform")
        with _registry_lock:
            if name in _registry:
                raise Conflict(
                    "a transform with this name exists", code="transform_exists", name=name
                )
            _registry[name] = Transform(name, f, frozen_types)
        return f

    return decorator if func is None else decorator(func)


def unregister_transform(name: str) -> None:
    """Remove a custom transform; built-in transforms cannot be removed."""
    if name in BUILTIN_TRANSFORMS:
        raise InvalidInput("built-in transforms cannot be removed", code="builtin_transform")
    with _registry_lock:
        if _registry.pop(name, None) is None:
            raise InvalidInput("unknown transform", code="unknown_transform", name=name)


def apply_transform(name: str, value: str, *, field_type: str) -> str:
    """Run a transform on a value of ``field_type``; never raises on the value, never returns it.

    Raises ``InvalidInput`` for an unknown transform or field type, or a transform that does not
    apply to the type. Anything going wrong with the value itself yields ``[REDACTED]``.
    """
    check_field_type(field_type)
    transform = _registry.get(name)
    if transform is None:
        raise InvalidInput("unknown transform", code="unknown_transform", name=name)
    if not transform.applies_to(field_type):
        raise InvalidInput(
            "transform does not apply to this field type",
            code="transform_not_applicable",
            name=name,
            field_type=field_type,
        )
    if not isinstance(value, str):
        return REDACTED
    try:
        output = transform.func(value)
    except Exception:  # a failing transform must show nothing, never crash a read
        return REDACTED
    # A "mask" equal to the value is the value: custom transforms get no way to leak it whole.
    if not isinstance(output, str) or (value.strip() and output.strip() == value.strip()):
        return REDACTED
    return output
