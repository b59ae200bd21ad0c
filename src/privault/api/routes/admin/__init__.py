"""``/v1/admin/...``: operators' sensitive operations over HTTP, behind an operator session of
an allowed role that stepped up within ``auth.step_up_s``."""

from __future__ import annotations

from privault.api.routes.admin.routes import router

__all__ = ["router"]
