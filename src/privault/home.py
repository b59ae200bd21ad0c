"""The home directory: ``privault.yaml``, ``keys/`` and (by default) ``privault.db``."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from privault.audit import remember_datamap
from privault.config import Settings
from privault.crypto import KeyStore, root_key_path
from privault.datamap import load_datamap, starter_datamap_text
from privault.db import Database, current_revision, upgrade
from privault.errors import Conflict


@dataclass(frozen=True)
class InitResult:
    """What ``init_home`` created."""

    wrote_datamap: bool
    created_keys: bool
    migrated_from: str | None
    migrated_to: str | None


def is_initialised(settings: Settings) -> bool:
    """Whether the home already has keys."""
    return root_key_path(settings.keys_dir).exists()


def init_home(settings: Settings, *, exist_ok: bool = False) -> InitResult:
    """Create the home: a starter data map (unless one exists), keys, and the database schema.

    Never overwrites keys: an initialised home raises ``Conflict`` unless ``exist_ok``, in
    which case only the database is brought up to date.
    """
    home = settings.home
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    wrote_datamap = False
    if not settings.datamap_path.exists():
        settings.datamap_path.write_text(starter_datamap_text(), encoding="utf-8")
        os.chmod(settings.datamap_path, 0o600)
        wrote_datamap = True
    datamap = load_datamap(settings.datamap_path)
    created_keys = False
    if is_initialised(settings):
        if not exist_ok:
            raise Conflict(
                f"{home} is already initialised; refusing to overwrite its keys",
                code="already_initialised",
            )
        keys = KeyStore.open(settings.keys_dir, settings.keys)
        keys.create_audit_signing_key()
        for region in datamap.regions:
            if not (settings.keys_dir / f"master-{region}.json").exists():
                keys.masters.add_region(region)
    else:
        KeyStore.create(settings.keys_dir, list(datamap.regions), settings.keys)
        created_keys = True
    database = Database(settings.database_url, echo=settings.database.echo)
    try:
        before = current_revision(database.engine)
        upgrade(database.engine)
        after = current_revision(database.engine)
        with database.session() as db_session:
            remember_datamap(
                db_session=db_session,
                datamap_hash=hashlib.sha256(settings.datamap_path.read_bytes()).hexdigest(),
            )
    finally:
        database.dispose()
    return InitResult(wrote_datamap, created_keys, before, after)
