"""One sanitiser for untrusted text, with one function per place the text leaves the program.

Every byte from a device or an imported file is hostile (docs/design.md): a model string can hold
``ESC[2J`` (clears the screen), ``ESC]0;...BEL`` (retitles the window), a line break that forges
an extra row of output, a right-to-left override that shows ``exe.pdf`` as ``fdp.exe``, a
character an XLSX file cannot hold, or ``=HYPERLINK(...)`` that a spreadsheet runs as a formula.
What each exit does with it:

=========  ====================================================================================
terminal   :func:`terminal_safe`: C0 and C1 controls, ESC, DEL, line/paragraph separators,
           bidirectional controls and lone surrogates shown as visible escapes (``\\x1b``,
           ``\\u202e``), so the text reads as one line and changes nothing on the screen;
           cut to a stated length.  Prose from a file (a policy pack) keeps its line breaks:
           :func:`terminal_text`.  JSON printed for a terminal: :func:`json_text`.
XLSX       :func:`xlsx_text`: what the XML of a worksheet cannot hold (C0 controls other than
           TAB, LF and CR; lone surrogates; U+FFFE and U+FFFF) shown as the same visible
           escapes, so nothing is silently dropped; text over Excel's 32,767 characters a cell
           is cut with a marker saying how much is left out.  Formula-like text is kept as
           text by the writer (a string cell with the quote-prefix style).
CSV        :func:`csv_cell`: the data unchanged, except that a cell a spreadsheet would run
           as a formula (it starts with ``= + - @``, TAB or CR, also after leading blanks)
           gets a leading ``'``.  That is the OWASP advice; Excel and LibreOffice show the
           cell as text and hide the quote.  A program reading the CSV sees the ``'``: the
           JSON export is the exact copy.  Lone surrogates (not encodable) become escapes.
JSON       :func:`json_text`: the data unchanged once parsed; DEL, C1 controls, separators,
           bidirectional controls and lone surrogates written as ``\\uXXXX`` JSON escapes
           (C0 controls are escaped by JSON itself), so a file shown with ``cat`` is safe too.
PDF        :func:`pdf_text`: the terminal's visible escapes (text, never markup: the report
           escapes ``< > &`` after this, inventory.report_pdf), cut to the cell limit.
Qt         device strings are set as plain text (gui/): Qt interprets nothing.
=========  ====================================================================================

The visible escape leaves a backslash alone, so a device string that holds a literal ``\\x1b``
reads like one that holds ESC: the exports are for people, the JSON export keeps the exact
data.
"""

from __future__ import annotations

import json
import re
from typing import Any

# The Unicode line and paragraph separators; the bidirectional marks, embeddings, overrides and
# isolates (U+061C, U+200E/F, U+202A..E, U+2066..9); lone surrogates.
_UNICODE = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_TERMINAL = re.compile(f"[\x00-\x1f\x7f-\x9f{_UNICODE}]")  # and the controls: C0, DEL, C1
# What XML 1.0 (and so a worksheet) cannot hold: https://www.w3.org/TR/xml/#charsets
_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Escaped in JSON text beyond what json.dumps escapes itself (C0 controls, quote, backslash).
_JSON = re.compile(f"[\x7f-\x9f{_UNICODE}]")
_SURROGATE = re.compile("[\ud800-\udfff]")

_FORMULA_START = frozenset("=+-@\t\r")

XLSX_MAX_CELL = 32_767  # Excel's limit on the characters of one cell
TERMINAL_LIMIT = 200  # characters of one untrusted value on a line of output


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _cut(text: str, limit: int | None, mark: str = "...") -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[:limit] + f"{mark} (+{len(text) - limit} chars)"


def visible(text: str) -> str:
    """``text`` with every control, separator, bidi control and lone surrogate escaped."""
    return _TERMINAL.sub(_escape, text)


def terminal_safe(text: object, limit: int | None = TERMINAL_LIMIT) -> str:
    """``text`` as printable characters on one line: controls escaped, cut to ``limit``."""
    return _cut(visible(str(text)), limit)


def terminal_text(text: object) -> str:
    """Multi-line prose from a file (a policy pack's description) for a terminal: line breaks
    and tabs kept, every other control escaped as in :func:`terminal_safe`; not cut."""
    return _TERMINAL.sub(lambda m: m.group() if m.group() in "\n\t" else _escape(m), str(text))


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` is not encodable Unicode (a JSON ``"\\ud800"`` gives such a string)."""
    return _SURROGATE.search(text) is not None


def json_text(
    value: Any, *, indent: int | None = None, sort_keys: bool = False, allow_nan: bool = True
) -> str:
    """``value`` as JSON that parses back to ``value`` and is safe to show on a terminal."""
    text = json.dumps(
        value, indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=allow_nan
    )
    return _JSON.sub(_json_escape, text)


def xlsx_text(text: str) -> str:
    """``text`` as a worksheet can hold it: forbidden characters escaped, length capped."""
    value = _XLSX.sub(_escape, text)
    if len(value) <= XLSX_MAX_CELL:
        return value
    mark = f"... (cut: {len(value):,} characters in all, see the JSON export)"
    return value[: XLSX_MAX_CELL - len(mark)] + mark


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or a DDE payload)."""
    if not text:
        return False
    if text[0] in _FORMULA_START:
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in _FORMULA_START


def csv_cell(value: str | float | None) -> str | float | None:
    """A CSV cell: formula-like text gets a leading ``'``; anything else is left as it is."""
    if not isinstance(value, str):
        return value
    text = _SURROGATE.sub(_escape, value)
    return "'" + text if is_formula_like(text) else text


def pdf_text(text: str, limit: int | None = None) -> str:
    """Device text to draw in the PDF report: controls visible, cut to ``limit``."""
    return _cut(visible(text), limit, "…")
