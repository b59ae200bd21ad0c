"""A fresh home per test without re-running init: SQLite homes are copied from a template.

Generating keys and running every migration is most of a test's set-up; a copy of a home
made once per session is the same home. PostgreSQL homes are still built per test (their
schema lives in the server).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from privault.config import Settings
from privault.home import init_home


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised home with its SQLite database, made once."""
    base = tmp_path_factory.mktemp("template")
    init_home(Settings(home=base / "home", database={"url": f"sqlite:///{base / 'privault.db'}"}))
    return base


def fresh_home(database_url: str, tmp_path: Path, template: Path) -> Settings:
    """Settings for a new, initialised home on ``database_url``."""
    home = tmp_path / "home"
    if not database_url.startswith("sqlite:///"):
        configured = Settings(home=home, database={"url": database_url})
        init_home(configured)
        return configured
    shutil.copytree(template / "home", home)
    target = Path(database_url.removeprefix("sqlite:///"))
    for source in template.glob("privault.db*"):
        shutil.copyfile(source, target.with_name(target.name + source.name[len("privault.db") :]))
    return Settings(home=home, database={"url": database_url})
