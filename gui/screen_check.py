"""Whether a window can be shown here (no Qt import: the demo's parent process uses it)."""

from __future__ import annotations

import os
import sys


def display_problem() -> str | None:
    """Why no window can be shown, or None when one can."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return None
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return (
            "camaudit's window needs a display: run it in a desktop session, or under a "
            "virtual one (`xvfb-run -a camaudit ...`), or set QT_QPA_PLATFORM=offscreen "
            "for a screenshot-only run"
        )
    return None
