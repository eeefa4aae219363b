"""Canonical JSON and its SHA-256: the fingerprint printed on every report page.

Canonical form: keys sorted, no insignificant whitespace, UTF-8 (no ``\\u`` escapes for
non-ASCII), NaN and infinities refused.  Parsing a pretty-printed copy and canonicalising it
again gives the same bytes, so a reader can check a report against any JSON copy of its data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

HASH_LABEL = "SHA-256"


def _dumps(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def is_lazy(value: Any) -> bool:
    """A sequence read as it is iterated (a report's device list straight from the store)."""
    return isinstance(value, Sequence) and not isinstance(value, (list, tuple, str, bytes))


def canonical_chunks(data: Any) -> Iterator[bytes]:
    """The canonical JSON of ``data`` in pieces: a lazy sequence inside is streamed, never held
    whole (a report of a million devices hashes and writes in little memory)."""
    if isinstance(data, dict) and any(is_lazy(v) for v in data.values()):
        yield b"{"
        for i, key in enumerate(sorted(data)):
            yield (b"," if i else b"") + _dumps(str(key)) + b":"
            yield from canonical_chunks(data[key])
        yield b"}"
    elif is_lazy(data):
        yield b"["
        for i, item in enumerate(data):
            yield (b"," if i else b"") + _dumps(item)
        yield b"]"
    else:
        yield _dumps(data)


def canonical_bytes(data: Any) -> bytes:
    return b"".join(canonical_chunks(data))


def sha256_hex(data: Any) -> str:
    """The SHA-256 (lowercase hex) of the canonical JSON of ``data``."""
    digest = hashlib.sha256()
    for chunk in canonical_chunks(data):
        digest.update(chunk)
    return digest.hexdigest()


def normalise(data: Any) -> Any:
    """``data`` as it reads back from JSON (tuples become lists), to compare like with like."""
    return json.loads(canonical_bytes(data))
