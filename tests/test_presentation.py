"""One vocabulary for every view (issue 10): each status has exactly one style, and the screen,
the PDF and the XLSX export all show a status, and an identity, the way core.presentation says.

The views are checked by what they produce (a painted badge, a table cell's colours, a PDF
table cell, a spreadsheet cell read back with openpyxl, PDF text read back with pdftotext),
so a view that kept a table of its own fails here.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextDocument
from reportlab.lib import colors

from core import presentation
from core.model import Device, Relationship, VerdictStatus
from core.presentation import NOT_JUDGED, STATUS_ORDER
from gui import badges
from gui.details import identity_html, verdicts_html
from gui.device_model import DeviceTableModel
from inventory import report_pdf
from inventory.export_xlsx import write_xlsx
from inventory.report_data import ReportMeta, build_report_data
from tests.inventory.factories import T0, device, scan

EVERY_STATUS = (*(s.value for s in VerdictStatus), NOT_JUDGED)


def _devices(statuses: tuple[VerdictStatus, ...]) -> list[Device]:
    """One Hikvision camera per status (verdict under ndaa889 only)."""
    out = []
    for i, status in enumerate(statuses, start=1):
        dev = device(f"198.18.0.{i}", f"02:00:00:00:00:{i:02x}", "hikvision", "hikvision", status)
        out.append(dev)
    return out


# -- (1) one style per status ------------------------------------------------------------


def test_every_status_has_exactly_one_style() -> None:
    assert sorted(STATUS_ORDER) == sorted(EVERY_STATUS)
    assert len(STATUS_ORDER) == len(set(STATUS_ORDER))
    styles = [presentation.style(s) for s in STATUS_ORDER]
    assert [st.status for st in styles] == list(STATUS_ORDER)
    for attr in ("label", "code", "colour", "fill"):
        values = [getattr(st, attr) for st in styles]
        assert len(set(values)) == len(values), (attr, values)
    ranks = [presentation.rank(s) for s in EVERY_STATUS]
    assert sorted(ranks) == list(range(len(EVERY_STATUS)))
    assert presentation.label(VerdictStatus.COVERED_FOR_USE) == "Covered for use"
    assert presentation.worst([]) == NOT_JUDGED
    assert presentation.worst(["not_covered", "likely_covered", "covered_for_use"]) == (
        "covered_for_use"
    )
    assert {s.value for s in VerdictStatus if s.flagged} == presentation.FLAGGED


def test_colours_are_hex_and_readable() -> None:
    for status in STATUS_ORDER:
        st = presentation.style(status)
        assert re.fullmatch(r"#[0-9a-f]{6}", st.colour), st
        assert re.fullmatch(r"#[0-9a-f]{6}", st.text_colour), st
        assert re.fullmatch(r"[0-9A-F]{6}", st.fill), st
        assert st.explanation and st.shape


# -- (2) GUI, PDF and XLSX take label and colour from core.presentation ---------------------


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_gui_badge_paints_the_presentation_colour(qapp: Any, status: str) -> None:
    st = presentation.style(status)
    image = badges.pixmap(status, 48).toImage()
    painted = {
        image.pixelColor(x, y).rgb()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() == 255
    }
    # Filled shapes show the colour itself; the hollow triangle only its (darker) outline.
    colour = QColor(st.colour)
    expected = colour.darker(120) if st.shape == "hollow-triangle" else colour
    assert expected.rgb() in painted, (status, st.colour)
    assert not badges.icon(status).isNull()


@pytest.mark.parametrize("status", list(VerdictStatus))
def test_gui_verdict_cell_reads_as_presentation_says(qapp: Any, status: VerdictStatus) -> None:
    st = presentation.style(status)
    model = DeviceTableModel()
    model.set_policies(["ndaa889"])
    model.set_devices(_devices((status,)))
    cell = model.index(0, model.columnCount() - 3)  # the verdict column
    assert model.data(cell) == st.label
    assert model.data(cell, Qt.ItemDataRole.BackgroundRole).color() == QColor(st.colour)
    assert model.data(cell, Qt.ItemDataRole.ForegroundRole).color() == QColor(st.text_colour)
    shown = QTextDocument()  # what Qt's tooltip renderer shows
    shown.setHtml(model.data(cell, Qt.ItemDataRole.ToolTipRole))
    assert shown.toPlainText().startswith(f"{st.label}: {st.explanation}")
    details = verdicts_html(model.devices[0].verdicts)
    assert f"background:{st.colour};color:{st.text_colour}" in details
    assert html.escape(st.label) in details


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_pdf_verdict_cell_and_text_read_as_presentation_says(status: str) -> None:
    st = presentation.style(status)
    table = report_pdf._grid([["Verdict"], [report_pdf._verdict_cell(status)]], [200.0])
    assert table._cellvalues[1][0] == st.label
    backgrounds = {cmd[1]: cmd[3] for cmd in table._bkgrndcmds if cmd[0] == "BACKGROUND"}
    assert backgrounds[(0, 1)] == colors.HexColor(st.colour)
    assert table._cellStyles[1][0].color == colors.HexColor(st.text_colour)
    markup = report_pdf._status(status)
    assert f'color="{st.text_colour}"' in markup and f'backColor="{st.colour}"' in markup
    assert st.label in markup


def test_xlsx_verdict_cells_take_the_presentation_fill(tmp_path: Path) -> None:
    record = scan(_devices(tuple(VerdictStatus)))
    record.id = 1
    path = tmp_path / "inv.xlsx"
    write_xlsx(build_report_data(record, ReportMeta(generated_at=T0)), path)
    ws = load_workbook(path)["Inventory"]
    column = [c.value for c in ws[1]].index("NDAA §889") + 1  # the display name heads it
    seen = {}
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row, column)
        seen[cell.value] = (cell.fill.fill_type, cell.fill.fgColor.rgb)
    assert set(seen) == {presentation.label(s) for s in VerdictStatus}  # labels, not codes
    by_label = {presentation.label(s): s for s in VerdictStatus}
    for text, (kind, rgb) in seen.items():
        assert kind == "solid"
        assert rgb[-6:] == presentation.style(by_label[text]).fill, text


# -- (3) the identity sentence is the same on screen and in the PDF ------------------------

NAMES = {"hikvision": "Hikvision", "ezviz": "EZVIZ", "annke": "Annke", "lorex": "Lorex"}
IDENTITIES: tuple[tuple[str, str | None, str | None, Relationship], ...] = (
    ("oem", "hikvision", "annke", Relationship.OEM),
    ("subsidiary", "hikvision", "ezviz", Relationship.SUBSIDIARY),
    ("own brand", "hikvision", "hikvision", Relationship.OWN_BRAND),
    ("brand only", None, "lorex", Relationship.UNKNOWN),
    ("unknown", None, None, Relationship.UNKNOWN),
)


def _identity_devices() -> list[Device]:
    out = []
    for i, (_, maker, brand, relationship) in enumerate(IDENTITIES, start=1):
        # Covered or unknown: every one is a finding, so the PDF prints its identity sentence.
        status = VerdictStatus.COVERED if maker else VerdictStatus.UNKNOWN
        dev = device(f"198.18.0.{i}", f"02:00:00:00:01:{i:02x}", maker, brand, status)
        assert dev.identity is not None
        dev.identity = dataclasses.replace(dev.identity, relationship=relationship)
        out.append(dev)
    return out


def _screen_sentence(dev: Device) -> str:
    found = re.search(r"<h2>(.*?)</h2>", identity_html(dev, NAMES))
    assert found is not None
    return html.unescape(found.group(1))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_identity_sentence_is_the_same_on_screen_and_in_the_pdf(qapp: Any, tmp_path: Path) -> None:
    devices = _identity_devices()
    record = scan(devices)
    record.id = 1
    pdf = tmp_path / "report.pdf"
    report_pdf.write_pdf(
        build_report_data(record, ReportMeta(generated_at=T0)),
        pdf,
        report_pdf.PdfOptions(names=NAMES),
    )
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())
    sentences = set()
    for (kind, maker, brand, relationship), dev in zip(IDENTITIES, devices, strict=True):
        screen = _screen_sentence(dev)
        assert screen == presentation.identity_sentence(maker, brand, relationship, NAMES), kind
        assert f"{dev.ip}: {screen} " in text, (kind, screen)
        sentences.add(screen)
    assert len(sentences) == len(IDENTITIES)  # five different identities read differently


def test_what_is_flagged_reads_the_same_in_the_model_and_in_every_view() -> None:
    from core import presentation
    from core.model import VerdictStatus

    assert {s.value for s in VerdictStatus if s.flagged} == presentation.FLAGGED
