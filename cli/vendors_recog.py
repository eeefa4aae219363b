"""``camaudit vendors update --recog DIR`` / ``--rollback-recog`` and the recog part of
``vendors info``.

recog's XML may not ship inside camaudit, so the user points at a rapid7/recog checkout (or an
export of its ``xml/`` folder and ``LICENSE``).  The update reads every file (defused XML,
stated limits), runs recog's self-test over it (each example bounded in time by a timer
signal), refuses a directory that fails badly, and installs a dated copy with the licence into
the user data directory (vendors/recog/store.py); the copy it replaces is kept for rollback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.sanitize import terminal_safe

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
EXAMPLE_SECONDS = 2.0  # one example (with recog's "matched first" check) at most this long
SELF_TEST_SECONDS = 600.0  # the whole self-test (recog's own data takes a few seconds)
MAX_LICENCE_BYTES = 1 * 2**20
SHOWN = 5  # problems printed after an update (all of them are in the manifest)
_HEX = re.compile(r"^[0-9a-f]{7,40}$")


def add_update_args(source: Any, update: argparse.ArgumentParser) -> None:
    """The recog options of ``vendors update`` (``source``: its mutually exclusive group)."""
    source.add_argument(
        "--recog",
        type=Path,
        metavar="DIR",
        help="install rapid7/recog's fingerprints from DIR (a checkout: xml/*.xml and LICENSE)",
    )
    source.add_argument(
        "--rollback-recog",
        action="store_true",
        help="put back the recog copy the last --recog install replaced",
    )
    update.add_argument(
        "--commit",
        metavar="SHA",
        help="with --recog: the recog commit DIR holds (default: read from DIR/.git if there)",
    )


def _say(message: str) -> None:
    print(f"camaudit vendors update: {message}", file=sys.stderr)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (a no-op off the main thread or
    where there are no interval timers, e.g. Windows)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cmd_update(args: argparse.Namespace) -> int:
    from vendors.recog.db import RecogFormatError  # noqa: PLC0415

    try:
        return _rollback() if args.rollback_recog else _update(args)
    except BrokenPipeError:
        raise  # the reader went away (``| head``): cli/__init__.py handles it
    except (OSError, RecogFormatError) as exc:
        _say(terminal_safe(exc, 300))
        return EXIT_BAD_INPUT


def _update(args: argparse.Namespace) -> int:
    from vendors.recog.db import read_directory, xml_files  # noqa: PLC0415
    from vendors.recog.selftest import run_self_test  # noqa: PLC0415

    directory: Path = args.recog
    if args.commit and not _HEX.match(args.commit.lower()):
        _say(
            f"--commit {terminal_safe(args.commit, 60)!s} is not a git commit id (7-40 hex digits)"
        )
        return EXIT_USAGE
    if problem := _layout_problem(directory):
        _say(problem)
        return EXIT_USAGE
    if not xml_files(directory / "xml"):
        _say(f"{terminal_safe(directory)}/xml holds no *.xml fingerprint files")
        return EXIT_USAGE
    files = read_directory(directory / "xml")
    result = run_self_test(files, lambda: time_limit(EXAMPLE_SECONDS), SELF_TEST_SECONDS)
    if refusal := result.refusal():
        _say(f"refused: {terminal_safe(refusal, 300)}")
        return EXIT_BAD_INPUT
    commit = (args.commit or _git_commit(directory) or "").lower() or None
    newest = max(p.stat().st_mtime for p in xml_files(directory / "xml"))
    as_of = args.as_of or dt.datetime.fromtimestamp(newest, dt.UTC).date()
    before = _installed_version()
    target, manifest = _install(directory, files, result, commit, as_of)
    print(f"installed {manifest.version} into {target}")
    print(f"  self-test: {result.summary()}")
    for finding in [*result.unusable, *result.failed][:SHOWN]:
        print(f"  {terminal_safe(finding, 200)}")
    print(f"  replaces: {before or 'no recog copy'}; undo: vendors update --rollback-recog")
    return EXIT_OK


def _layout_problem(directory: Path) -> str | None:
    shown = terminal_safe(directory)
    if not directory.is_dir():
        return f"{shown} is not a directory"
    if not (directory / "xml").is_dir():
        return f"{shown}/xml not found: give the top of a rapid7/recog checkout (xml/ and LICENSE)"
    licence = directory / "LICENSE"
    if not licence.is_file() or licence.stat().st_size == 0:
        return f"{shown}/LICENSE not found: recog's licence is installed with its data"
    if licence.stat().st_size > MAX_LICENCE_BYTES:
        return f"{shown}/LICENSE is larger than {MAX_LICENCE_BYTES // 2**20} MiB: refused"
    return None


def _git_commit(directory: Path) -> str | None:
    """The commit a git checkout has out, read from its files (no git command is run)."""
    git = directory / ".git"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if git.is_file():  # a worktree: "gitdir: <path>"
            target = git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
            git = (directory / target).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if _HEX.match(head):
            return head
        ref = head.removeprefix("ref:").strip()
        if (git / ref).is_file():
            found = (git / ref).read_text(encoding="utf-8").strip()
            return found if _HEX.match(found) else None
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _HEX.match(sha):
                return sha
    return None


def _installed_version() -> str | None:
    from vendors.recog.db import RecogFormatError  # noqa: PLC0415
    from vendors.recog.store import current_dir, read_manifest  # noqa: PLC0415

    if not current_dir().exists():
        return None
    try:
        return read_manifest(current_dir()).version
    except RecogFormatError:
        return "a damaged copy"


def _install(
    source: Path, files: list[Any], result: Any, commit: str | None, as_of: dt.date
) -> tuple[Path, Any]:
    """Stage the copy beside the installed one, then swap; the replaced one becomes previous."""
    from core.files import private_dir, read_regular, write_private  # noqa: PLC0415
    from vendors.recog import store  # noqa: PLC0415
    from vendors.recog.db import MAX_FILE_BYTES  # noqa: PLC0415

    root = private_dir(store.recog_root())
    staged = root / "staged"
    shutil.rmtree(staged, ignore_errors=True)
    for recog_file in files:
        data = read_regular(source / "xml" / recog_file.name, MAX_FILE_BYTES)
        write_private(staged / "xml" / recog_file.name, data)
    write_private(staged / store.LICENCE, read_regular(source / "LICENSE", MAX_LICENCE_BYTES))
    manifest = store.Manifest(
        commit=commit,
        data_date=as_of,
        installed=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        source=str(source.resolve()),
        files=store.file_entries(staged / "xml", files),
        self_test=store.self_test_record(result),
    )
    write_private(staged / store.INDEX, store.render_index(files, result))
    write_private(staged / store.MANIFEST, manifest.to_json())
    store.load(staged)  # what was written reads back before it replaces anything
    current, previous = store.current_dir(), store.previous_dir()
    if current.exists():
        shutil.rmtree(previous, ignore_errors=True)
        os.replace(current, previous)
    else:  # nothing was installed: rolling back means going back to no recog
        shutil.rmtree(previous, ignore_errors=True)
    os.replace(staged, current)
    store.forget()
    return current, manifest


def _rollback() -> int:
    from vendors.recog import store  # noqa: PLC0415

    current, previous = store.current_dir(), store.previous_dir()
    if previous.exists():
        version = store.load(previous).manifest.version  # refuse a damaged copy first
        swap = store.recog_root() / "swap"
        shutil.rmtree(swap, ignore_errors=True)
        if current.exists():
            os.replace(current, swap)
        os.replace(previous, current)
        if swap.exists():
            os.replace(swap, previous)
        store.forget()
        print(f"restored {version} in {current}; --rollback-recog again undoes this")
        return EXIT_OK
    if current.exists():
        os.replace(current, previous)
        store.forget()
        print("removed the recog copy: identification uses camaudit's own rules only")
        return EXIT_OK
    _say("nothing to roll back (recog was never installed)")
    return EXIT_USAGE


# ----------------------------------------------------------------------------- info


def info_lines() -> list[str]:
    """The recog part of ``vendors info``."""
    from vendors.recog import store  # noqa: PLC0415

    directory = store.current_dir()
    if not (directory / store.MANIFEST).exists():
        return [
            "recog: not installed (vendors update --recog DIR adds rapid7/recog's fingerprints)"
        ]
    copy = store.installed()
    if copy is None:
        why = terminal_safe(store.installed_problem() or "unreadable", 300)
        return [f"recog: damaged copy in {directory}: {why}; identification runs without it"]
    manifest, test = copy.manifest, copy.manifest.self_test
    lines = [
        f"recog: {manifest.version} in {directory}",
        f"  installed {manifest.installed} from {terminal_safe(manifest.source)}; "
        f"licence: {directory / store.LICENCE}",
        f"  {len(manifest.files)} files, {test.get('fingerprints', 0):,} fingerprints; "
        f"examples: {test.get('passed', 0):,} passed, {test.get('failed', 0):,} failed, "
        f"{test.get('not_run', 0):,} not run; {test.get('untranslatable', 0):,} untranslatable, "
        f"{test.get('runaway', 0):,} runaway-prone, "
        f"{test.get('disabled', 0):,} disabled",
        f"  reads: {', '.join(copy.db.fields())}",
        "  files: " + ", ".join(f"{f.name} ({f.fingerprints})" for f in manifest.files),
    ]
    for text in [*test.get("unusable_list", []), *test.get("failed_list", [])][:20]:
        lines.append(f"  {terminal_safe(text, 200)}")
    changed = _changed_files(directory, manifest)
    if changed:
        lines.append(f"  warning: changed since install: {', '.join(changed)}")
    return lines


def _changed_files(directory: Path, manifest: Any) -> list[str]:
    import hashlib  # noqa: PLC0415

    changed = []
    for entry in manifest.files:
        try:
            digest = hashlib.sha256((directory / "xml" / entry.name).read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if digest != entry.sha256:
            changed.append(entry.name)
    return changed
