"""Canonical JSON and its SHA-256: the fingerprint printed on every report page.

Canonical form: keys sorted, no insignificant whitespace, UTF-8 (no ``\\u`` escapes for
non-ASCII), NaN and infinities refused.  Parsing a pretty-printed copy and canonicalising it
again gives the same bytes, so a reader can check a report against any JSON copy of its data.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

HASH_LABEL = "SHA-256"


def canonical_bytes(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: Any) -> str:
    """The SHA-256 (lowercase hex) of the canonical JSON of ``data``."""
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def normalise(data: Any) -> Any:
    """``data`` as it reads back from JSON (tuples become lists), to compare like with like."""
    return json.loads(canonical_bytes(data))
