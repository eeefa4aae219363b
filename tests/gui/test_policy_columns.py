"""Policies as a compliance officer reads them in the window (issue 14).

Display names in the table header, the verdict filter and the details pane; packs that do not
bind the site hidden until asked for; the Summary on the site's main policy.  The site is the
scan panel's request during a live scan and the stored scan's site profile once one is opened.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from core import presentation
from core.model import Device, Scan, SiteProfile, VerdictStatus
from discovery.events import DeviceFound
from discovery.request import ScanRequest
from discovery.stop import StopSignal
from gui.device_model import BASE_COLUMNS
from gui.main_window import AppContext, MainWindow, ScanFactory
from inventory.store import Store
from tests.gui.test_summary import OTHERS, _judged_everywhere
from vendors.policies import load_policies

PACKS = load_policies().packs
FOREIGN = ("Australia", "Canada", "Québec", "UK", "Louisiana")


N_BASE = len(BASE_COLUMNS)  # the verdict columns follow the device columns


def _window(qtbot, factory: ScanFactory | None = None, db: Path | None = None) -> MainWindow:
    ctx = AppContext(
        policies=[(p.id, p.title) for p in PACKS],  # every pack, the Australian one first
        scan_factory=factory,
        preset_interface="lo",
        preset_targets=["198.18.0.0/24"],
        maker_names={"hikvision": "Hikvision", "axis": "Axis"},
        db_path=db,
        # Its own settings: a site profile another test left (e.g. a municipal body, which
        # NDAA §889 does not bind) must not decide which packs bind here.
        settings_scope=f"camaudit-test-{uuid.uuid4().hex}",
    )
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    return window


def _headers(window: MainWindow) -> list[str]:
    model = window.model
    return [
        model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for c in range(model.columnCount())
    ]


def _scan_us(qtbot) -> MainWindow:
    async def scan(request: ScanRequest, stop: StopSignal) -> AsyncIterator[object]:
        assert request.site.jurisdictions == ("us",)  # the panel's default site
        for dev in _judged_everywhere():
            yield DeviceFound(dev)

    window = _window(qtbot, scan)
    window.panel.set_checked_policies([p.id for p in PACKS])  # judge by every pack
    with qtbot.waitSignal(window.scan_finished, timeout=5000):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    return window


def test_us_site_shows_only_the_packs_that_bind_it_until_asked(qtbot) -> None:
    window = _scan_us(qtbot)
    box = window.show_all_policies
    assert box.text() == "Show policies that do not bind this site" and not box.isChecked()
    assert not box.isHidden()
    headers = _headers(window)
    assert headers[N_BASE : N_BASE + 2] == [
        "NDAA §889",
        "FCC Covered List",
    ]  # by name, main policy first
    assert not any(h.startswith(FOREIGN) for h in headers), headers
    assert not any(h in {p.id for p in PACKS} for h in headers)  # no bare id
    assert window.model.policies == ["ndaa889", "fcc_covered_list"]

    box.setChecked(True)  # the user asks for them: they appear, after the binding ones
    headers = _headers(window)
    for prefix in FOREIGN:
        assert any(h.startswith(prefix) for h in headers), (prefix, headers)
    assert headers[N_BASE : N_BASE + 2] == ["NDAA §889", "FCC Covered List"]
    col = headers.index("UK sensitive sites (2022)")
    assert window.model.data(window.model.index(0, col)) == "Not applicable"
    tip = window.model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "Not applicable" in tip and "the site is in us" in tip

    box.setChecked(False)
    assert window.model.policies == ["ndaa889", "fcc_covered_list"]


def test_summary_and_details_use_names_and_the_main_policy(qtbot) -> None:
    window = _scan_us(qtbot)
    window.tabs.setCurrentWidget(window.summary)
    summary = window.summary
    assert summary.current_policy() == "ndaa889"
    assert summary.policy.currentText() == "NDAA §889"
    names = [summary.policy.itemText(i) for i in range(summary.policy.count())]
    assert names == ["NDAA §889", "FCC Covered List"]  # the hidden packs are not offered
    assert "4</b> devices" in summary.totals.text()
    window.tabs.setCurrentIndex(0)
    window.show_all_policies.setChecked(True)
    window.tabs.setCurrentWidget(window.summary)
    assert summary.policy.count() == 7 and summary.current_policy() == "ndaa889"
    window.tabs.setCurrentIndex(0)
    window.table.setCurrentIndex(window.proxy.index(0, 0))
    text = window.details.text()
    assert "NDAA §889:" in text and "FCC Covered List:" in text
    assert "ndaa889" not in text


def test_verdict_filter_in_presentation_order(qtbot) -> None:
    window = _window(qtbot)
    box = window.filter_verdict
    statuses = [box.itemData(i) for i in range(1, box.count())]
    assert statuses == [s for s in (VerdictStatus(c) for c in presentation.STATUS_ORDER
                                    if c != presentation.NOT_JUDGED)]  # fmt: skip
    assert [box.itemText(i) for i in range(1, box.count())] == [
        presentation.label(s) for s in statuses
    ]


def test_an_opened_scan_brings_its_own_site(qtbot, tmp_path: Path) -> None:
    """A scan stored for a Canadian site opens on the Canadian pack, whatever the panel says."""
    db = tmp_path / "inventory.sqlite3"
    devices: list[Device] = _judged_everywhere()
    for dev in devices:  # the Canadian pack judged, the US ones did not bind
        for pid, verdict in list(dev.verdicts.items()):
            status = (
                VerdictStatus.COVERED if pid == "ca_federal_2025" else VerdictStatus.NOT_APPLICABLE
            )
            dev.verdicts[pid] = replace(verdict, status=status)
    site = SiteProfile(jurisdictions=("ca",), assessment_date=dt.date(2026, 11, 2))
    with Store(db) as store:
        scan = Scan(
            targets=("198.18.0.0/24",),
            methods=("arp",),
            site=site,
            policies=tuple(p.id for p in PACKS),
            started_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC),
        )
        scan_id = store.begin_scan(scan)
        store.add_devices(scan_id, devices)
    window = _window(qtbot, None, db)
    assert window.model.policies[:1] == ["ndaa889"]  # before: the panel's US site
    with qtbot.waitSignal(window.scan_opened, timeout=5000):
        window.open_scan(scan_id)
    assert window.site.jurisdictions == ("ca",)
    assert _headers(window)[N_BASE:] == ["Canada federal Hikvision ban (2025)", "Confidence",
                                    "Disposition"]  # fmt: skip
    window.tabs.setCurrentWidget(window.summary)
    assert window.summary.current_policy() == "ca_federal_2025"
    assert set(OTHERS) - {"ca_federal_2025"} <= {v.id for v in window.policy_views}
