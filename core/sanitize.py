"""Untrusted text made safe for a terminal: device strings, file contents, PDF text.

A device's model string or an imported cell can hold ESC sequences (``ESC[2J`` clears the
screen, ``ESC]0;...BEL`` retitles the window), other C0/C1 controls, or newlines that forge
extra lines of output.  :func:`terminal_safe` shows each such character as a visible escape
(``\\x1b``, ``\\n``) so the text reads as one line and changes nothing on the screen.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; plus the Unicode line and paragraph separators and the
# bidirectional overrides that reorder what a terminal shows.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object, limit: int = 200) -> str:
    """``text`` as one printable line: controls escaped, cut to ``limit`` characters."""
    value = _UNSAFE.sub(_escape, str(text))
    if len(value) > limit:
        value = value[:limit] + f"... (+{len(value) - limit} chars)"
    return value
