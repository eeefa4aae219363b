"""A real, throwaway PostgreSQL server for the tests and the benchmark.

Debian's ``postgresql`` package (scripts/bootstrap.sh installs it): ``initdb`` in a temporary
folder, the server listening on a Unix socket in that folder only (``listen_addresses=''``:
no TCP listener at all, so nothing can reach or leave the machine's network).  initdb refuses
to run as root, so as root the server runs as the ``postgres`` account (else ``nobody``).

Roles: ``camaudit_admin`` (the superuser, trusted on the socket: the tests' own setup) and
any role a test makes with a password (scram-sha-256, read from a ``PGPASSFILE``).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ADMIN = "camaudit_admin"
PORT = 5432  # only names the socket file (.s.PGSQL.5432); there is no TCP listener


def find_bindir() -> Path | None:
    """The newest installed server's bin folder (initdb, pg_ctl), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _run_as() -> str | None:
    """The account to run the server as (None: ourselves, when we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root with neither a 'postgres' nor a 'nobody' account")


class PgServer:
    """One running server in its own temporary folder."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable  # False: fsync off (tests); True: the server's defaults (bench)
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="camaudit-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self._names = itertools.count(1)

    def _cmd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            user=self.user,
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
        )

    def start(self) -> PgServer:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        self._cmd("initdb", "-D", str(self.data), "-U", ADMIN, "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        (self.data / "pg_hba.conf").write_text(
            f"local all {ADMIN} trust\nlocal all all scram-sha-256\n", encoding="ascii"
        )
        settings = [
            "listen_addresses = ''",
            f"unix_socket_directories = '{self.socket_dir}'",
            f"port = {PORT}",
            "max_connections = 120",
            "password_encryption = 'scram-sha-256'",
        ]
        if not self.durable:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (self.data / "postgresql.conf").open("a", encoding="ascii") as conf:
            conf.write("\n".join(settings) + "\n")
        self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                  "-t", "60", "start")  # fmt: skip
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already down
            self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str, user: str = ADMIN) -> str:
        return f"postgresql:///{dbname}?host={self.socket_dir}&port={PORT}&user={user}"

    def admin(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def new_database(self, prefix: str = "inv") -> str:
        """A new empty database; its URL (for the superuser)."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def sql(self, dbname: str, *statements: str) -> None:
        with self.admin(dbname) as conn:
            for statement in statements:
                conn.execute(statement)


def dbname_of(url: str) -> str:
    return url.split("///", 1)[1].split("?", 1)[0]


def write_pgpass(path: Path, server: PgServer, dbname: str, user: str, password: str) -> Path:
    """A ``PGPASSFILE`` line for ``user`` on ``dbname`` (libpq ignores a group-readable file)."""
    line = f"{server.socket_dir}:{PORT}:{dbname}:{user}:{password}\n"
    path.write_text(line, encoding="utf-8")
    path.chmod(0o600)
    return path
