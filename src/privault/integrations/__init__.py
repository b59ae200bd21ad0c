"""Integrations with the platforms shops run on: ``privault.integrations.shopify``."""

from __future__ import annotations

__all__: list[str] = []
