"""privault: customer-data privacy and security platform for online shops."""

from __future__ import annotations

__version__ = "0.1.0"
