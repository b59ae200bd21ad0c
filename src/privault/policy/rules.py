"""Access decisions: who (role and API key) may see which field, for which purpose, in which view.

Pure rules over the data map, no session and no I/O. Everything not granted is denied: an
undeclared role, purpose, collection or field, a purpose the role or the key does not hold, a
field not used for the purpose, or a role without a view of the field. Reasons are short codes
that name no value, so a decision can go to the audit log as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from privault.datamap import DataMap, LegalBasis, View
from privault.errors import InvalidInput, PermissionDenied
from privault.vault.masking import apply_transform, default_mask_for

__all__ = [
    "FieldDecision",
    "Principal",
    "check_consent",
    "check_not_restricted",
    "check_purpose",
    "check_region",
    "check_write",
    "consent_required",
    "decide_field",
    "decide_record",
    "render",
]

GRANTED = "granted"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an API key, the role it is bound to and the limits set on the key."""

    key_id: str
    role: str
    purposes: frozenset[str] | None = None  # None: every purpose of the role
    regions: frozenset[str] | None = None  # None: every region
    # Only the data-subject request workflow may read customers whose processing is restricted.
    rights_workflow: bool = False


@dataclass(frozen=True)
class FieldDecision:
    """The view a principal gets of one field, or None when denied, with the reason as a code."""

    collection: str
    field: str
    view: View | None
    reason: str

    @property
    def allowed(self) -> bool:
        """Whether the field may be shown in any form."""
        return self.view is not None


def _purpose_refusal(datamap: DataMap, principal: Principal, purpose: object) -> str | None:
    """The code refusing ``purpose`` to ``principal``, or None when it is granted."""
    if purpose is None or purpose == "":
        return "purpose_required"
    if not isinstance(purpose, str) or purpose not in datamap.purposes:
        return "unknown_purpose"
    role = datamap.roles.get(principal.role)
    if role is None or purpose not in role.purposes:
        return "purpose_not_granted"
    if principal.purposes is not None and purpose not in principal.purposes:
        return "purpose_not_granted"
    return None


_PURPOSE_MESSAGES = {
    "purpose_required": "declare the purpose of this read (X-Privault-Purpose)",
    "unknown_purpose": "the purpose is not declared in the data map",
    "purpose_not_granted": "the purpose is not granted to this API key",
}


def check_purpose(datamap: DataMap, principal: Principal, purpose: str | None) -> str:
    """Return ``purpose`` when the principal's role and key hold it; raise PermissionDenied."""
    refusal = _purpose_refusal(datamap, principal, purpose)
    if refusal is None and purpose is not None:
        return purpose
    refusal = refusal or "purpose_required"
    # Only a declared purpose is echoed: the header is caller input of any length.
    context = {"purpose": purpose} if refusal == "purpose_not_granted" else {}
    raise PermissionDenied(_PURPOSE_MESSAGES[refusal], code=refusal, role=principal.role, **context)


def decide_field(
    datamap: DataMap,
    principal: Principal,
    *,
    purpose: str | None,
    collection: str,
    field: str,
) -> FieldDecision:
    """Decide the view ``principal`` gets of ``collection.field`` for ``purpose``, or deny."""
    reason = _field_refusal(datamap, principal, purpose, collection, field)
    view = None if reason else datamap.view_for(principal.role, collection, field)
    if view is None:
        return FieldDecision(collection, field, None, reason or "no_view")
    return FieldDecision(collection, field, view, GRANTED)


def _field_refusal(
    datamap: DataMap, principal: Principal, purpose: str | None, collection: str, field: str
) -> str | None:
    """The code refusing the field before its view is looked at, or None."""
    if principal.role not in datamap.roles:
        return "unknown_role"
    refusal = _purpose_refusal(datamap, principal, purpose)
    if refusal is not None:
        return refusal
    declared = datamap.collections.get(collection)
    if declared is None:
        return "unknown_collection"
    spec = declared.fields.get(field)
    if spec is None:
        return "unknown_field"
    if purpose not in spec.purposes:
        return "purpose_not_allowed_for_field"
    return None


def decide_record(
    datamap: DataMap,
    principal: Principal,
    *,
    purpose: str | None,
    collection: str,
    fields: Iterable[str],
) -> dict[str, FieldDecision]:
    """Decide every field of a record, in the order given (a field named twice is decided once)."""
    return {
        field: decide_field(datamap, principal, purpose=purpose, collection=collection, field=field)
        for field in dict.fromkeys(fields)
    }


def check_region(principal: Principal, region: str) -> None:
    """Raise PermissionDenied when the key is bound to regions other than ``region``."""
    if principal.regions is not None and region not in principal.regions:
        raise PermissionDenied(
            "this API key is not granted the record's region",
            code="region_not_granted",
            role=principal.role,
        )


def check_write(datamap: DataMap, principal: Principal, collection: str) -> None:
    """Raise PermissionDenied unless the principal's role may write ``collection``."""
    if not datamap.can_write(principal.role, collection):
        raise PermissionDenied(
            "this API key may not store, update or delete records of this collection",
            code="write_not_granted",
            role=principal.role,
        )


def check_not_restricted(principal: Principal, restricted: bool) -> None:
    """Raise PermissionDenied for a restricted customer unless the rights workflow is asking."""
    if restricted and not principal.rights_workflow:
        raise PermissionDenied(
            "processing of this customer's data is restricted",
            code="processing_restricted",
            role=principal.role,
        )


def consent_required(datamap: DataMap, purpose: str) -> bool:
    """Whether ``purpose`` rests on consent; an undeclared purpose raises PermissionDenied."""
    declared = datamap.purposes.get(purpose) if isinstance(purpose, str) else None
    if declared is None:
        raise PermissionDenied(_PURPOSE_MESSAGES["unknown_purpose"], code="unknown_purpose")
    return declared.basis is LegalBasis.CONSENT


def check_consent(datamap: DataMap, purpose: str, *, consented: bool) -> None:
    """Raise PermissionDenied when ``purpose`` rests on consent and the customer has none now."""
    if consent_required(datamap, purpose) and not consented:
        raise PermissionDenied(
            "the customer has no current consent for this purpose",
            code="consent_missing",
            purpose=purpose,
        )


def render(view: View, value: str, *, field_type: str, token: str | None) -> str:
    """Show ``value`` in ``view``: itself, its token, its type's default mask or a transform."""
    if view is View.PLAIN:
        return value
    if view is View.TOKEN:
        if token is None:
            raise InvalidInput("a token view needs the field's token", code="token_missing")
        return token
    if view is View.DENIED:
        raise PermissionDenied("the field is denied", code="field_denied")
    name = default_mask_for(field_type) if view is View.MASKED else str(view)
    return apply_transform(name, value, field_type=field_type)
