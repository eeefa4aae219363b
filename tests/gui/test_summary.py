from __future__ import annotations

from PySide6.QtCharts import QBarSeries

from core.model import VerdictStatus
from gui.summary import SummaryView, maker_counts, verdict_counts
from tests.gui.factories import sample


def test_counts() -> None:
    devices = sample()
    counts = verdict_counts(devices, "ndaa889")
    assert counts[VerdictStatus.COVERED] == 1
    assert counts[VerdictStatus.LIKELY_COVERED] == 1
    assert sum(counts.values()) == 4
    assert maker_counts(devices, {"hikvision": "Hikvision"})[0] == ("Hikvision", 2)
    assert ("Unidentified", 1) in maker_counts(devices, {})


def test_view_draws_charts(qtbot) -> None:
    view = SummaryView()
    qtbot.addWidget(view)
    view.update_summary(
        sample(),
        ["ndaa889"],
        {"hikvision": "Hikvision"},
        {"mac_registry": "2026-10-01"},
        "<p>2 new devices</p>",
    )
    series = view.verdict_chart.chart().series()[0]
    assert isinstance(series, QBarSeries)
    values = {b.label(): b.at(0) for b in series.barSets()}
    assert values["Covered"] == 1 and values["Not covered"] == 1
    assert "mac_registry: 2026-10-01" in view.versions.text()
    assert "2 new devices" in view.diff.toPlainText()
    image = view.grab()
    assert not image.isNull()
