"""Summary view: the counts a signer asks for first, then charts, data versions, last diff.

It opens on the site's main policy (inventory.report_data.main_policy) and names policies by
their display names; a pack that does not bind the site reads "not applicable".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

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
from inventory.report_data import FINDING_STATUSES, PolicyView, main_policy

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


@dataclass(frozen=True, slots=True)
class Totals:
    """The counts the Summary starts with (the same meanings as the PDF's first page)."""

    devices: int
    flagged: int  # flagged under a policy that binds the site
    decided: int  # a decision (disposition) is recorded
    open: int  # flagged, unidentified or not judged, and nothing decided yet

    def text(self) -> str:
        return (
            f"<b>{self.devices}</b> devices &nbsp;·&nbsp; <b>{self.flagged}</b> flagged "
            f"&nbsp;·&nbsp; <b>{self.decided}</b> decided &nbsp;·&nbsp; "
            f"<b>{self.open}</b> open decisions"
        )


def totals(devices: Iterable[Device], binding: Collection[str], decided: Collection[str]) -> Totals:
    """Devices, those flagged under a ``binding`` policy, those with a decision (``decided``
    holds device keys) and those still needing one."""
    devices = list(devices)
    flagged = open_ = n_decided = 0
    for dev in devices:
        statuses = [v.status.value for v in dev.verdicts.values()]
        if any(v.status.flagged for p, v in dev.verdicts.items() if p in binding):
            flagged += 1
        if dev.key in decided:
            n_decided += 1
        elif presentation.worst(statuses) in FINDING_STATUSES:
            open_ += 1
    return Totals(len(devices), flagged, n_decided, open_)


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
    """Counts, two charts and two text panes; refreshed by the window after a scan or on
    demand.  The policy box holds policy ids as item data and display names as text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.totals = named(QLabel(self), "summaryTotals")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.applicability = named(QLabel(self), "summaryApplicability")
        self.applicability.setWordWrap(True)
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
        layout.addWidget(self.totals, 0, 0, 1, 4)
        layout.addWidget(QLabel("Policy"), 1, 0)
        layout.addWidget(self.policy, 1, 1)
        layout.addWidget(self.applicability, 1, 2, 1, 2)
        layout.addWidget(self.verdict_chart, 2, 0, 1, 2)
        layout.addWidget(self.maker_chart, 2, 2, 1, 2)
        layout.addWidget(QLabel("<b>Data versions</b>"), 3, 0)
        layout.addWidget(self.versions, 4, 0, 1, 2)
        layout.addWidget(QLabel("<b>Changes since the previous scan</b>"), 3, 2)
        layout.addWidget(self.diff, 4, 2, 1, 2)
        self._devices: list[Device] = []
        self._names: dict[str, str] = {}
        self._views: dict[str, PolicyView] = {}
        self.policy.currentIndexChanged.connect(lambda _i: self._draw())

    def update_summary(
        self,
        devices: Sequence[Device],
        policies: Sequence[PolicyView],
        names: Mapping[str, str],
        versions: Mapping[str, str],
        diff_html: str = "",
        decided: Collection[str] = (),
    ) -> None:
        """Show ``devices`` under ``policies`` (inventory.report_data.policy_views: the site's
        main policy first); ``decided`` holds the keys of devices with a recorded decision.

        The policy shown stays the user's choice while it is offered; otherwise (a new scan:
        the window clears the box) it is the site's main policy."""
        self._devices, self._names = list(devices), dict(names)
        self._views = {v.id: v for v in policies}
        binding = {v.id for v in policies if v.applies}
        self.totals.setText(totals(self._devices, binding, decided).text())
        current = self.policy.currentData()
        self.policy.blockSignals(True)
        self.policy.clear()
        for view in policies:
            text = view.name if view.applies else f"{view.name} (not applicable)"
            self.policy.addItem(text, view.id)
        chosen = current if current in self._views else main_policy(policies)
        index = self.policy.findData(chosen)
        self.policy.setCurrentIndex(max(index, 0) if policies else -1)
        self.policy.blockSignals(False)
        self.versions.setText("\n".join(f"{k}: {v}" for k, v in sorted(versions.items())))
        self.diff.setHtml(diff_html or "<p>No earlier scan of these targets to compare.</p>")
        self._draw()

    def current_policy(self) -> str | None:
        """The id of the policy the verdict chart shows."""
        data = self.policy.currentData()
        return str(data) if data else None

    def _draw(self) -> None:
        view = self._views.get(self.current_policy() or "")
        if view is None:
            self.applicability.setText("")
        elif view.applies:
            self.applicability.setText(f"{view.title}: binds this site.")
        else:
            self.applicability.setText(view.why_not or "Not applicable: it does not bind the site.")
        self.verdict_chart.setChart(self._verdict_chart())
        self.maker_chart.setChart(self._maker_chart())

    def _verdict_chart(self) -> QChart:
        policy = self.current_policy()
        counts = verdict_counts(self._devices, policy) if policy else {}
        view = self._views.get(policy or "")
        if view is not None and view.applies:  # "not applicable" bars only where it does not bind
            counts.pop(VerdictStatus.NOT_APPLICABLE, None)
        title = self.policy.currentText() or "no policy"
        series = QBarSeries()
        for status, n in counts.items():
            st = presentation.style(status)
            bar = QBarSet(st.label)
            bar.append(n)
            bar.setColor(QColor(st.colour))
            series.append(bar)
        chart = QChart()
        chart.setTitle(f"Devices by verdict ({title})")
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
