"""Reads on behalf of a principal: every field in the view the policy grants, nothing more.

The rules (``policy.rules``) decide from the data map; this module adds what needs the
database: the record's region, the customer's restriction and consent. Fields the caller may
not see are never decrypted. Checks run in an order that reveals nothing to a caller without
the purpose: purpose first (403), then the record (404), then the customer's state (403).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from privault.consent import consented_purposes, has_objected, is_restricted
from privault.datamap import DataMap, LegalBasis, View
from privault.errors import InvalidInput, NotFound, PermissionDenied, PrivaultError
from privault.policy.rules import (
    Principal,
    check_consent,
    check_not_restricted,
    check_purpose,
    check_region,
    consent_required,
    decide_field,
    decide_record,
    render,
)
from privault.vault import RecordService, TokenMatch

__all__ = [
    "DetokenizeResult",
    "RecordView",
    "SearchMatch",
    "detokenize",
    "read_record",
    "search",
]

MAX_TOKENS: Final = 1000


@dataclass(frozen=True)
class RecordView:
    """A record as one principal may see it for one purpose."""

    id: str
    collection: str
    subject_id: str
    region: str
    version: int
    created_at: datetime
    updated_at: datetime
    fields: dict[str, str]
    views: dict[str, str]
    withheld: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DetokenizeResult:
    """What one token gave: the field in its granted view, or an error code (never both)."""

    token: str
    collection: str | None = None
    field: str | None = None
    record_id: str | None = None
    view: str | None = None
    value: str | None = None
    error: str | None = None
    # The customer whose data was read (for the audit log; not sent to the caller).
    subject_id: str | None = None


@dataclass(frozen=True)
class SearchMatch:
    """A record found by a blind index: its id, customer and the field's token."""

    record_id: str
    subject_id: str
    token: str


class _CustomerChecks:
    """Restriction and consent per customer, looked up once per request."""

    def __init__(self, db_session: Session, datamap: DataMap, purpose: str) -> None:
        self._db_session = db_session
        self._datamap = datamap
        self._purpose = purpose
        self._needs_consent = consent_required(datamap, purpose)
        # A withdrawal recorded for a purpose on legitimate interest is an objection (Art. 21).
        self._objectable = datamap.purposes[purpose].basis is LegalBasis.LEGITIMATE_INTEREST
        self._refusals: dict[str, PermissionDenied | None] = {}

    def check(self, principal: Principal, subject_id: str, region: str) -> None:
        """Raise PermissionDenied when the customer may not be read for the purpose."""
        check_region(principal, region)
        if subject_id not in self._refusals:
            self._refusals[subject_id] = self._refusal(principal, subject_id)
        refusal = self._refusals[subject_id]
        if refusal is not None:
            raise refusal

    def _refusal(self, principal: Principal, subject_id: str) -> PermissionDenied | None:
        try:
            check_not_restricted(
                principal, is_restricted(db_session=self._db_session, subject_id=subject_id)
            )
            if self._needs_consent:
                consented = self._purpose in consented_purposes(
                    db_session=self._db_session, subject_id=subject_id, purposes=[self._purpose]
                )
                check_consent(self._datamap, self._purpose, consented=consented)
            if self._objectable and has_objected(
                db_session=self._db_session, subject_id=subject_id, purpose=self._purpose
            ):
                raise PermissionDenied(
                    "the customer objected to processing for this purpose",
                    code="objection_recorded",
                    purpose=self._purpose,
                )
        except PermissionDenied as exc:
            return exc
        return None


def _field_type(datamap: DataMap, collection: str, name: str) -> str:
    return str(datamap.collections[collection].fields[name].type)


def read_record(
    *,
    db_session: Session,
    records: RecordService,
    principal: Principal,
    purpose: str | None,
    collection: str,
    record_id: str,
    fields: Sequence[str] | None = None,
) -> RecordView:
    """Read a record as ``principal`` may see it for ``purpose``.

    ``fields`` narrows the answer; naming a field the caller may not see is refused. Without
    it, fields the caller may not see are left out and named in ``withheld``.
    """
    datamap = records.datamap
    granted_purpose = check_purpose(datamap, principal, purpose)
    declared = datamap.collections.get(collection)
    if declared is None:
        raise NotFound(
            f"collection '{collection}' is not in the data map", code="unknown_collection"
        )
    decisions = decide_record(
        datamap,
        principal,
        purpose=granted_purpose,
        collection=collection,
        fields=declared.fields if fields is None else fields,
    )
    if fields is not None:
        refused = sorted(name for name, decision in decisions.items() if not decision.allowed)
        if refused:
            raise PermissionDenied(
                f"field(s) not granted for this purpose: {', '.join(refused)}",
                code="field_not_granted",
                fields=refused,
            )
    views = {
        name: decision.view
        for name, decision in decisions.items()
        if decision.view is not None and decision.view is not View.DENIED
    }
    if not views:
        raise PermissionDenied(
            "no field of this collection is granted to this API key for this purpose",
            code="field_not_granted",
        )
    record = records.get(
        db_session=db_session, collection=collection, record_id=record_id, only=views
    )
    _CustomerChecks(db_session, datamap, granted_purpose).check(
        principal, record.subject_id, record.region
    )
    token_fields = [name for name, view in views.items() if view is View.TOKEN]
    tokens = records.tokens_of(record, token_fields) if token_fields else {}
    shown: dict[str, str] = {}
    shown_views: dict[str, str] = {}
    for name, value in record.values.items():
        view = views[name]
        shown[name] = render(
            view, value, field_type=_field_type(datamap, collection, name), token=tokens.get(name)
        )
        shown_views[name] = str(view)
    return RecordView(
        id=record.id,
        collection=record.collection,
        subject_id=record.subject_id,
        region=record.region,
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        fields=shown,
        views=shown_views,
        withheld=[name for name in record.held if name not in views],
    )


def _detokenize_one(
    *,
    db_session: Session,
    records: RecordService,
    principal: Principal,
    purpose: str,
    checks: _CustomerChecks,
    token: str,
) -> DetokenizeResult:
    matches = records.resolve_token(db_session=db_session, token=token)
    if not matches:
        return DetokenizeResult(token=token, error="not_found")
    first: TokenMatch = matches[0]
    decision = decide_field(
        records.datamap,
        principal,
        purpose=purpose,
        collection=first.collection,
        field=first.field,
    )
    if decision.view is None or decision.view is View.DENIED:
        return DetokenizeResult(token=token, error="field_not_granted")
    refusal: PrivaultError | None = None
    for match in matches:
        try:
            checks.check(principal, match.subject_id, match.region)
        except PermissionDenied as exc:
            refusal = refusal or exc
            continue
        value = records.field_value(db_session=db_session, match=match)
        if value is None:
            continue  # deleted since it was resolved
        shown = render(
            decision.view,
            value,
            field_type=_field_type(records.datamap, match.collection, match.field),
            token=token,
        )
        return DetokenizeResult(
            token=token,
            collection=match.collection,
            field=match.field,
            record_id=match.record_id,
            view=str(decision.view),
            value=shown,
            subject_id=match.subject_id,
        )
    return DetokenizeResult(token=token, error=refusal.code if refusal else "not_found")


def detokenize(
    *,
    db_session: Session,
    records: RecordService,
    principal: Principal,
    purpose: str | None,
    tokens: Sequence[str],
) -> list[DetokenizeResult]:
    """The value behind each token, in the view the policy grants its field, in order.

    A token that is unknown, forged, deleted or erased, or whose field, customer or region the
    caller may not read, gives an error code instead; the request as a whole fails only when
    the purpose itself is not granted.
    """
    granted_purpose = check_purpose(records.datamap, principal, purpose)
    if not 1 <= len(tokens) <= MAX_TOKENS:
        raise InvalidInput(f"send 1 to {MAX_TOKENS} tokens", code="invalid_batch")
    checks = _CustomerChecks(db_session, records.datamap, granted_purpose)
    return [
        _detokenize_one(
            db_session=db_session,
            records=records,
            principal=principal,
            purpose=granted_purpose,
            checks=checks,
            token=token,
        )
        for token in tokens
    ]


def search(
    *,
    db_session: Session,
    records: RecordService,
    principal: Principal,
    purpose: str | None,
    collection: str,
    field: str,
    value: object,
) -> list[SearchMatch]:
    """Records whose ``field`` equals ``value``, by blind index: ids and tokens, never values.

    The field must be granted to the caller for the purpose in some view; customers the caller
    may not read for the purpose (restricted, no consent, another region) are left out, so a
    search reveals nothing about them.
    """
    datamap = records.datamap
    granted_purpose = check_purpose(datamap, principal, purpose)
    if collection not in datamap.collections:
        raise NotFound(
            f"collection '{collection}' is not in the data map", code="unknown_collection"
        )
    decision = decide_field(
        datamap, principal, purpose=granted_purpose, collection=collection, field=field
    )
    if decision.view is None or decision.view is View.DENIED:
        raise PermissionDenied(
            "the field is not granted to this API key for this purpose",
            code="field_not_granted",
            fields=[field] if field in datamap.collections[collection].fields else [],
        )
    checks = _CustomerChecks(db_session, datamap, granted_purpose)
    found: list[SearchMatch] = []
    for match in records.search(
        db_session=db_session, collection=collection, field=field, value=value
    ):
        try:
            checks.check(principal, match.subject_id, match.region)
        except PermissionDenied:
            continue
        found.append(SearchMatch(match.record_id, match.subject_id, match.token))
    return found
