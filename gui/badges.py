"""How a verdict looks: a coloured badge with a shape and a word, never colour alone.

Shapes differ per status so the table reads in greyscale and for colour-blind users:
covered = filled octagon (stop), covered_for_use = filled triangle (warning),
likely_covered = hollow triangle, component_risk = diamond, not_covered = circle with a
check, unknown = question mark in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap, QPolygonF

from core.model import VerdictStatus


@dataclass(frozen=True)
class BadgeStyle:
    label: str
    colour: str  # hex, readable with black or white text as `text_colour` says
    text_colour: str
    shape: str
    explanation: str


STYLES: dict[VerdictStatus, BadgeStyle] = {
    VerdictStatus.COVERED: BadgeStyle(
        "Covered",
        "#c62828",
        "#ffffff",
        "octagon",
        "The policy applies to this device as deployed: its maker (or the maker's subsidiary "
        "or affiliate) is named, and any use condition is met by the site profile.",
    ),
    VerdictStatus.COVERED_FOR_USE: BadgeStyle(
        "Covered for use",
        "#ef6c00",
        "#000000",
        "triangle",
        "The maker is named by a use-conditioned rule (e.g. NDAA §889(f)(3)(B)). The device is "
        "covered if used for public safety, government-facility security, critical "
        "infrastructure or national security; the site profile does not declare such use.",
    ),
    VerdictStatus.LIKELY_COVERED: BadgeStyle(
        "Likely covered",
        "#f9a825",
        "#000000",
        "hollow-triangle",
        "Strong but indirect evidence links this device to a covered maker (an OEM rebrand, "
        "or identity evidence that is not conclusive). A person should confirm.",
    ),
    VerdictStatus.COMPONENT_RISK: BadgeStyle(
        "Component risk",
        "#6a1b9a",
        "#ffffff",
        "diamond",
        "The device is not made by a covered maker, but contains a component from one "
        "(e.g. a HiSilicon SoC, a Huawei subsidiary): a possible 'substantial or essential "
        "component' under §889.",
    ),
    VerdictStatus.NOT_COVERED: BadgeStyle(
        "Not covered",
        "#2e7d32",
        "#ffffff",
        "check",
        "The identified maker is not named by this policy.",
    ),
    VerdictStatus.UNKNOWN: BadgeStyle(
        "Unknown",
        "#607d8b",
        "#ffffff",
        "question",
        "Not enough evidence to say who made this device: it needs a person to check.",
    ),
}


def style(status: VerdictStatus) -> BadgeStyle:
    return STYLES[status]


def _polygon(points: list[tuple[float, float]], size: float) -> QPolygonF:
    return QPolygonF([QPointF(x * size, y * size) for x, y in points])


_OCTAGON = [(0.3, 0.05), (0.7, 0.05), (0.95, 0.3), (0.95, 0.7), (0.7, 0.95), (0.3, 0.95),
            (0.05, 0.7), (0.05, 0.3)]  # fmt: skip
_TRIANGLE = [(0.5, 0.05), (0.95, 0.92), (0.05, 0.92)]
_DIAMOND = [(0.5, 0.03), (0.97, 0.5), (0.5, 0.97), (0.03, 0.5)]


def _paint_shape(painter: QPainter, shape: str, colour: QColor, size: float) -> None:
    painter.setPen(QPen(colour.darker(130), max(1.0, size / 12)))
    painter.setBrush(colour)
    if shape == "octagon":
        painter.drawPolygon(_polygon(_OCTAGON, size))
    elif shape in ("triangle", "hollow-triangle"):
        if shape == "hollow-triangle":
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(colour.darker(120), max(2.0, size / 7)))
        painter.drawPolygon(_polygon(_TRIANGLE, size))
    elif shape == "diamond":
        painter.drawPolygon(_polygon(_DIAMOND, size))
    else:
        painter.drawEllipse(QRectF(size * 0.05, size * 0.05, size * 0.9, size * 0.9))


def _paint_glyph(painter: QPainter, shape: str, text_colour: QColor, size: float) -> None:
    glyph = {"octagon": "!", "triangle": "!", "hollow-triangle": "?", "diamond": "◆",
             "check": "✓", "question": "?"}[shape]  # fmt: skip
    if shape == "diamond":
        return
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(size * 0.55)))
    painter.setFont(font)
    painter.setPen(text_colour if shape != "hollow-triangle" else QColor("#000000"))
    rect = QRectF(0, size * 0.08 if "triangle" in shape else 0, size, size)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)


@cache
def pixmap(status: VerdictStatus, size: int = 16) -> QPixmap:
    """The badge icon for a status (cached; call only on the GUI thread)."""
    st = STYLES[status]
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _paint_shape(painter, st.shape, QColor(st.colour), float(size))
    _paint_glyph(painter, st.shape, QColor(st.text_colour), float(size))
    painter.end()
    return pix


def icon(status: VerdictStatus) -> QIcon:
    ico = QIcon()
    for size in (16, 24, 32, 48):
        ico.addPixmap(pixmap(status, size))
    return ico
