"""Fixtures for the inventory tests: a real PostgreSQL server beside the SQLite files.

``pg_server`` starts one server for the session (tests/inventory/pgserver.py); ``store_target``
is a fresh inventory on each backend, so store tests run against both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inventory.pgserver import PgServer, find_bindir

BACKENDS = ("sqlite", "postgresql")
_MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) are not installed: Debian package "
    "'postgresql' (scripts/bootstrap.sh installs it)"
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(_MISSING)
    server = PgServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A new, empty PostgreSQL database (the superuser's URL)."""
    return pg_server.new_database()


@pytest.fixture(params=BACKENDS)
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a fresh inventory lives: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "inv.sqlite3"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()
