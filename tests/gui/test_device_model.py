from __future__ import annotations

from PySide6.QtCore import Qt

from core.model import VerdictStatus
from gui.device_model import BASE_COLUMNS, DEVICE_ROLE, DeviceFilterProxy, DeviceTableModel
from tests.gui.factories import device, sample


def _model() -> DeviceTableModel:
    model = DeviceTableModel()
    model.set_policies(["ndaa889"])
    model.set_devices(sample())
    return model


def test_model_passes_qtmodeltester(qtmodeltester) -> None:
    qtmodeltester.check(_model(), force_py=True)


def test_proxy_passes_qtmodeltester(qtmodeltester) -> None:
    proxy = DeviceFilterProxy()
    proxy.setSourceModel(_model())
    proxy.set_text("hik")
    qtmodeltester.check(proxy, force_py=True)


def test_upsert_adds_then_updates_in_place() -> None:
    model = DeviceTableModel()
    model.set_policies(["ndaa889"])
    first = device(
        "198.18.0.20", "3c:ef:8c:00:00:01", "dahua", "amcrest", VerdictStatus.LIKELY_COVERED
    )
    assert model.upsert(first) == 0
    again = device("198.18.0.20", "3c:ef:8c:00:00:01", "dahua", "amcrest", VerdictStatus.COVERED)
    assert model.upsert(again) == 0
    assert model.rowCount() == 1
    verdict_col = len(BASE_COLUMNS)
    assert model.data(model.index(0, verdict_col)) == "Covered"


def test_verdict_cell_has_icon_text_and_tooltip_not_colour_alone() -> None:
    model = _model()
    idx = model.index(
        0, len(BASE_COLUMNS)
    )  # first verdict column; the first sample device: a Hikvision camera, covered
    assert model.data(idx) == "Covered"
    assert not model.data(idx, Qt.ItemDataRole.DecorationRole).isNull()
    tooltip = model.data(idx, Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("<qt>Covered: The policy applies")  # explains the verdict (text)
    assert "made by hikvision" in tooltip  # and gives this device's reason


def test_sort_by_ip_is_numeric_and_keeps_rows_whole() -> None:
    model = _model()
    model.sort(0, Qt.SortOrder.AscendingOrder)
    ips = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert ips == ["198.18.0.9", "198.18.0.10", "198.18.0.11", "198.18.0.12"]
    assert model.data(model.index(1, 2)) == "Annke"  # the brand moved with its row


def test_sort_by_verdict_puts_covered_first() -> None:
    model = _model()
    model.sort(len(BASE_COLUMNS), Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, len(BASE_COLUMNS))) == "Covered"
    assert model.data(model.index(3, len(BASE_COLUMNS))) == "Not covered"


def test_filters_by_text_verdict_and_maker() -> None:
    proxy = DeviceFilterProxy()
    proxy.setSourceModel(_model())
    proxy.set_text("annke")
    assert proxy.rowCount() == 1
    proxy.set_text("")
    proxy.set_maker("hikvision")
    assert proxy.rowCount() == 2
    proxy.set_verdict(VerdictStatus.COVERED)
    assert proxy.rowCount() == 1
    dev = proxy.data(proxy.index(0, 0), DEVICE_ROLE)
    assert dev.identity.brand == "hikvision"


def test_dispositions_show_and_filter() -> None:
    model = _model()
    dev = model.device_at(0)
    assert dev is not None
    key = dev.key
    model.set_dispositions({key: "exception granted"})
    assert model.data(model.index(0, model.columnCount() - 1)) == "exception granted"
    proxy = DeviceFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_text("exception")
    assert proxy.rowCount() == 1


def test_verdict_header_reads_the_display_name_and_tooltip_keeps_the_id() -> None:
    model = DeviceTableModel()
    model.set_policies(
        ["ndaa889", "fcc_covered_list"],
        names={"ndaa889": "NDAA §889"},
        notes={"ndaa889": "National Defense Authorization Act FY2019 §889"},
    )
    model.set_devices(sample())
    n = len(BASE_COLUMNS)
    head = [model.headerData(c, Qt.Orientation.Horizontal) for c in (n, n + 1)]
    assert head == ["NDAA §889", "Fcc Covered List"]  # no name given: never the bare id
    tip = model.headerData(n, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip.splitlines() == [
        "Verdict under NDAA §889 (ndaa889)",
        "National Defense Authorization Act FY2019 §889",
    ]


def test_text_filter_finds_a_status_by_its_label() -> None:
    proxy = DeviceFilterProxy()
    proxy.setSourceModel(_model())
    proxy.set_text("likely covered")
    assert proxy.rowCount() == 1


def test_device_strings_in_tooltips_are_shown_as_text_never_as_markup(qapp) -> None:
    """A model string with markup (issue 16): the tooltip shows the characters, loads nothing."""
    from dataclasses import replace

    from PySide6.QtGui import QTextDocument

    hostile = '<img src="/tmp/x.png" width=300 height=300><b>bold</b>'
    dev = device(
        "198.18.0.30", "44:19:b6:00:00:30", "hikvision", "hikvision", VerdictStatus.COVERED
    )
    assert dev.identity is not None
    dev.identity = replace(dev.identity, model=hostile)
    model = DeviceTableModel()
    model.set_policies(["ndaa889"])
    model.upsert(dev)
    column = next(c for c in range(model.columnCount()) if model.data(model.index(0, c)) == hostile)
    tooltip = model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole)
    rendered = QTextDocument()
    rendered.setHtml(tooltip)  # what Qt's tooltip renderer makes of it
    assert rendered.toPlainText() == hostile
    assert "<img" not in rendered.toHtml()
