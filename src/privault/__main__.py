"""``python -m privault``: the same as the ``privault`` command."""

from __future__ import annotations

from privault.cli.main import main

main()
