"""``/v1/webhooks/deliveries``: the state of outgoing webhook deliveries, and retrying one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from privault.api.deps import PrincipalDep, SessionDep, VaultDep
from privault.errors import PermissionDenied
from privault.policy import Principal
from privault.vault import Vault
from privault.webhooks import (
    DeliveryState,
    WebhookDelivery,
    WebhookDeliveryRead,
    WebhookEvent,
    get_delivery,
    list_deliveries,
    retry,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

DeliveryId = Annotated[
    str,
    Path(
        pattern=r"^whd_[0-9a-f]{32}$",
        description="Id of the delivery.",
        examples=["whd_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"],
    ),
]
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "The key's role may not handle data-subject requests."}
}


def _handler(vault: Vault, principal: Principal) -> None:
    """Deliveries report request steps: roles handling requests may see and retry them."""
    role = vault.datamap.roles.get(principal.role)
    purposes = frozenset(role.purposes) if role is not None else frozenset()
    if principal.purposes is not None:
        purposes &= principal.purposes
    if vault.settings.rights.handler_purpose not in purposes:
        raise PermissionDenied(
            "this API key's role may not handle data-subject requests", code="not_rights_handler"
        )


def _read(delivery: WebhookDelivery, event: WebhookEvent) -> WebhookDeliveryRead:
    return WebhookDeliveryRead(
        id=delivery.id,
        event_id=event.id,
        type=event.type,
        endpoint=delivery.endpoint,
        state=delivery.state,
        attempts=delivery.attempts,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
        last_status=delivery.last_status,
        last_error=delivery.last_error,
    )


@router.get("/deliveries", summary="Outgoing webhook deliveries", responses=_FORBIDDEN)
def deliveries(
    vault: VaultDep,
    db_session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[DeliveryState | None, Query(description="Only this state.")] = None,
    endpoint: Annotated[str | None, Query(max_length=63, description="Only this endpoint.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> list[WebhookDeliveryRead]:
    """Deliveries, newest first: state, attempts, next attempt, last answer."""
    _handler(vault, principal)
    rows = list_deliveries(
        db_session=db_session,
        state=None if state is None else state.value,
        endpoint=endpoint,
        limit=limit,
    )
    return [_read(delivery, event) for delivery, event in rows]


@router.post(
    "/deliveries/{delivery_id}/retry",
    summary="Retry a delivery",
    responses={
        **_FORBIDDEN,
        404: {"description": "No such delivery."},
        409: {"description": "The delivery was delivered already."},
    },
)
def retry_(
    delivery_id: DeliveryId, vault: VaultDep, db_session: SessionDep, principal: PrincipalDep
) -> WebhookDeliveryRead:
    """Send a failed or dead delivery again at the next round, with fresh attempts."""
    _handler(vault, principal)
    retried = retry(
        db_session=db_session,
        audit=vault.audit,
        delivery_id=delivery_id,
        at=vault.records.clock.now(),
        actor=principal.key_id,
    )
    return _read(*get_delivery(db_session=db_session, delivery_id=retried.id))
