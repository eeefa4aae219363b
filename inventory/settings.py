"""Report settings a site keeps between runs (organisation, site, who signs).

A TOML file: ``--settings FILE``, else ``settings.toml`` in the user config folder::

    [report]
    organisation = "Acme Corp"
    site = "Main plant"
    run_by = "IT operations"
    signer = "J. Smith"
    signer_role = "Compliance officer"
    paper = "letter"   # or "a4"
    sign_with = "acme-reports.p12"   # sign PDFs with this PKCS#12 file (relative: to this file)

Command-line options win over the file.

The desktop app keeps its own settings (last values typed, the targets and user names of
stored credentials) in a file beside this one; :func:`private_settings_file` makes that file
the user's alone (0600 in a 0700 folder) before anything is written to it, as the databases
and reports are (core.files).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from core.files import open_private

KEYS = ("organisation", "site", "run_by", "signer", "signer_role", "paper", "sign_with")


class SettingsError(ValueError):
    pass


def default_settings_path() -> Path:
    return Path(user_config_dir("camaudit", appauthor=False)) / "settings.toml"


def load_report_settings(path: Path | None = None) -> dict[str, str]:
    """The ``[report]`` table as strings; a missing default file is simply empty."""
    explicit = path is not None
    target = path or default_settings_path()
    if not target.exists():
        if explicit:
            raise SettingsError(f"{target}: no such settings file")
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{target}: cannot read settings ({exc})") from exc
    report = data.get("report", {})
    if not isinstance(report, dict):
        raise SettingsError(f"{target}: [report] must be a table")
    unknown = sorted(set(report) - set(KEYS))
    if unknown:
        raise SettingsError(f"{target}: unknown [report] keys {unknown} (known: {list(KEYS)})")
    return {k: str(v) for k, v in report.items()}


def private_settings_file(path: Path) -> Path:
    """Make ``path`` a 0600 file (created empty when missing) in a 0700 folder.

    For a settings file another library writes (Qt's QSettings INI file): Qt rewrites it
    through a temporary file but keeps the existing file's mode, so the file stays private.
    Missing folders are created 0700; folders that exist are left alone.
    """
    open_private(path)
    return path
