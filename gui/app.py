"""Starting the desktop app: build its context from the same objects the CLI uses.

``run_app`` is what ``camaudit`` (no arguments) and ``camaudit gui`` call; ``camaudit demo``
runs it inside the lab's scanner namespace with the lab preset.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import PySide6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.main_window import AppContext, MainWindow, ScanFactory
from gui.scan_process import scan_in_process
from gui.screen_check import display_problem
from inventory.store import default_db_path
from vendors.catalogue import display_names
from vendors.policies import load_policies
from vendors.versions import data_versions

# PySide6 6.12 can abort while garbage-collecting during interpreter finalization after a
# multiprocessing child has run ("bool_dealloc ... refcount error in a C extension"), turning
# a clean exit into status 250.  On that version only, the app skips finalization; every
# other version exits normally.
SKIP_FINALIZATION = PySide6.__version_info__[:2] == (6, 12)

SCREENSHOT_SIZE = (1400, 850)


@dataclass(frozen=True)
class LaunchOptions:
    interface: str | None = None
    targets: tuple[str, ...] = ()
    db: Path | str | None = None  # a SQLite file or a postgresql:// URL
    scan_now: bool = False
    screenshot: Path | None = None
    quit_after_scan: bool = False
    settings_scope: str = "camaudit"


def load_policy_choices() -> list[tuple[str, str]]:
    return [(p.id, p.title) for p in load_policies().packs]


def make_scan_factory(db: Path | str | None) -> ScanFactory:
    """The function the window calls to scan: the scan runs in a child process
    (gui/scan_process.py) that stores it in ``db``; its events come back to the window."""
    path = db or default_db_path()
    return lambda request, stop: scan_in_process(request, stop, path)


def build_context(options: LaunchOptions) -> AppContext:
    return AppContext(
        policies=load_policy_choices(),
        scan_factory=make_scan_factory(options.db),
        preset_interface=options.interface,
        preset_targets=options.targets,
        maker_names=display_names(),
        data_versions=data_versions(),
        settings_scope=options.settings_scope,
        db_path=options.db or default_db_path(),
        factory_for=make_scan_factory,
    )


def run_app(options: LaunchOptions) -> int:
    problem = display_problem()
    if problem:
        print(f"camaudit: {problem}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("camaudit")
    app.setOrganizationName("camaudit")
    window = MainWindow(build_context(options))
    if options.screenshot:
        window.resize(*SCREENSHOT_SIZE)  # the same picture whatever size was remembered
    window.show()
    if options.screenshot or options.quit_after_scan:
        window.scan_finished.connect(lambda _c: _finish(window, options))
    if options.scan_now or options.screenshot:
        QTimer.singleShot(300, window.start_scan)
    code = int(app.exec())
    window.settings.sync()
    if SKIP_FINALIZATION:  # everything is saved by now: settings synced, the scan stored
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _finish(window: MainWindow, options: LaunchOptions) -> None:
    """Quit after the scan; with --screenshot FILE.png save each tab first (FILE.png is the
    devices tab, FILE-summary.png and FILE-history.png the others; history loads off the GUI
    thread, so each tab gets a moment to fill in)."""
    shots = options.screenshot
    tabs = [(0, shots)] if shots else []
    if shots:
        tabs += [(i, shots.with_name(f"{shots.stem}-{name}{shots.suffix}"))
                 for i, name in ((1, "summary"), (2, "history"))]  # fmt: skip

    def shoot() -> None:
        if not tabs:
            window.close()
            QApplication.quit()
            return
        index, path = tabs.pop(0)
        if index == 0:
            window.select_first_flagged()
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        QTimer.singleShot(700, lambda: save(path))

    def save(path: Path | None) -> None:
        if path is not None:
            window.grab().save(str(path))
            print(f"screenshot saved: {path}")
        shoot()

    QTimer.singleShot(500, shoot)
