"""The PDF sign-off report (reportlab platypus; charts with reportlab.graphics).

Layout: title page (who, where, when, scope, data versions); summary (counts by verdict and by
maker with charts, policies and citations, the FAR 52.204-25 reminder when covered equipment
was found); findings (each covered / likely covered / component-risk / unknown device with its
identity, evidence chain, policy entry, citation and disposition); the full inventory (a table
that splits across pages with its header repeated); the sign-off block with the reasonable-
inquiry scope of FAR 4.2101.  Every page footer prints the SHA-256 of the report's canonical
JSON data and "page X of Y"; the hash is also in the PDF keywords for ``report verify``.

Everything printed comes from the report data dict (inventory.report_data); device text is
escaped and stripped of control characters before it reaches reportlab's markup parser.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core import __version__, presentation
from inventory.canonical import HASH_LABEL, sha256_hex
from inventory.export_common import disposition_text
from inventory.report_data import FINDING_STATUSES

KEYWORD_HASH = "camaudit-sha256="
KEYWORD_META = "camaudit-meta="
# CJK names (a Chinese OEM's org string) that DejaVu lacks; Debian: fonts-droid-fallback.
FALLBACK_FONT = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
FONT_PATHS = {
    "Body": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "Body-Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
APPENDIX_CELL = 120  # the inventory table stays compact; findings and the JSON have it all
MAX_CELL = 400  # characters of one device value shown in a table cell (the JSON has it all)


@dataclass(frozen=True, slots=True)
class PdfOptions:
    paper: str = "letter"  # or "a4"
    names: Mapping[str, str] | None = None  # catalogue id -> display name


def identity_line(rec: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A device record's identity sentence (core.presentation, as on screen)."""
    return presentation.identity_sentence(rec["maker"], rec["brand"], rec["relationship"], names)


class Markup(str):
    """Text that is already reportlab paragraph markup (escaped, with tags): never re-escaped."""


@dataclass(frozen=True, slots=True)
class Coloured:
    """A short plain cell drawn as a badge (a verdict), cheaper than a styled Paragraph."""

    text: str
    colour: str  # the text's
    background: str


def plain(value: Any, limit: int = MAX_CELL) -> str:
    """Device text for display: lists joined, control characters replaced, length capped."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = _CONTROL.sub("\ufffd", str(value))
    if len(text) > limit:
        text = text[:limit] + f"… (+{len(text) - limit} chars)"
    return text


def clean(value: Any, limit: int = MAX_CELL) -> Markup:
    """Device text made safe to embed in Paragraph markup (CJK runs in the fallback font)."""
    return _markup(plain(value, limit))


def _markup(text: str) -> Markup:
    fallback = _fallback_font() if _needs_fallback(text) else None
    if fallback is None:
        return Markup(escape(text))
    covered = _covered()
    out = []
    for missing, chars in groupby(text, key=lambda ch: ord(ch) not in covered):
        run = escape("".join(chars))
        out.append(f'<font name="{fallback}">{run}</font>' if missing else run)
    return Markup("".join(out))


@cache
def _covered() -> frozenset[int]:
    """The code points the body font draws (empty for the built-in Helvetica: Latin-1 only)."""
    body, _ = _fonts()
    font = pdfmetrics.getFont(body)
    face = getattr(font, "face", None)
    chars = getattr(face, "charToGlyph", None)
    return frozenset(chars) if chars else frozenset(range(256))


def _needs_fallback(text: str) -> bool:
    return any(ord(ch) > 0x24F for ch in text) and any(ord(ch) not in _covered() for ch in text)


@cache
def _fallback_font() -> str | None:
    try:
        pdfmetrics.registerFont(TTFont("Fallback", FALLBACK_FONT))
    except Exception:  # not installed: such characters show as boxes, nothing fails
        return None
    return "Fallback"


# -- fonts and styles ----------------------------------------------------------------------


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans when installed (covers non-Latin names), else the built-in Helvetica."""

    try:
        for name, path in FONT_PATHS.items():
            pdfmetrics.registerFont(TTFont(name, path))
        # So <b> inside paragraph markup picks the bold face.
        for italic in (0, 1):
            addMapping("Body", 0, italic, "Body")
            addMapping("Body", 1, italic, "Body-Bold")
    except Exception:  # a missing or broken font file falls back, never fails
        return "Helvetica", "Helvetica-Bold"
    return "Body", "Body-Bold"


@cache
def _styles() -> dict[str, Any]:

    body, bold = _fonts()
    base = ParagraphStyle("base", fontName=body, fontSize=9, leading=11.5)
    return {
        "body": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=7.5, leading=9, spaceBefore=3, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=22, leading=27),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=16),
        "h1": ParagraphStyle(
            "h1", parent=base, fontName=bold, fontSize=15, leading=19, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3
        ),
        "box": ParagraphStyle(
            "box",
            parent=base,
            borderColor="#b3261e",
            borderWidth=1,
            borderPadding=6,
            backColor="#fdecea",
            spaceBefore=8,
            spaceAfter=12,
        ),
    }


CELL_SIZE = 7.0
CELL_LEADING = 8.4
PAD = 3.0


def _p(text: str, style: str = "body") -> Any:

    return Paragraph(text, _styles()[style])


def _status(status: str) -> Markup:
    """A verdict inside paragraph text: its label on its badge colour, as on screen."""
    st = presentation.style(status)
    return Markup(
        f'<font color="{st.text_colour}" backColor="{st.colour}"><b>&nbsp;{escape(st.label)}'
        "&nbsp;</b></font>"
    )


def _fits(text: str, width: float, bold: bool) -> bool:

    body, heavy = _fonts()
    if "\n" in text:
        return False
    return bool(stringWidth(text, heavy if bold else body, CELL_SIZE) <= width - 2 * PAD - 0.5)


def _cell(
    value: Any, width: float, bold: bool = False, limit: int = MAX_CELL
) -> tuple[Any, list[tuple[str, str]]]:
    """A table cell: a plain string when it fits on one line, else a wrapping Paragraph.

    Plain cells cost a tenth of a Paragraph to lay out, which keeps a 2,000-device report fast.
    Returns the cell and, for Coloured cells, the (TEXTCOLOR / BACKGROUND, colour) commands.
    """
    if isinstance(value, Markup):
        return _p(f"<b>{value}</b>" if bold else value, "cell"), []
    commands: list[tuple[str, str]] = []
    colour = None
    if isinstance(value, Coloured):
        colour = value.colour
        commands.append(("BACKGROUND", value.background))
        value = value.text
    text = plain(value, limit)
    if not _needs_fallback(text) and _fits(text, width, bold):
        return text, commands + ([("TEXTCOLOR", colour)] if colour else [])
    markup: str = _markup(text)
    if bold:
        markup = f"<b>{markup}</b>"
    if colour:
        markup = f'<font color="{colour}">{markup}</font>'
    return _p(markup, "cell"), commands


def _grid(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    header: bool = True,
    long: bool = False,
    bold_first_col: bool = False,
    limit: int = MAX_CELL,
) -> Any:
    """A table with a shaded header row repeated on every page; long text wraps."""

    body, heavy = _fonts()
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), body, CELL_SIZE, CELL_LEADING),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b7c3")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe6ee")),
            ("FONT", (0, 0), (-1, 0), heavy, CELL_SIZE, CELL_LEADING),
        ]
    if bold_first_col:
        style.append(("FONT", (0, 0), (0, -1), heavy, CELL_SIZE, CELL_LEADING))
    cells = []
    for r, row in enumerate(rows):
        out = []
        for c, value in enumerate(row):
            bold = (header and r == 0) or (bold_first_col and c == 0)
            cell, commands = _cell(value, widths[c], bold, limit)
            style += [(cmd, (c, r), (c, r), colors.HexColor(hue)) for cmd, hue in commands]
            out.append(cell)
        cells.append(out)
    cls = LongTable if long else Table
    table = cls(cells, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _kv(pairs: Sequence[tuple[str, Any]], width: float) -> Any:
    return _grid(
        [[k, v] for k, v in pairs], [width * 0.25, width * 0.75], header=False, bold_first_col=True
    )


def _verdict_cell(status: str) -> Coloured:
    """A verdict in a table: its label on its badge colour, as on screen."""
    st = presentation.style(status)
    return Coloured(st.label, st.text_colour, st.colour)


# -- sections ------------------------------------------------------------------------------


def _title_page(data: Mapping[str, Any], width: float) -> list[Any]:

    meta, scan = data["meta"], data["scan"]
    site = scan["site_profile"]
    options = ", ".join(f"{k}={v}" for k, v in sorted(scan["options"].items()))
    scope = [
        ("Scan", f"#{scan['id']} ({scan['status']})"),
        ("Started / ended", f"{scan['started_at']} / {scan['ended_at'] or 'not finished'}"),
        ("Targets", scan["targets"]),
        ("Methods", scan["methods"]),
        ("Policies", scan["policies"] or "none"),
        (
            "Site profile",
            f"uses: {', '.join(site['uses'])}; jurisdictions: "
            f"{', '.join(site['jurisdictions'])}; assessed on {site['assessment_date']}",
        ),
        ("Options", options or "none"),
    ]
    versions = list(scan["data_versions"].items()) or [("data", "unknown")]
    return [
        Spacer(1, 60),
        _p("Camera inventory audit", "title"),
        _p(
            "Sign-off report: covered telecommunications and video surveillance equipment",
            "subtitle",
        ),
        Spacer(1, 24),
        _kv(
            [
                ("Organisation", meta["organisation"] or "(not given)"),
                ("Site", meta["site"] or "(not given)"),
                ("Report date", meta["generated_at"]),
                ("Run by", meta["run_by"] or "(not given)"),
                ("Devices", str(data["counts"]["devices"])),
            ],
            width,
        ),
        _p("Scope", "h2"),
        _kv(scope, width),
        _p("Data versions", "h2"),
        _kv(versions, width),
        PageBreak(),
    ]


def _axis_step(top: int) -> int:
    """A round step (1, 2, 5, 10, 20, 50 ...) giving at most five whole-number ticks."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if top / (m * magnitude) <= 5:
                return m * magnitude
        magnitude *= 10


def _bar_chart(counts: Mapping[str, int], width: float) -> Any:

    body, _ = _fonts()
    drawing = Drawing(width, 150)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 35, width - 40, 105
    chart.data = [list(counts.values())]
    chart.categoryAxis.categoryNames = [presentation.label(s) for s in counts]
    chart.categoryAxis.labels.fontName = body
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    top = max(counts.values() or [0])
    step = _axis_step(max(top, 1))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = -(-max(top, 1) // step) * step
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = body
    chart.valueAxis.labels.fontSize = 7
    chart.bars.strokeColor = None
    for i, status in enumerate(counts):
        chart.bars[(0, i)].fillColor = colors.HexColor(presentation.style(status).colour)
    drawing.add(chart)
    return drawing


PALETTE = (
    "#1f3a5f",
    "#b3261e",
    "#c86400",
    "#1e7e34",
    "#6a4c93",
    "#0b7285",
    "#9a7b00",
    "#80868b",
    "#d6336c",
)


def _pie_chart(makers: Sequence[tuple[str, int]], width: float) -> Any:

    body, _ = _fonts()
    drawing = Drawing(width, 150)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 20, 10, 130, 130
    pie.data = [n for _, n in makers if n] or [1]
    pie.labels = None
    pie.slices.strokeWidth = 0.5
    for i in range(len(pie.data)):
        pie.slices[i].fillColor = colors.HexColor(PALETTE[i % len(PALETTE)])
    drawing.add(pie)
    for i, (name, n) in enumerate(makers):
        y = 135 - i * 13
        fill = colors.HexColor(PALETTE[i % len(PALETTE)])
        drawing.add(Rect(170, y, 8, 8, fillColor=fill, strokeColor=None))
        drawing.add(String(182, y + 1, f"{plain(name, 40)}: {n}", fontName=body, fontSize=7.5))
    return drawing


def _top_makers(by_maker: Mapping[str, int], names: Mapping[str, str] | None) -> list[Any]:
    items = list(by_maker.items())
    top = [
        (presentation.display_name(m, names) if m != "unknown" else "Not identified", n)
        for m, n in items[:8]
    ]
    rest = sum(n for _, n in items[8:])
    return top + ([("Other makers", rest)] if rest else [])


def _summary(data: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:

    counts = data["counts"]
    by_status = counts["by_status"]
    out: list[Any] = [_p("Summary", "h1")]
    if data["far_reminder"]:
        out.append(_p("<b>Reporting reminder.</b> " + escape(data["far_reminder"]), "box"))
    rows: list[list[Any]] = [["Headline verdict", "Devices"]]
    rows += [[_verdict_cell(s), str(n)] for s, n in by_status.items()]
    out += [
        _p("Devices by headline verdict (the most severe over all policies)", "h2"),
        _grid(rows, [width * 0.4, width * 0.15]),
        _bar_chart(by_status, width),
    ]
    makers = _top_makers(counts["by_maker"], names)
    rows = [["Maker", "Devices"]] + [[m, str(n)] for m, n in makers]
    out += [_p("Devices by maker", "h2"), _grid(rows, [width * 0.4, width * 0.15])]
    if makers:  # a pie of nothing would draw one misleading full circle
        out.append(_pie_chart(makers, width))
    else:
        out.append(_p("No device was found in this scan."))
    out += _policies(data, width)
    out.append(PageBreak())
    return out


def _policies(data: Mapping[str, Any], width: float) -> list[Any]:
    out: list[Any] = [_p("Policies applied", "h2")]
    rows: list[list[Any]] = [["Policy", "Verdicts", "Citations"]]
    for policy in data["policies"]:
        per = data["counts"]["by_policy"].get(policy["id"], {})
        verdicts = "<br/>".join(f"{_status(s)}: {n}" for s, n in per.items()) or "none"
        cites = "<br/>".join(_citation(c) for c in policy["citations"]) or "no citation recorded"
        rows.append([policy["id"], Markup(verdicts), Markup(cites)])

    if len(rows) == 1:
        return [*out, _p("No policy was applied: verdicts are not judged.")]
    # The heading stays with (at least the start of) its table.
    return [KeepTogether([*out, _grid(rows, [width * 0.2, width * 0.25, width * 0.55])])]


def _citation(c: Mapping[str, Any]) -> Markup:
    return Markup(
        f"{clean(c['title'])}, {clean(c['clause'])} ({clean(c['date'])})<br/>"
        f'<font size="6.5">{clean(c["url"])}</font>'
    )


def _finding(rec: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:

    title = (
        f"{clean(rec['ip'] or rec['key'])}: {clean(identity_line(rec, names))}"
        f" &nbsp; {_status(rec['status'])}"
    )
    mac = (rec["mac"] or "not seen") + (f" ({rec['mac_method']})" if rec["mac_method"] else "")
    facts: list[tuple[str, Any]] = [
        ("Device key", rec["key"]),
        ("MAC", mac),
        ("Model / firmware", f"{rec['model'] or '?'} / {rec['firmware'] or '?'}"),
        ("Serial", rec["serial"] or "not reported"),
        ("Location", rec["location"] or "not recorded"),
        ("First / last seen", f"{rec['first_seen'] or '?'} / {rec['last_seen'] or '?'}"),
        ("Identity confidence", f"{rec['confidence']:.2f}"),
        ("Disposition", disposition_text(rec) or "none recorded"),
    ]
    if rec["component_flags"]:
        facts.insert(4, ("Component flags", rec["component_flags"]))
    parts = [
        _p(title, "h2"),
        _kv(facts, width),
        *_evidence_chain(rec, width),
        *_verdict_table(rec, width),
    ]
    # One device stays on one page when it fits (a longer one still splits).
    return [KeepTogether(parts), Spacer(1, 6)]


def _evidence_chain(rec: Mapping[str, Any], width: float) -> list[Any]:
    reasons = [(r, "") for r in rec["reasons"]] + [(r, "conflict") for r in rec["conflicts"]]
    if not reasons:
        return [_p("Evidence: no identifying evidence (needs a person to look).", "small")]
    rows: list[list[Any]] = [["Evidence field", "Value", "Rule", "Weight", "Points to"]]
    for r, note in reasons:
        points = (r["indicates"] or "-") + (" (conflict)" if note else "")
        rows.append([r["field"], r["value"], r["rule"], f"{r['weight']:.2f}", points])
    return [_grid(rows, [width * f for f in (0.2, 0.3, 0.25, 0.08, 0.17)])]


def _verdict_table(rec: Mapping[str, Any], width: float) -> list[Any]:
    if not rec["verdicts"]:
        return []
    rows: list[list[Any]] = [["Policy", "Verdict", "Entry and reasons", "Citation"]]
    for name, v in rec["verdicts"].items():
        why = clean(v["entry"] or "-") + "".join(f"<br/>{clean(x)}" for x in v["reasons"])
        cites = "<br/>".join(_citation(c) for c in v["citations"]) or "-"
        rows.append([name, _verdict_cell(v["status"]), Markup(why), Markup(cites)])
    return [_grid(rows, [width * f for f in (0.15, 0.15, 0.3, 0.4)])]


def _findings(data: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:

    found = [r for r in data["devices"] if r["status"] in FINDING_STATUSES]
    out: list[Any] = [_p(f"Findings ({len(found)} devices)", "h1")]
    if not found:
        out.append(_p("No covered, likely covered, component-risk or unknown device was found."))
    for rec in found:
        out += _finding(rec, width, names)
    out.append(PageBreak())
    return out


# (header, share of the page width) for the fixed appendix columns; verdicts share the rest.
_APPENDIX = (
    ("IP", 0.1),
    ("MAC", 0.15),
    ("Brand / maker", 0.13),
    ("Model", 0.12),
    ("Serial", 0.1),
    ("Disposition", 0.1),
    ("Location", 0.1),
)
_VERDICT_SHARE = 1.0 - sum(f for _, f in _APPENDIX)


def _appendix_row(
    rec: Mapping[str, Any], policies: Sequence[str], names: Mapping[str, str] | None
) -> list[Any]:
    brand, maker = (
        presentation.display_name(rec["brand"], names),
        presentation.display_name(rec["maker"], names),
    )
    who = (brand or "?") + ("" if brand == maker else f" / {maker or '?'}")
    verdicts = [
        _verdict_cell(rec["verdicts"][p]["status"]) if p in rec["verdicts"] else "-"
        for p in policies
    ]
    return [
        rec["ip"] or "-",
        rec["mac"] or "-",
        who,
        rec["model"],
        rec["serial"],
        disposition_text(rec),
        rec["location"],
        *verdicts,
    ]


def _appendix(data: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:

    policies = [p["id"] for p in data["policies"]] or []
    heads = [h for h, _ in _APPENDIX] + policies
    share = _VERDICT_SHARE / max(len(policies), 1)
    widths = [width * f for _, f in _APPENDIX] + [width * share] * len(policies)
    if not policies:  # nothing judged: give the spare width to the text columns
        widths = [w / (1 - _VERDICT_SHARE) for w in widths]
    rows = [heads] + [_appendix_row(r, policies, names) for r in data["devices"]]
    return [
        _p(f"Appendix: full inventory ({len(data['devices'])} devices)", "h1"),
        _grid(rows, widths, long=True, limit=APPENDIX_CELL),
        PageBreak(),
    ]


def _signoff(data: Mapping[str, Any], width: float) -> list[Any]:

    meta, scope = data["meta"], data["scope"]
    examined = "".join(f"<br/>• {clean(x)}" for x in scope["examined"])
    not_examined = "".join(f"<br/>• {clean(x)}" for x in scope["not_examined"])
    statement = (
        "This report records a reasonable inquiry in the sense of FAR 4.2101: an inquiry "
        "designed to uncover information in the entity's possession about the identity of the "
        "producer or provider of covered telecommunications equipment or services. "
        "<br/><br/><b>Examined:</b>" + examined + "<br/><br/><b>Not examined:</b>" + not_examined
    )
    line = "_" * 48
    pairs: list[tuple[str, Any]] = [
        ("Name", meta["signer"] or line),
        ("Role", meta["signer_role"] or line),
        ("Date", line),
        ("Signature", Markup("<br/><br/>" + line)),
    ]
    block = _kv(pairs, width)
    block.setStyle([("TOPPADDING", (0, 0), (-1, -1), 9), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)])
    return [KeepTogether([_p("Sign-off", "h1"), _p(statement), Spacer(1, 14), block])]


# -- page furniture and assembly -----------------------------------------------------------


def _canvas_class(digest: str, page_width: float, margin: float) -> type[Any]:
    """A canvas that holds pages back until the end, so each footer can say "of Y"."""

    body, _ = _fonts()

    class FooterCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setStrokeColorRGB(0.7, 0.72, 0.76)
            self.line(margin, 34, page_width - margin, 34)
            self.setFont(body, 6.5)
            self.drawString(margin, 24, f"Report data {HASH_LABEL}: {digest}")
            self.drawRightString(page_width - margin, 24, f"page {self._pageNumber} of {total}")
            self.setFont(body, 6)
            self.drawString(
                margin,
                15,
                f"camaudit {__version__}: check with "
                "'camaudit report verify REPORT.pdf --json DATA.json'",
            )
            self.restoreState()

    return FooterCanvas


def keywords(digest: str, meta: Mapping[str, Any]) -> str:
    packed = base64.urlsafe_b64encode(json.dumps(meta, sort_keys=True).encode()).decode()
    return f"{KEYWORD_HASH}{digest} {KEYWORD_META}{packed}"


def story(data: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:
    return [
        *_title_page(data, width),
        *_summary(data, width, names),
        *_findings(data, width, names),
        *_appendix(data, width, names),
        *_signoff(data, width),
    ]


def write_pdf(data: Mapping[str, Any], path: Path, options: PdfOptions | None = None) -> str:
    """Render the report for ``data`` to ``path``; return the SHA-256 printed in it."""

    opts = options or PdfOptions()
    digest = sha256_hex(data)
    pagesize = A4 if opts.paper.lower() == "a4" else LETTER
    margin = 40.0
    meta = data["meta"]
    doc = SimpleDocTemplate(
        str(path),
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=50,
        title=f"Camera inventory audit: {meta['organisation'] or 'report'}",
        author=meta["run_by"] or "camaudit",
        subject=f"camaudit sign-off report, scan {data['scan']['id']}",
        keywords=keywords(digest, meta),
        creator=f"camaudit {__version__}",
    )
    width = pagesize[0] - 2 * margin
    doc.build(
        story(data, width, opts.names), canvasmaker=_canvas_class(digest, pagesize[0], margin)
    )
    return digest
