"""How a verdict looks: a coloured badge with a shape and a word, never colour alone.

What a status is called, its colour and its shape come from ``core.presentation`` (one
vocabulary for the screen, the PDF and the exports); this module only paints them.  Shapes
differ per status so the table reads in greyscale and for colour-blind users: covered =
filled octagon (stop), covered_for_use = filled triangle (warning), likely_covered = hollow
triangle, component_risk = diamond, not_covered = circle with a check, unknown = question
mark in a circle, not_applicable (and the report's not_judged) = circle with a dash.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap, QPolygonF

from core import presentation
from core.model import VerdictStatus


def _polygon(points: list[tuple[float, float]], size: float) -> QPolygonF:
    return QPolygonF([QPointF(x * size, y * size) for x, y in points])


_OCTAGON = [(0.3, 0.05), (0.7, 0.05), (0.95, 0.3), (0.95, 0.7), (0.7, 0.95), (0.3, 0.95),
            (0.05, 0.7), (0.05, 0.3)]  # fmt: skip
_TRIANGLE = [(0.5, 0.05), (0.95, 0.92), (0.05, 0.92)]
_DIAMOND = [(0.5, 0.03), (0.97, 0.5), (0.5, 0.97), (0.03, 0.5)]
# The glyph drawn over each shape (a diamond carries none: its shape says it all).
_GLYPHS = {"octagon": "!", "triangle": "!", "hollow-triangle": "?", "check": "✓",
           "question": "?", "dash": "–"}  # fmt: skip


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
    else:  # check, question, dash: a disc carrying the glyph
        painter.drawEllipse(QRectF(size * 0.05, size * 0.05, size * 0.9, size * 0.9))


def _paint_glyph(painter: QPainter, shape: str, text_colour: QColor, size: float) -> None:
    glyph = _GLYPHS.get(shape)
    if glyph is None:
        return
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, int(size * 0.55)))
    painter.setFont(font)
    painter.setPen(text_colour if shape != "hollow-triangle" else QColor("#000000"))
    rect = QRectF(0, size * 0.08 if "triangle" in shape else 0, size, size)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)


@cache
def pixmap(status: str | VerdictStatus, size: int = 16) -> QPixmap:
    """The badge icon for a status (cached; call only on the GUI thread)."""
    st = presentation.style(status)
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _paint_shape(painter, st.shape, QColor(st.colour), float(size))
    _paint_glyph(painter, st.shape, QColor(st.text_colour), float(size))
    painter.end()
    return pix


def icon(status: str | VerdictStatus) -> QIcon:
    ico = QIcon()
    for size in (16, 24, 32, 48):
        ico.addPixmap(pixmap(status, size))
    return ico
