"""The installed copy of recog: where it lives, what it records, and loading it once.

``camaudit vendors update --recog DIR`` (cli/vendors_recog.py) checks a recog checkout and
installs a copy into the user data directory::

    <user data>/camaudit/recog/current/    xml/*.xml, LICENSE, manifest.json, index.json
    <user data>/camaudit/recog/previous/   the copy it replaced (for --rollback-recog)

``manifest.json`` says which recog it is (commit or date), where it came from, each file's
SHA-256, and what the self-test found; ``index.json`` holds the usable fingerprints with their
patterns already translated to Python (vendors.recog.dialect), so identification loads in a
fraction of the time parsing the XML takes.  The XML files and recog's licence stay beside it:
they are the data, the index is derived from them.  No recog data ships with camaudit.

Loading is lazy and happens once per process (:func:`installed`); a damaged copy is reported
(:func:`installed_problem`) and identification runs without recog.  Pure: reads files only.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from core.files import read_regular
from vendors.catalogue import Catalogue
from vendors.recog.db import Fingerprint, RecogFile, RecogFormatError
from vendors.recog.dialect import Translated
from vendors.recog.meaning import FIELD_USES
from vendors.recog.selftest import SelfTest
from vendors.recog.source import RecogDB, Recognizer

FORMAT = 1
MANIFEST = "manifest.json"
INDEX = "index.json"
LICENCE = "LICENSE"
MAX_INDEX_BYTES = 64 * 2**20
MAX_LISTED = 200  # problems kept in the manifest (the counts are always complete)


def recog_root() -> Path:
    return Path(platformdirs.user_data_dir("camaudit")) / "recog"


def current_dir() -> Path:
    """The installed copy identification uses."""
    return recog_root() / "current"


def previous_dir() -> Path:
    """The copy the last install replaced."""
    return recog_root() / "previous"


@dataclass(frozen=True, slots=True)
class FileEntry:
    name: str
    sha256: str
    matches: str
    fingerprints: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an installed copy is and what its self-test found."""

    commit: str | None
    data_date: dt.date | None
    installed: str  # ISO timestamp, UTC
    source: str  # the directory it was installed from
    files: tuple[FileEntry, ...]
    self_test: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """How reasons and reports name it: ``rapid7/recog 14fa1a7 (2026-06-29)``."""
        when = self.data_date.isoformat() if self.data_date else "undated"
        return (
            f"rapid7/recog {self.commit[:7]} ({when})" if self.commit else f"rapid7/recog of {when}"
        )

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "commit": self.commit,
            "data_date": self.data_date.isoformat() if self.data_date else None,
            "installed": self.installed,
            "source": self.source,
            "licence": LICENCE,
            "files": [
                {
                    "name": f.name,
                    "sha256": f.sha256,
                    "matches": f.matches,
                    "fingerprints": f.fingerprints,
                }
                for f in self.files
            ],
            "self_test": self.self_test,
        }
        return json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = _json_object(raw, MANIFEST)
        try:
            date = data.get("data_date")
            return cls(
                commit=_opt_str(data.get("commit")),
                data_date=dt.date.fromisoformat(date) if date else None,
                installed=str(data["installed"]),
                source=str(data["source"]),
                files=tuple(
                    FileEntry(
                        str(f["name"]), str(f["sha256"]), str(f["matches"]), int(f["fingerprints"])
                    )
                    for f in data["files"]
                ),
                self_test=dict(data.get("self_test") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RecogFormatError(f"{MANIFEST}: malformed ({exc})") from None


def _opt_str(value: Any) -> str | None:
    return str(value) if value else None


def _json_object(raw: bytes, name: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RecogFormatError(f"{name}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecogFormatError(f"{name}: not a camaudit recog {name} of format {FORMAT}")
    return data


def self_test_record(result: SelfTest) -> dict[str, Any]:
    """The self-test as the manifest keeps it."""
    return {
        "files": result.files,
        "fingerprints": result.fingerprints,
        "examples": result.examples,
        "passed": result.passed,
        "failed": len(result.failed),
        "not_run": result.not_run,
        "untranslatable": result.untranslatable,
        "runaway": result.runaway,
        "unusable": len(result.unusable),
        "disabled": len(result.disabled),
        "warnings": len(result.warnings),
        "unusable_list": [str(f) for f in result.unusable[:MAX_LISTED]],
        "failed_list": [str(f) for f in result.failed[:MAX_LISTED]],
    }


def file_entries(directory: Path, files: list[RecogFile]) -> tuple[FileEntry, ...]:
    """Name, hash, kind and size of each file as it is in ``directory``."""
    out = []
    for recog_file in files:
        data = read_regular(directory / recog_file.name, MAX_INDEX_BYTES)
        digest = hashlib.sha256(data).hexdigest()
        out.append(
            FileEntry(recog_file.name, digest, recog_file.matches, len(recog_file.fingerprints))
        )
    return tuple(out)


# ------------------------------------------------------------------------------ the index


def render_index(files: list[RecogFile], result: SelfTest) -> bytes:
    """The usable fingerprints of the files some evidence field of ours reads (translated;
    disabled ones left out) as ``index.json``."""
    read = {use.matches for use in FIELD_USES}
    out = []
    for recog_file in files:
        if recog_file.matches not in read:
            continue
        rows = [
            [
                fp.index,
                fp.line,
                fp.description,
                fp.translated.pattern,
                fp.translated.flags,
                {k: [pos, value] for k, (pos, value) in fp.params.items()},
                fp.needle,
                fp.needle_icase,
            ]
            for fp in recog_file.fingerprints
            if fp.translated is not None and not fp.problem and fp.ref not in result.disabled
        ]
        out.append(
            {
                "name": recog_file.name,
                "matches": recog_file.matches,
                "protocol": recog_file.protocol,
                "database_type": recog_file.database_type,
                "preference": recog_file.preference,
                "fingerprints": rows,
            }
        )
    return json.dumps({"format": FORMAT, "files": out}, ensure_ascii=False).encode("utf-8")


def parse_index(raw: bytes, version: str) -> RecogDB:
    """A :class:`RecogDB` from ``index.json`` bytes (patterns compile on first use)."""
    data = _json_object(raw, INDEX)
    try:
        files = [_index_file(entry) for entry in data["files"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise RecogFormatError(f"{INDEX}: malformed ({exc})") from None
    return RecogDB(files, version)


def _index_file(entry: dict[str, Any]) -> RecogFile:
    name = str(entry["name"])
    fingerprints = []
    for index, line, description, pattern, flags, params, needle, icase in entry["fingerprints"]:
        fingerprints.append(
            Fingerprint(
                file=name,
                index=int(index),
                line=int(line),
                description=str(description),
                pattern=str(pattern),
                flags="",
                params={str(k): (int(p), str(v)) for k, (p, v) in dict(params).items()},
                examples=(),
                translated=Translated(str(pattern), int(flags)),
                needle=str(needle),
                needle_icase=bool(icase),
            )
        )
    return RecogFile(
        name=name,
        matches=str(entry["matches"]),
        protocol=str(entry.get("protocol", "")),
        database_type=str(entry.get("database_type", "")),
        preference=float(entry.get("preference", 0.1)),
        fingerprints=fingerprints,
    )


# ------------------------------------------------------------------------------ loading


@dataclass(frozen=True, slots=True)
class Installed:
    """The installed copy: its manifest and its loaded fingerprints."""

    directory: Path
    manifest: Manifest
    db: RecogDB


def read_manifest(directory: Path) -> Manifest:
    try:
        return Manifest.from_json(read_regular(directory / MANIFEST, MAX_INDEX_BYTES))
    except OSError as exc:
        raise RecogFormatError(f"{directory / MANIFEST}: {exc.strerror or exc}") from None


def load(directory: Path) -> Installed:
    """The copy in ``directory``; :class:`RecogFormatError` if it is damaged."""
    manifest = read_manifest(directory)
    try:
        raw = read_regular(directory / INDEX, MAX_INDEX_BYTES)
    except OSError as exc:
        raise RecogFormatError(f"{directory / INDEX}: {exc.strerror or exc}") from None
    return Installed(directory, manifest, parse_index(raw, manifest.version))


_PROBLEM: list[str] = []


@functools.lru_cache(maxsize=1)
def installed() -> Installed | None:
    """The installed copy (loaded on first call), or None if there is none or it is damaged."""
    _PROBLEM.clear()
    directory = current_dir()
    if not (directory / MANIFEST).exists():
        return None
    try:
        return load(directory)
    except RecogFormatError as exc:
        _PROBLEM.append(str(exc))  # identification must not stop for a damaged copy
        return None


def installed_problem() -> str | None:
    """Why the installed copy could not be loaded by :func:`installed`, if it could not."""
    installed()
    return _PROBLEM[0] if _PROBLEM else None


def forget() -> None:
    """Load again on next use (after an install or rollback in the same process)."""
    installed.cache_clear()
    _PROBLEM.clear()


def installed_recognizer(catalogue: Catalogue) -> Recognizer | None:
    """A :class:`Recognizer` over the installed copy, or None when there is none."""
    copy = installed()
    return Recognizer(copy.db, catalogue) if copy is not None else None
