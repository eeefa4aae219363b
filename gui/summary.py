"""Summary view: counts by verdict and by maker as charts, data versions, last diff."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QTextBrowser, QWidget

from core import presentation
from core.model import Device, VerdictStatus
from gui.util import named

TOP_MAKERS = 10


def verdict_counts(devices: Iterable[Device], policy: str) -> dict[VerdictStatus, int]:
    """Devices per verdict under ``policy``, every verdict listed, most severe first."""
    counts = Counter(d.verdicts[policy].status for d in devices if policy in d.verdicts)
    return {s: counts.get(s, 0) for s in sorted(VerdictStatus, key=presentation.rank)}


def maker_counts(devices: Iterable[Device], names: Mapping[str, str]) -> list[tuple[str, int]]:
    counts = Counter(
        presentation.display_name(d.identity.maker, names)
        if d.identity and d.identity.maker
        else "Unidentified"
        for d in devices
    )
    top = counts.most_common(TOP_MAKERS)
    rest = sum(counts.values()) - sum(n for _, n in top)
    return top + ([("Others", rest)] if rest else [])


def _count_axis(values: Sequence[int]) -> QValueAxis:
    """A value axis for counts: whole-number ticks, about five of them."""
    top = max([1, *values])
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0)
    axis.setTickInterval(max(1, -(-top // 5)))
    axis.setRange(0, top)
    return axis


class SummaryView(QWidget):
    """Two charts and two text panes; refreshed by the window after a scan or on demand."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = named(QComboBox(self), "summaryPolicy")
        self.verdict_chart = named(QChartView(self), "verdictChart")
        self.maker_chart = named(QChartView(self), "makerChart")
        for view in (self.verdict_chart, self.maker_chart):
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(260)
        self.versions = named(QLabel(self), "dataVersions")
        self.versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.versions.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.diff = named(QTextBrowser(self), "lastDiff")
        layout = QGridLayout(self)
        layout.addWidget(QLabel("Policy"), 0, 0)
        layout.addWidget(self.policy, 0, 1)
        layout.addWidget(self.verdict_chart, 1, 0, 1, 2)
        layout.addWidget(self.maker_chart, 1, 2, 1, 2)
        layout.addWidget(QLabel("<b>Data versions</b>"), 2, 0)
        layout.addWidget(self.versions, 3, 0, 1, 2)
        layout.addWidget(QLabel("<b>Changes since the previous scan</b>"), 2, 2)
        layout.addWidget(self.diff, 3, 2, 1, 2)
        self._devices: list[Device] = []
        self._names: dict[str, str] = {}
        self.policy.currentIndexChanged.connect(lambda _i: self._draw())

    def update_summary(
        self,
        devices: Sequence[Device],
        policies: Sequence[str],
        names: Mapping[str, str],
        versions: Mapping[str, str],
        diff_html: str = "",
    ) -> None:
        self._devices, self._names = list(devices), dict(names)
        current = self.policy.currentText()
        self.policy.blockSignals(True)
        self.policy.clear()
        self.policy.addItems(list(policies))
        if current in policies:
            self.policy.setCurrentText(current)
        self.policy.blockSignals(False)
        self.versions.setText("\n".join(f"{k}: {v}" for k, v in sorted(versions.items())))
        self.diff.setHtml(diff_html or "<p>No earlier scan of these targets to compare.</p>")
        self._draw()

    def _draw(self) -> None:
        self.verdict_chart.setChart(self._verdict_chart())
        self.maker_chart.setChart(self._maker_chart())

    def _verdict_chart(self) -> QChart:
        policy = self.policy.currentText()
        counts = verdict_counts(self._devices, policy) if policy else {}
        series = QBarSeries()
        for status, n in counts.items():
            st = presentation.style(status)
            bar = QBarSet(st.label)
            bar.append(n)
            bar.setColor(QColor(st.colour))
            series.append(bar)
        chart = QChart()
        chart.setTitle(f"Devices by verdict ({policy or 'no policy'})")
        chart.addSeries(series)
        axis = _count_axis(list(counts.values()))
        chart.addAxis(axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        return chart

    def _maker_chart(self) -> QChart:
        rows = maker_counts(self._devices, self._names)
        bar = QBarSet("Devices")
        bar.append([float(n) for _, n in rows])
        series = QHorizontalBarSeries()
        series.append(bar)
        chart = QChart()
        chart.setTitle("Devices by maker")
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([name for name, _ in rows])
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        values = _count_axis([n for _, n in rows])
        chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(values)
        chart.legend().setVisible(False)
        return chart
