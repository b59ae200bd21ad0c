"""``/v1/requests``: data-subject requests; ``/.well-known/gpc.json`` and GPC opt-out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from privault.api.deps import PrincipalDep, SessionDep, VaultDep
from privault.api.errors import problem
from privault.api.routes.auth import client_address
from privault.consent import ORIGIN_KEY_LABEL, origin_pseudonym
from privault.errors import Conflict, InvalidInput, PermissionDenied
from privault.policy import Principal
from privault.rights import (
    CODE_HASH_LABEL,
    CodeCheck,
    CodeSender,
    CodeSent,
    DeadlineRead,
    GpcPolicy,
    GpcResult,
    ReasonBody,
    RequestEventRead,
    RequestState,
    RequestType,
    RightsRequest,
    RightsRequestCreate,
    RightsRequestDetail,
    RightsRequestRead,
    VerifyBody,
    apply_gpc,
    approve,
    check_code,
    confirm_receipt,
    deny,
    extend,
    get_request,
    gpc_signal,
    list_requests,
    open_request,
    overdue,
    request_history,
    send_code,
    verify_identity,
)
from privault.rights.fulfil import (
    MEDIA_TYPES,
    PACKAGE_KEY_LABEL,
    Completion,
    CompletionBody,
    CompletionRead,
    DownloadLinkRead,
    FieldChange,
    Fulfiller,
    PackageFormat,
    certificate_of,
    complete_request,
    download_package,
    issue_link,
)
from privault.vault import Vault

router = APIRouter(tags=["privacy rights"])

RequestId = Annotated[
    str,
    Path(
        pattern=r"^dsr_[0-9a-f]{32}$",
        description="Id of the request.",
        examples=["dsr_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"],
    ),
]
SubjectId = Annotated[
    str,
    Path(min_length=1, max_length=255, description="The shop's customer id.", examples=["C-1001"]),
]
_CODE_STATUS = {
    CodeCheck.WRONG: 403,
    CodeCheck.EXPIRED: 403,
    CodeCheck.EXHAUSTED: 403,
    CodeCheck.NO_CODE: 409,
}
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "The key's role may not handle data-subject requests."}
}


def _role_purposes(vault: Vault, principal: Principal) -> frozenset[str]:
    role = vault.datamap.roles.get(principal.role)
    purposes = frozenset(role.purposes) if role is not None else frozenset()
    return purposes if principal.purposes is None else purposes & principal.purposes


def _handler(vault: Vault, principal: Principal) -> None:
    """Requests are handled by roles serving the configured purpose (default privacy_requests)."""
    if vault.settings.rights.handler_purpose not in _role_purposes(vault, principal):
        raise PermissionDenied(
            "this API key's role may not handle data-subject requests", code="not_rights_handler"
        )


def _writer(vault: Vault, principal: Principal) -> bool:
    role = vault.datamap.roles.get(principal.role)
    return role is not None and bool(role.write)


def _read(request: RightsRequest) -> RightsRequestRead:
    return RightsRequestRead.model_validate(request, from_attributes=True)


def _step(
    step: Callable[..., RightsRequest],
    *,
    vault: Vault,
    db_session: Session,
    principal: Principal,
    request_id: str,
    **extra: str,
) -> RightsRequestRead:
    """A handler's step on a request, now, as the calling key."""
    _handler(vault, principal)
    moved = step(db_session=db_session, audit=vault.audit, request_id=request_id,
                 at=vault.records.clock.now(), actor=principal.key_id, **extra)  # fmt: skip
    return _read(moved)


@router.post(
    "/v1/requests",
    status_code=201,
    summary="Open a data-subject request",
    responses={200: {"description": "The customer already has this request open."}, **_FORBIDDEN},
)
def create(
    body: RightsRequestCreate,
    response: Response,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> RightsRequestRead:
    """Open a request (201), or return the customer's open request of that type (200)."""
    if not _writer(vault, principal):
        _handler(vault, principal)
    opened = open_request(
        db_session=db_session,
        audit=vault.audit,
        subject_id=body.subject_id,
        request_type=body.type,
        regime=body.regime or vault.settings.rights.default_regime,
        at=vault.records.clock.now(),
        actor=principal.key_id,
    )
    if not opened.created:
        response.status_code = 200
    return _read(opened.request)


@router.get("/v1/requests", summary="List data-subject requests", responses=_FORBIDDEN)
def list_(
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[RequestState | None, Query(description="Only this state.")] = None,
    request_type: Annotated[
        RequestType | None, Query(alias="type", description="Only this type.")
    ] = None,
    subject_id: Annotated[
        str | None, Query(min_length=1, max_length=255, description="Only this customer.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    after: Annotated[
        str | None, Query(max_length=40, description="Id of the last request of the page before.")
    ] = None,
) -> list[RightsRequestRead]:
    """Requests, oldest first; page with ``after``."""
    _handler(vault, principal)
    found = list_requests(
        db_session=db_session,
        state=state,
        request_type=request_type,
        subject_id=subject_id,
        limit=limit,
        after=after,
    )
    return [_read(item) for item in found]


@router.get(
    "/v1/requests/overdue", summary="Requests past or near a deadline", responses=_FORBIDDEN
)
def list_overdue(
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    within_days: Annotated[
        int | None,
        Query(ge=0, le=365, description="Also those due within this many days (default: 7)."),
    ] = None,
) -> list[DeadlineRead]:
    """Open requests whose answer or receipt confirmation is past due or due soon."""
    _handler(vault, principal)
    days = vault.settings.rights.near_deadline_days if within_days is None else within_days
    items = overdue(
        db_session=db_session, now=vault.records.clock.now(), within=timedelta(days=days)
    )
    return [
        DeadlineRead(
            request=_read(item.request),
            deadline=item.deadline,
            due_at=item.due_at,
            overdue=item.overdue,
        )
        for item in items
    ]


@router.get("/v1/requests/{request_id}", summary="A request and its history", responses=_FORBIDDEN)
def show(
    request_id: RequestId, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> RightsRequestDetail:
    """The request, its deadlines and every step taken."""
    _handler(vault, principal)
    request = get_request(db_session=db_session, request_id=request_id)
    events = request_history(db_session=db_session, request_id=request.id)
    return RightsRequestDetail(
        **_read(request).model_dump(),
        events=[RequestEventRead.model_validate(event) for event in events],
    )


@router.post(
    "/v1/requests/{request_id}/code",
    status_code=202,
    summary="Send a one-time code",
    responses={409: {"description": "No delivery channel for codes is configured."}},
)
def send(
    request_id: RequestId,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> CodeSent:
    """Send the customer a one-time code that verifies their identity for this request."""
    if not _writer(vault, principal):
        _handler(vault, principal)
    sender: CodeSender | None = getattr(request.app.state, "rights_code_sender", None)
    if sender is None:
        # A configuration state, not an outage: 409, so clients do not retry.
        raise Conflict(
            "no delivery channel for one-time codes is configured",
            code="code_delivery_unavailable",
        )
    expires_at = send_code(
        db_session=db_session,
        audit=vault.audit,
        sender=sender,
        hash_key=vault.keys.derived.derive(CODE_HASH_LABEL),
        settings=vault.settings.rights,
        request_id=request_id,
        at=vault.records.clock.now(),
        actor=principal.key_id,
    )
    return CodeSent(expires_at=expires_at)


@router.post(
    "/v1/requests/{request_id}/verify",
    response_model=RightsRequestRead,
    summary="Verify the customer's identity",
    responses={403: {"description": "Wrong, expired or used-up code."}},
)
def verify(
    request_id: RequestId,
    body: VerifyBody,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> RightsRequestRead | JSONResponse:
    """Verify by the one-time code, or by the customer's signed-in session (``session: true``)."""
    if not _writer(vault, principal):
        _handler(vault, principal)
    now = vault.records.clock.now()
    if (body.code is None) == (not body.session):
        raise InvalidInput("give either a code or session: true", code="one_proof")
    if body.session:
        verified = verify_identity(
            db_session=db_session,
            audit=vault.audit,
            method="session",
            request_id=request_id,
            at=now,
            actor=principal.key_id,
        )
        return _read(verified)
    result = check_code(
        db_session=db_session,
        audit=vault.audit,
        hash_key=vault.keys.derived.derive(CODE_HASH_LABEL),
        settings=vault.settings.rights,
        request_id=request_id,
        code=body.code or "",
        at=now,
        actor=principal.key_id,
    )
    if result is not CodeCheck.VERIFIED:
        # An answer, not an exception: the spent attempt is committed with the request.
        return problem(
            _CODE_STATUS[result],
            detail=f"the code was not accepted ({result.value})",
            code=f"code_{result.value}",
            instance=request.url.path,
        )
    return _read(get_request(db_session=db_session, request_id=request_id))


@router.post("/v1/requests/{request_id}/approve", summary="Start work", responses=_FORBIDDEN)
def approve_(
    request_id: RequestId, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> RightsRequestRead:
    """Move a verified request (or an opt-out) to in progress."""
    return _step(approve, vault=vault, db_session=db_session, principal=principal,
                 request_id=request_id)  # fmt: skip


@router.post("/v1/requests/{request_id}/deny", summary="Deny", responses=_FORBIDDEN)
def deny_(
    request_id: RequestId,
    body: ReasonBody,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> RightsRequestRead:
    """Deny the request with the reason the customer will be given."""
    return _step(deny, vault=vault, db_session=db_session, principal=principal,
                 request_id=request_id, reason=body.reason)  # fmt: skip


@router.post(
    "/v1/requests/{request_id}/extend", summary="Extend the deadline", responses=_FORBIDDEN
)
def extend_(
    request_id: RequestId,
    body: ReasonBody,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> RightsRequestRead:
    """Extend once (GDPR +2 months, CCPA +45 days) within the first period, with a reason."""
    return _step(extend, vault=vault, db_session=db_session, principal=principal,
                 request_id=request_id, reason=body.reason)  # fmt: skip


@router.post("/v1/requests/{request_id}/confirm", summary="Receipt confirmed", responses=_FORBIDDEN)
def confirm(
    request_id: RequestId, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> RightsRequestRead:
    """Record that receipt was confirmed to the customer (CCPA: within 10 business days)."""
    return _step(confirm_receipt, vault=vault, db_session=db_session, principal=principal,
                 request_id=request_id)  # fmt: skip


@router.post(
    "/v1/requests/{request_id}/complete",
    summary="Complete and fulfil",
    responses={**_FORBIDDEN, 404: {"description": "No such request, or record to rectify."}},
)
def complete_(
    request_id: RequestId,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    body: CompletionBody | None = None,
) -> CompletionRead:
    """Complete the request and do what it asks, all or nothing: access/portability build the
    package (a single-use link is returned), erasure crypto-shreds and returns the signed
    certificate, rectification applies ``changes``, restriction restricts processing,
    objection and opt-out withdraw ``purposes``."""
    _handler(vault, principal)
    given = body or CompletionBody()
    done = complete_request(
        db_session=db_session,
        fulfiller=Fulfiller.of(vault),
        request_id=request_id,
        at=vault.records.clock.now(),
        actor=principal.key_id,
        changes=None
        if given.changes is None
        else [FieldChange(c.collection, c.record_id, c.values) for c in given.changes],
        purposes=given.purposes,
        source="api",
    )
    return _completion(done)


def _completion(done: Completion) -> CompletionRead:
    link = done.link
    return CompletionRead(
        **_read(done.request).model_dump(),
        download=None
        if link is None
        else DownloadLinkRead(token=link.token, url=link.path, expires_at=link.expires_at),
        certificate=done.certificate,
        done=done.done,
    )


@router.post(
    "/v1/requests/{request_id}/package/links",
    status_code=201,
    summary="A new download link",
    responses={**_FORBIDDEN, 409: {"description": "The request has no package."}},
)
def new_link(
    request_id: RequestId, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> DownloadLinkRead:
    """Issue another single-use link to the package of a completed access request."""
    _handler(vault, principal)
    link = issue_link(
        db_session=db_session,
        audit=vault.audit,
        request_id=request_id,
        at=vault.records.clock.now(),
        actor=principal.key_id,
    )
    return DownloadLinkRead(token=link.token, url=link.path, expires_at=link.expires_at)


@router.get(
    "/v1/requests/{request_id}/package",
    summary="Download the access package",
    response_class=Response,
    responses={
        200: {
            "description": "The package: JSON (see docs/access-package.schema.json), CSV or HTML.",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        403: {"description": "The link was used already or has expired."},
        404: {"description": "No such link for this request."},
    },
)
def package(
    request_id: RequestId,
    vault: VaultDep,
    db_session: SessionDep,
    token: Annotated[
        str, Query(min_length=1, max_length=64, description="The link's single-use token.")
    ],
    format_: Annotated[
        PackageFormat, Query(alias="format", description="json, csv or html.")
    ] = "json",
) -> Response:
    """The customer's package; the token is the credential and works once, until it expires."""
    download = download_package(
        db_session=db_session,
        audit=vault.audit,
        package_key=vault.keys.derived.derive(PACKAGE_KEY_LABEL),
        request_id=request_id,
        token=token,
        fmt=format_,
        at=vault.records.clock.now(),
    )
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        # The page has no script and loads nothing; inline styles only.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "Content-Disposition": ("inline" if format_ == "html" else "attachment")
        + f'; filename="{download.filename}"',
    }
    return Response(download.content, media_type=download.media_type, headers=headers)


@router.get(
    "/v1/requests/{request_id}/certificate",
    summary="The erasure certificate",
    responses={**_FORBIDDEN, 404: {"description": "No erasure certificate for this request."}},
)
def certificate(
    request_id: RequestId, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The signed erasure certificate, with the audit inclusion proof once checkpointed."""
    _handler(vault, principal)
    return certificate_of(db_session=db_session, audit=vault.audit, request_id=request_id)


@router.get("/.well-known/gpc.json", summary="GPC support", tags=["privacy rights"])
def gpc_policy(vault: VaultDep) -> GpcPolicy:
    """Declares that this site honours Global Privacy Control signals."""
    return GpcPolicy(gpc=True, lastUpdate=vault.settings.rights.gpc_last_update.isoformat())


@router.post(
    "/v1/subjects/{subject_id}/gpc",
    summary="Apply a GPC signal",
    responses={403: {"description": "The key's role may not record consent."}},
)
def gpc(
    subject_id: SubjectId,
    request: Request,
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
) -> GpcResult:
    """Forward the customer's request headers: ``Sec-GPC: 1`` opts them out of sale and sharing."""
    if not _writer(vault, principal):
        raise PermissionDenied("this API key's role may not record consent", code="not_writer")
    purposes = apply_gpc(
        db_session=db_session,
        audit=vault.audit,
        datamap=vault.datamap,
        subject_id=subject_id,
        headers=request.headers.items(),
        at=vault.records.clock.now(),
        actor=principal.key_id,
        origin=origin_pseudonym(
            vault.keys.derived.derive(ORIGIN_KEY_LABEL), client_address(request, vault)
        ),
    )
    return GpcResult(signal=gpc_signal(request.headers.items()), opted_out=purposes)
