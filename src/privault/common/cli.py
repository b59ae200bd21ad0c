"""Helpers every domain's CLI commands share: settings from the context, consoles, progress."""

from __future__ import annotations

import getpass
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from privault.config import Settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The Settings the root command built (``--home`` applied)."""
    obj: Any = ctx.find_root().obj
    if not isinstance(obj, Settings):
        raise RuntimeError("privault CLI context has no settings")
    return obj


def byte_progress() -> Progress:
    """A progress bar over bytes (imports), on stderr so stdout stays clean for data."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def count_progress() -> Progress:
    """A progress bar over items (rotation, verification), on stderr."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


def operator_actor() -> str:
    """How the audit log names a person running the CLI: ``operator:<login>``."""
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (containers without a passwd entry)
        return "operator:unknown"
