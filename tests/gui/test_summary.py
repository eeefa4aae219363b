from __future__ import annotations

from dataclasses import replace

from PySide6.QtCharts import QBarSeries, QBarSet

from core.model import Device, SiteProfile, VerdictStatus
from gui.summary import SummaryView, Totals, maker_counts, totals, verdict_counts
from inventory.report_data import policy_views
from tests.gui.factories import sample

US = SiteProfile(jurisdictions=("us",))


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
        policy_views(["ndaa889"], US),
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


def _judged_everywhere() -> list[Device]:
    """The sample, judged by every pack as a US site's scan judges it: NDAA §889 and the FCC
    list give their verdicts, the others (AU, CA, QC, UK, Louisiana) "not applicable"."""
    devices = sample()
    for dev in devices:
        ndaa = dev.verdicts["ndaa889"]
        dev.verdicts["fcc_covered_list"] = replace(ndaa, policy="fcc_covered_list")
        for pid in OTHERS:
            dev.verdicts[pid] = replace(ndaa, policy=pid, status=VerdictStatus.NOT_APPLICABLE)
    return devices


OTHERS = (
    "au_commonwealth_2023",
    "ca_federal_2025",
    "louisiana_procurement",
    "quebec_2023",
    "uk_sensitive_sites_2022",
)
EVERY = ("au_commonwealth_2023", "ndaa889", "fcc_covered_list", *OTHERS[1:])


def test_totals_count_flagged_decided_and_open() -> None:
    devices = sample()  # covered, likely covered, not covered, unknown (under NDAA §889)
    assert totals(devices, {"ndaa889"}, set()) == Totals(4, 2, 0, 3)
    decided = {devices[0].key}
    assert totals(devices, {"ndaa889"}, decided) == Totals(4, 2, 1, 2)
    assert totals(devices, set(), set()).flagged == 0  # flagged only under a binding pack


def _bars(view: SummaryView) -> list[QBarSet]:
    series = view.verdict_chart.chart().series()[0]
    assert isinstance(series, QBarSeries)
    return list(series.barSets())


def test_summary_opens_on_the_sites_main_policy_with_counts_first(qtbot) -> None:
    view = SummaryView()
    qtbot.addWidget(view)
    # The Australian pack is listed first, as load_policies lists it: the view must not open
    # on it for a US site.
    views = policy_views(EVERY, US)
    view.update_summary(_judged_everywhere(), views, {}, {}, decided={sample()[0].key})
    assert view.current_policy() == "ndaa889"
    assert view.policy.currentText() == "NDAA §889"
    texts = [view.policy.itemText(i) for i in range(view.policy.count())]
    assert texts[:2] == ["NDAA §889", "FCC Covered List"]
    assert "Australia Commonwealth sites (2023) (not applicable)" in texts
    assert not any("ndaa889" in t or "fcc_covered_list" in t for t in texts)
    totals_text = view.totals.text()
    for words in ("4</b> devices", "2</b> flagged", "1</b> decided", "2</b> open decisions"):
        assert words in totals_text
    layout = view.layout()
    assert layout is not None
    assert layout.indexOf(view.totals) < layout.indexOf(view.verdict_chart)  # counts first
    assert "NDAA §889" in view.verdict_chart.chart().title()
    labels = {b.label() for b in _bars(view)}
    assert "Not applicable" not in labels  # NDAA §889 binds: no such bar
    # A pack that does not bind: its chart says so.
    view.policy.setCurrentIndex(view.policy.findData("uk_sensitive_sites_2022"))
    assert view.applicability.text().startswith("Not applicable")
    bars = {b.label(): b.at(0) for b in _bars(view)}
    assert bars["Not applicable"] == 4
    # Refreshing keeps the user's choice; a new set of policies without it falls back.
    view.update_summary(_judged_everywhere(), views, {}, {})
    assert view.current_policy() == "uk_sensitive_sites_2022"
    view.update_summary(sample(), policy_views(["fcc_covered_list", "ndaa889"], US), {}, {})
    assert view.current_policy() == "ndaa889"  # the pack with a reporting duty leads
