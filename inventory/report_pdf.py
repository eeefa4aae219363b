"""The PDF sign-off report (reportlab platypus; charts with reportlab.graphics).

Layout: title page (who, where, when, scope, data versions); summary (counts by verdict and by
maker with charts, policies and citations, the FAR 52.204-25 reminder when covered equipment
was found); findings (each covered / likely covered / component-risk / unknown device with its
identity, evidence chain, policy entry, citation and disposition); the full inventory (a table
that splits across pages with its header repeated); the sign-off block with the reasonable-
inquiry scope of FAR 4.2101.  Every page footer prints the SHA-256 of the report's canonical
JSON data and "page X of Y"; the hash is also in the PDF keywords for ``report verify``.

Everything printed comes from the report data dict (inventory.report_data); device text is
text, never markup: its control, bidirectional and separator characters are shown as visible
escapes (``\\x1b``, core.sanitize.pdf_text), then ``< > &`` are escaped before it reaches
reportlab's paragraph parser (a model ``<font size=60>`` prints as those characters).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from core import __version__, presentation
from core.sanitize import pdf_text
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
    """Device text for display: lists joined, control characters made visible, length capped."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return pdf_text(str(value), limit)


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
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=bold,
            fontSize=9.5,
            leading=12,
            spaceBefore=4,
            spaceAfter=2,
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

NA = "not_applicable"
REASON_SKIP = ("Since ", "Rule: ")  # dated history and the rule line (the citation says it)
MAX_REASONS = 3


def _binding(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The policies that bind the site, the site's main policy first."""
    return [p for p in data["policies"] if p.get("applies", True)]


def _not_binding(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in data["policies"] if not p.get("applies", True)]


def _name(policy: Mapping[str, Any]) -> str:
    return str(policy.get("name") or presentation.display_name(policy["id"]))


def _flagged_under(rec: Mapping[str, Any], policies: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        rec["verdicts"].get(p["id"], {}).get("status") in presentation.FLAGGED for p in policies
    )


def _open(rec: Mapping[str, Any]) -> bool:
    return rec["status"] in FINDING_STATUSES and not rec["disposition"]


def _site_text(site: Mapping[str, Any]) -> str:
    return (
        f"jurisdictions: {', '.join(site['jurisdictions']) or 'none declared'}; "
        f"uses: {', '.join(site['uses'])}; rules as of {site['assessment_date']}"
    )


def _scan_text(scan: Mapping[str, Any]) -> str:
    options = ", ".join(f"{k}={v}" for k, v in sorted(scan["options"].items()))
    when = f"{scan['started_at']} to {scan['ended_at'] or 'not finished'}"
    return when + (f"; options: {options}" if options else "")


def _organisation(site: Mapping[str, Any]) -> str:
    org = site.get("organisation")
    if org:
        return presentation.ORGANISATION_LABELS.get(str(org), str(org))
    return "not declared: every pack in the site's jurisdictions is judged as if it binds the site"


def _front_page(data: Mapping[str, Any], width: float) -> list[Any]:
    """Page 1: what a signer needs to decide, before any detail."""
    meta, scan, counts = data["meta"], data["scan"], data["counts"]
    site, scope, devices = scan["site_profile"], data["scope"], data["devices"]
    binding = _binding(data)
    flagged = [r for r in devices if _flagged_under(r, binding)]
    open_ = [r for r in devices if _open(r)]
    unknown = [r for r in devices if r["status"] in (presentation.NOT_JUDGED, "unknown")]
    out: list[Any] = [
        _p("Camera inventory audit: sign-off report", "title"),
        _p(
            "Covered telecommunications and video surveillance equipment, "
            f"scan #{scan['id']} ({scan['status']})",
            "subtitle",
        ),
        Spacer(1, 8),
        _kv(
            [
                ("Organisation", meta["organisation"] or "(not given)"),
                ("Site", meta["site"] or "(not given)"),
                ("Organisation type", _organisation(site)),
                ("Site profile", _site_text(site)),
                ("Report date / run by", f"{meta['generated_at']} / {meta['run_by'] or '?'}"),
                ("Scan", _scan_text(scan)),
                ("Examined", Markup("<br/>".join(clean(x) for x in scope["examined"]))),
                ("Not examined", Markup("<br/>".join(clean(x) for x in scope["not_examined"]))),
            ],
            width,
        ),
        _p("Result", "h2"),
        _p(
            f"<b>{counts['devices']}</b> devices found; <b>{len(flagged)}</b> flagged under a "
            f"policy that binds this site; <b>{len(unknown)}</b> need a person to identify; "
            f"<b>{len(open_)}</b> decisions still open."
        ),
        Spacer(1, 4),
        *_policy_counts(data, binding, width),
    ]
    if not devices:
        out.insert(-1, _p("No device was found in this scan."))
    others = _not_binding(data)
    if others:
        names = "; ".join(_name(p) for p in others)
        out.append(
            _p(f"<b>Not applicable here</b> (they do not bind this site): {clean(names)}.", "small")
        )
    out += _actions(data, binding, flagged, open_)
    out.append(PageBreak())
    return out


def _policy_counts(
    data: Mapping[str, Any], binding: Sequence[Mapping[str, Any]], width: float
) -> list[Any]:
    if not binding:
        return [_p("No policy that binds this site was applied: no verdict to sign off.")]
    shown = [s for s in presentation.STATUS_ORDER if s != NA]
    rows: list[list[Any]] = [["Policy", "Flagged", "Needs a person", "Not covered", "Open"]]
    for policy in binding:
        per = data["counts"]["by_policy"].get(policy["id"], {})
        flagged = sum(n for s, n in per.items() if s in presentation.FLAGGED)
        detail = ", ".join(
            f"{n} {presentation.label(s).lower()}"
            for s in shown
            if s in presentation.FLAGGED and (n := per.get(s, 0))
        )
        judged = [r for r in data["devices"] if policy["id"] in r["verdicts"]]
        open_n = sum(
            1
            for r in judged
            if r["verdicts"][policy["id"]]["status"] in FINDING_STATUSES and not r["disposition"]
        )
        rows.append(
            [
                Markup(f"<b>{clean(_name(policy))}</b>"),
                f"{flagged}" + (f" ({detail})" if detail else ""),
                str(per.get("unknown", 0)),
                str(per.get("not_covered", 0)),
                str(open_n),
            ]
        )
    return [_grid(rows, [width * f for f in (0.24, 0.4, 0.14, 0.12, 0.1)])]


def _actions(
    data: Mapping[str, Any],
    binding: Sequence[Mapping[str, Any]],
    flagged: Sequence[Mapping[str, Any]],
    open_: Sequence[Mapping[str, Any]],
) -> list[Any]:
    out: list[Any] = [_p("What the rules require now", "h2")]
    items: list[str] = []
    for policy in binding:
        duty = policy.get("reporting")
        hits = [r for r in flagged if _flagged_under(r, [policy])]
        if not duty or not hits:
            continue
        steps = "; ".join(
            f"{clean(what)}: within {clean(within)}" for what, within in duty["deadlines"]
        )
        items.append(
            f"<b>{clean(duty['clause'])}</b> ({clean(_name(policy))}, {len(hits)} devices): "
            f"{steps}. Report to: {clean(duty['report_to'])}."
        )
    use = [
        r for r in flagged if any(v["status"] == "covered_for_use" for v in r["verdicts"].values())
    ]
    if use:
        items.append(
            f"<b>Confirm the use</b> of {len(use)} devices covered only if used for public "
            "safety, government-facility security, critical infrastructure or national "
            "security: the site profile does not declare such use."
        )
    if open_:
        ips = ", ".join(r["ip"] or r["key"] for r in open_[:12])
        more = f" and {len(open_) - 12} more" if len(open_) > 12 else ""
        items.append(
            f"<b>Decide</b> on {len(open_)} flagged or unidentified devices with no recorded "
            f"decision: {clean(ips)}{more} (see Findings)."
        )
    if not items:
        items.append("No action is required by the policies that bind this site.")
    out += [
        _p("• " + text, "box" if i == 0 and data["far_reminder"] else "body")
        for i, text in enumerate(items)
    ]
    return out


def _reasons(verdict: Mapping[str, Any]) -> list[str]:
    """The reasons that decide a verdict (dated history and the rule line left to the JSON)."""
    kept = [r for r in verdict["reasons"] if not str(r).startswith(REASON_SKIP)]
    return kept or list(verdict["reasons"][:1])


def _finding(
    rec: Mapping[str, Any],
    binding: Sequence[Mapping[str, Any]],
    width: float,
    names: Mapping[str, str] | None,
) -> list[Any]:
    """One compact block: identity, decisive evidence, the verdicts that matter, the decision."""
    title = (
        f"{clean(rec['ip'] or rec['key'])}: {clean(identity_line(rec, names))}"
        f" &nbsp; {_status(rec['status'])}"
    )
    facts = [
        f"MAC {rec['mac'] or 'not seen'}",
        f"model {rec['model'] or '?'}",
        f"firmware {rec['firmware'] or '?'}",
        f"serial {rec['serial'] or 'not reported'}",
        f"location {rec['location'] or 'not recorded'}",
        f"identity confidence {rec['confidence']:.2f}",
    ]
    if rec["component_flags"]:
        facts.append("components: " + ", ".join(rec["component_flags"]))
    reasons = sorted(rec["reasons"], key=lambda r: -r["weight"])[:3]
    evidence = (
        "; ".join(
            f"{r['field']} = {plain(r['value'], 60)} → {r['indicates'] or '?'} ({r['weight']:.2f})"
            for r in reasons
        )
        or "no identifying evidence: needs a person to look"
    )
    if rec["conflicts"]:
        evidence += "; conflicting: " + "; ".join(
            f"{r['field']} = {plain(r['value'], 60)} → {r['indicates'] or '?'}"
            for r in rec["conflicts"][:2]
        )
    rows: list[list[Any]] = [["Policy", "Verdict", "Why", "Citation"]]
    quiet: list[str] = []
    for policy in binding:
        v = rec["verdicts"].get(policy["id"])
        if v is None:
            continue
        if v["status"] not in FINDING_STATUSES:
            quiet.append(f"{clean(_name(policy))}: {_status(v['status'])}")
            continue
        kept = _reasons(v)
        why = "<br/>".join(clean(x, 260) for x in kept[:MAX_REASONS])
        if len(kept) > MAX_REASONS:
            why += f"<br/><i>+{len(kept) - MAX_REASONS} more in the report data</i>"
        cite = _citation(v["citations"][0], url=False) if v["citations"] else Markup("-")
        rows.append([_name(policy), _verdict_cell(v["status"]), Markup(why), cite])
    parts: list[Any] = [
        _p(title, "h3"),
        _p(clean(" · ".join(facts)), "small"),
        _p(f"<b>Decisive evidence:</b> {clean(evidence)}", "small"),
    ]
    if len(rows) > 1:
        parts.append(_grid(rows, [width * f for f in (0.14, 0.13, 0.45, 0.28)]))
    if quiet:
        parts.append(_p("<b>Other verdicts:</b> " + "; ".join(quiet), "small"))
    decision = disposition_text(rec)
    parts.append(
        _p(
            f"<b>Decision:</b> {clean(decision)}"
            if decision
            else "<b>Decision:</b> none recorded (open)",
            "small",
        )
    )
    return [KeepTogether(parts), Spacer(1, 8)]


def _findings(data: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:
    found = [r for r in data["devices"] if r["status"] in FINDING_STATUSES]
    binding = _binding(data)
    intro = _p(f"Findings ({len(found)} devices)", "h1")
    if not found:
        return [
            intro,
            _p("No covered, likely covered, component-risk or unknown device was found."),
        ]
    blocks = [b for rec in found for b in _finding(rec, binding, width, names)]
    # The heading never stands alone at the foot of a page: it keeps with the first block.
    return [KeepTogether([intro, blocks[0]]), *blocks[1:]]


def _policies(data: Mapping[str, Any], width: float) -> list[Any]:
    binding = _binding(data)
    heading = _p("Policies applied and their sources", "h1")
    if not binding:
        return [heading, _p("No policy that binds this site was applied: verdicts are not judged.")]
    out: list[Any] = []
    for policy in binding:
        per = data["counts"]["by_policy"].get(policy["id"], {})
        verdicts = ", ".join(f"{presentation.label(s)} {n}" for s, n in per.items()) or "none"
        cites = [_citation(c) for c in policy["citations"]] or [Markup("no citation recorded")]
        block = [
            _p(f"{clean(_name(policy))}", "h3"),
            _p(
                f"{clean(policy.get('title') or policy['id'])} (id {clean(policy['id'])}). "
                f"Verdicts: {clean(verdicts)}.",
                "small",
            ),
            _p("<br/>".join(f"• {c}" for c in cites), "small"),
        ]
        out.append(KeepTogether(block))
    out[0] = KeepTogether([heading, out[0]])
    return out


def _citation(c: Mapping[str, Any], url: bool = True) -> Markup:
    """A citation; its URL only where it has the width to stay whole (not in table cells)."""
    text = f"{clean(c['title'])}, {clean(c['clause'])} ({clean(c['date'])})"
    if url:
        text += f' <font size="6.5" color="#1f3a5f">{clean(c["url"])}</font>'
    return Markup(text)


# (header, share of the width, text limit) for the appendix's fixed columns; codes share the rest.
_APPENDIX = (
    ("IP", 0.085),
    ("MAC", 0.115),
    ("Brand / maker", 0.13),
    ("Model", 0.12),
    ("Serial", 0.13),
    ("Location", 0.1),
    ("Decision", 0.12),
)
_CODE_WIDTH = 0.08  # one verdict column (a short code under a wrapped policy name)


def _appendix_row(
    rec: Mapping[str, Any], policies: Sequence[str], names: Mapping[str, str] | None
) -> list[Any]:
    brand, maker = (
        presentation.display_name(rec["brand"], names),
        presentation.display_name(rec["maker"], names),
    )
    who = (brand or "?") + ("" if brand == maker else f" / {maker or '?'}")
    decision = rec["disposition"]["status"].replace("_", " ") if rec["disposition"] else ""
    codes = [
        _code_cell(rec["verdicts"][p]["status"]) if p in rec["verdicts"] else "-" for p in policies
    ]
    return [
        rec["ip"] or "-",
        rec["mac"] or "-",
        who,
        _model_cell(rec),
        rec["serial"],
        rec["location"],
        decision,
        *codes,
    ]


def _model_cell(rec: Mapping[str, Any]) -> str:
    """The model, with the device type when known ("DS-2CD2143G0-I (camera)")."""
    kind = str(rec.get("device_type") or "").replace("_", " ")
    model = rec["model"] or ""
    if kind and model:
        return f"{model} ({kind})"
    return model or kind


def _appendix_widths(rows: Sequence[Sequence[Any]], width: float, codes: int) -> list[float]:
    """Column widths from the text they hold, so no identifier is cut inside a cell.

    Each fixed column gets its widest value (capped); when that is too wide for the page, the
    widest columns give way first (their long text then wraps at spaces and hyphens).
    """
    body, heavy = _fonts()
    slack = 2 * PAD + 1.5
    natural = []
    for c, (head, _) in enumerate(_APPENDIX):
        widest = max(
            (stringWidth(plain(r[c], APPENDIX_CELL), body, CELL_SIZE) for r in rows[1:]),
            default=0.0,
        )
        natural.append(max(widest, stringWidth(head, heavy, CELL_SIZE)) + slack)
    room = width - _CODE_WIDTH * width * codes
    while sum(natural) > room:
        top = max(natural)
        second = max((w for w in natural if w < top), default=top * 0.8)
        cut = min(top - second + 1, sum(natural) - room)
        natural = [w - cut if w == top else w for w in natural]
    spare = room - sum(natural)
    natural = [w + spare / len(natural) for w in natural]
    return natural + [width * _CODE_WIDTH] * codes


def _code_cell(status: str) -> Coloured:
    st = presentation.style(status)
    return Coloured(st.code, st.text_colour, st.colour)


def _legend() -> Any:
    parts = [
        f"<b>{escape(st.code)}</b> {escape(st.label)}"
        for st in map(presentation.style, presentation.STATUS_ORDER)
        if st.status != NA
    ]
    return _p(
        "Codes: "
        + " &nbsp;·&nbsp; ".join(parts)
        + ". Full decisions, evidence and reasons: Findings and the report data (JSON).",
        "small",
    )


def _appendix(data: Mapping[str, Any], width: float, names: Mapping[str, str] | None) -> list[Any]:
    policies = [p for p in _binding(data)]
    ids = [p["id"] for p in policies]
    heads: list[Any] = [h for h, _ in _APPENDIX] + [
        Markup(f"<b>{clean(_name(p))}</b>") for p in policies
    ]
    rows = [heads] + [_appendix_row(r, ids, names) for r in data["devices"]]
    widths = _appendix_widths(rows, width, len(ids))
    return [
        NextPageTemplate("landscape"),
        PageBreak(),
        KeepTogether(
            [
                _p(f"Appendix: full inventory ({len(data['devices'])} devices)", "h1"),
                _legend(),
                Spacer(1, 4),
            ]
        ),
        _grid(rows, widths, long=True, limit=APPENDIX_CELL),
    ]


def _versions(data: Mapping[str, Any]) -> list[str]:
    """The data versions, packs by display name, those that do not bind the site left out."""
    packs = {f"policy:{p['id']}": p for p in data["policies"]}
    out = []
    for key, version in data["scan"]["data_versions"].items():
        pack = packs.get(key)
        if pack is None:
            out.append(f"{key} {version}")
        elif pack.get("applies", True):
            out.append(f"{_name(pack)} {version}")
    return out


def _signoff(data: Mapping[str, Any], width: float) -> list[Any]:
    meta = data["meta"]
    statement = (
        "This report records a reasonable inquiry in the sense of FAR 4.2101: an inquiry "
        "designed to uncover information in the entity's possession about the identity of the "
        "producer or provider of covered telecommunications equipment or services. What was "
        "examined and what was not is listed on page 1; every finding, with its evidence and "
        "citations, is listed under Findings; the full inventory is in the appendix."
    )
    versions = ", ".join(_versions(data)) or "unknown"
    line = "_" * 48
    pairs: list[tuple[str, Any]] = [
        ("Name", meta["signer"] or line),
        ("Role", meta["signer_role"] or line),
        ("Date", line),
        ("Signature", Markup("<br/><br/>" + line)),
    ]
    block = _kv(pairs, width)
    block.setStyle([("TOPPADDING", (0, 0), (-1, -1), 9), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)])
    return [
        KeepTogether(
            [
                _p("Sign-off", "h1"),
                _p(statement),
                _p(f"Data versions: {clean(versions)}.", "small"),
                Spacer(1, 10),
                block,
            ]
        )
    ]


# -- page furniture and assembly -----------------------------------------------------------


def _canvas_class(digest: str) -> type[Any]:
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
            page_width, margin = float(self._pagesize[0]), MARGIN
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
    """Page 1 for the signer; findings; sources; sign-off; the inventory on landscape pages."""
    return [
        *_front_page(data, width),
        *_findings(data, width, names),
        Spacer(1, 6),
        *_policies(data, width),
        Spacer(1, 10),
        *_signoff(data, width),
        *_appendix(data, width_landscape(width), names),
    ]


MARGIN = 40.0
BOTTOM = 50.0


def width_landscape(width: float) -> float:
    """The text width of a landscape page whose portrait text width is ``width``."""
    portrait = width + 2 * MARGIN
    return float(_LANDSCAPE_OF.get(round(portrait), portrait)) - 2 * MARGIN


_LANDSCAPE_OF = {round(LETTER[0]): LETTER[1], round(A4[0]): A4[1]}


def write_pdf(data: Mapping[str, Any], path: Path, options: PdfOptions | None = None) -> str:
    """Render the report for ``data`` to ``path``; return the SHA-256 printed in it."""

    opts = options or PdfOptions()
    digest = sha256_hex(data)
    pagesize = A4 if opts.paper.lower() == "a4" else LETTER
    meta = data["meta"]
    doc = BaseDocTemplate(
        str(path),
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM,
        title=f"Camera inventory audit: {meta['organisation'] or 'report'}",
        author=meta["run_by"] or "camaudit",
        subject=f"camaudit sign-off report, scan {data['scan']['id']}",
        keywords=keywords(digest, meta),
        creator=f"camaudit {__version__}",
    )
    wide = landscape(pagesize)
    doc.addPageTemplates(
        [
            PageTemplate("portrait", [_frame(pagesize)], pagesize=pagesize),
            PageTemplate("landscape", [_frame(wide)], pagesize=wide),
        ]
    )
    width = pagesize[0] - 2 * MARGIN
    doc.build(story(data, width, opts.names), canvasmaker=_canvas_class(digest))
    return digest


def _frame(size: tuple[float, float]) -> Frame:
    return Frame(
        MARGIN,
        BOTTOM,
        size[0] - 2 * MARGIN,
        size[1] - MARGIN - BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
