"""JSON from a file or a user, parsed within stated limits: one clear error, never a traceback.

Python's own limits surface as exceptions from deep inside the interpreter (a RecursionError
for nesting near 1,000 levels, a ValueError naming ``sys.set_int_max_str_digits`` for an
integer of 4,301 digits or more); JSON that parses may still be nested deeply enough to break
the code that walks it, or hold a lone surrogate (``"\\ud800"``): a Python string that no
UTF-8 file, database or terminal accepts.  :func:`load_json` turns all of them into
:class:`JsonLimitError`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from core.sanitize import has_lone_surrogate, terminal_safe

MAX_DEPTH = 64  # nesting levels; camaudit's own data goes about 8 deep
MAX_FILE_BYTES = 512 * 2**20  # one JSON document read whole (a report's data)
MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300


class JsonLimitError(ValueError):
    """The text is not JSON, or breaks one of the limits above (the message says which)."""


def load_json(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(text)``, refusing nesting deeper than ``max_depth`` and huge integers."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonLimitError(f"nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonLimitError(f"not valid JSON: {exc}") from None
    except ValueError:  # int_max_str_digits: the only other ValueError json raises
        raise JsonLimitError(f"a number longer than {MAX_INT_DIGITS} digits") from None
    if depth(value, max_depth) > max_depth:
        raise JsonLimitError(f"nested deeper than {max_depth} levels")
    escaped = "\\u" in text if isinstance(text, str) else b"\\u" in text
    if escaped and (bad := _lone_surrogate(value)):  # only a \u escape can make one
        shown = terminal_safe(bad, 40)
        raise JsonLimitError(f"a string with a lone UTF-16 surrogate is not text: '{shown}'")
    return value


def _lone_surrogate(value: Any) -> str | None:
    """The first key or string in ``value`` holding a lone surrogate, or None."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def depth(value: Any, stop: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), counted up to ``stop + 1``.

    Iterative, so JSON nested past the interpreter's recursion limit is measured too.
    """
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if not isinstance(item, list):
            continue
        deepest = max(deepest, level + 1)
        if deepest > stop:
            return deepest
        pending.extend((child, level + 1) for child in item)
    return deepest
