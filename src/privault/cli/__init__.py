"""The ``privault`` command."""

from __future__ import annotations

from privault.cli.main import app, main

__all__ = ["app", "main"]
