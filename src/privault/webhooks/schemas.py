"""What the API shows of outgoing webhook deliveries."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class WebhookDeliveryRead(BaseModel):
    """One event on its way to one endpoint."""

    id: str = Field(description="Delivery id.", examples=["whd_018f3a2b4c5d9e8f7a6b5c4d3e2f1a0b"])
    event_id: str = Field(description="The event (sent as Privault-Event-Id).")
    type: str = Field(description="Event type.", examples=["erasure.completed"])
    endpoint: str = Field(description="Configured endpoint name.", examples=["crm"])
    state: str = Field(description="pending, failed (retried later), delivered or dead.")
    attempts: int = Field(description="Attempts made so far.")
    created_at: datetime = Field(description="When the delivery was queued.")
    next_attempt_at: datetime = Field(description="When it is tried next (pending, failed).")
    delivered_at: datetime | None = Field(description="When the endpoint answered 2xx.")
    last_status: int | None = Field(description="HTTP status of the last attempt.")
    last_error: str | None = Field(
        description="The last failure: `HTTP <status>` or the error's kind; never a body."
    )
