"""Files camaudit writes and the files it is handed to read.

Writing: inventories, reports, signing keys and registries name sites, devices and people, so
what the app creates is the user's alone: 0600 files in 0700 folders (on Windows the modes
mean little, the profile folder is already private; the calls still succeed).

Reading a file a user or another program supplied (a policy pack, an IEEE registry CSV, a
report's JSON data): :func:`read_regular` never blocks on a FIFO or reads a device, and stops
at a stated size, each with a one-line :class:`OSError`.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700; folders that exist are left alone."""
    missing: list[Path] = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode passes through the umask
    return path


def open_private(path: Path) -> None:
    """Make ``path`` an existing 0600 file, so a writer that truncates it keeps that mode.

    Used before a library (openpyxl, reportlab, csv) writes the file its own way; an existing
    file keeps its content until the writer replaces it.
    """
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        with contextlib.suppress(OSError):  # a file of another owner keeps its mode
            os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically as a 0600 file (temporary file, then rename)."""
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:  # mkstemp creates the file 0600
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class NotRegularFile(OSError):
    """A FIFO, device, socket or folder where a file was expected."""


class TooLarge(OSError):
    """A file over the size its reader accepts."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``: a regular file of at most ``limit`` bytes, else an OSError.

    Opened non-blocking and checked before any read, so a FIFO named like the expected file
    is refused at once instead of hanging the command.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegularFile("not a regular file (a FIFO, device or folder): refused, not read")
    with os.fdopen(fd, "rb") as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {_size(limit)}: refused")
    return data


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit:,} bytes"
