"""What the API-key domain gives back (pydantic); the secret's hash is never part of it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ApiKeyRead(BaseModel):
    """An API key as callers and operators see it: its scope and lifecycle, never its secret."""

    model_config = ConfigDict(
        from_attributes=True,
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f9c2a7b1d04",
                    "name": "checkout service",
                    "role": "fulfillment",
                    "purposes": ["order_fulfillment"],
                    "regions": ["eu"],
                    "created_at": "2024-05-17T09:30:00Z",
                    "last_used_at": None,
                    "revoked_at": None,
                }
            ]
        },
    )

    id: str = Field(
        description="The key id: the 12 hex digits after `pvk_`.", examples=["3f9c2a7b1d04"]
    )
    name: str | None = Field(
        description="An operator's label for the key.", examples=["checkout service"]
    )
    role: str = Field(description="The data-map role the key acts as.", examples=["fulfillment"])
    purposes: list[str] | None = Field(
        description="Purposes the key may declare; null means all of the role's purposes.",
        examples=[["order_fulfillment"]],
    )
    regions: list[str] | None = Field(
        description="Regions whose records the key may reach; null means every region.",
        examples=[["eu"]],
    )
    created_at: datetime = Field(description="When the key was created (UTC).")
    last_used_at: datetime | None = Field(
        description="When the key last authenticated (UTC), to within a minute; null if never."
    )
    revoked_at: datetime | None = Field(
        description="When the key was revoked (UTC); null while it is active."
    )

    @property
    def active(self) -> bool:
        """Whether the key has not been revoked."""
        return self.revoked_at is None

    def allows_purpose(self, purpose: str) -> bool:
        """Whether the key's scope includes ``purpose`` (the role's grant is checked apart)."""
        return self.purposes is None or purpose in self.purposes

    def allows_region(self, region: str) -> bool:
        """Whether the key's scope includes ``region``."""
        return self.regions is None or region in self.regions


class CreatedApiKey(BaseModel):
    """A new API key: the plaintext key, shown once and never stored, and its record."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(
        repr=False,
        description="The full key, `pvk_<id>_<secret>`; shown once, only its hash is stored.",
    )
    record: ApiKeyRead = Field(description="The stored key's scope and lifecycle.")
