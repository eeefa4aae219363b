"""Keeping secrets out of the database, exports and reports (docs/design.md, "Secrets").

Credentials live in the OS keyring.  A scan's options may still name a credentials file or
carry a password a caller passed through; those keys are dropped before anything is stored,
and any ``user:password@`` in a URL is blanked, so no later export can leak them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Option names that carry or point to secrets (matched as substrings, case-insensitive).
_SECRET_KEY = re.compile(r"pass|secret|token|cred|auth|keyring|private|api_?key", re.IGNORECASE)
# user:password@ inside a URL (rtsp://admin:12345@cam/...).
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
# key=value pairs inside a free string (``--password=x``, ``user=a;pass=b``).
_INLINE_SECRET = re.compile(
    r"(?P<key>[\w.-]*(?:pass|secret|token|cred|auth)[\w.-]*)\s*[=:]\s*\S+", re.IGNORECASE
)
REDACTED = "[redacted]"
_SECRET_HINTS = ("pass", "secret", "token", "cred", "auth")  # _INLINE_SECRET needs one


def is_secret_key(name: str) -> bool:
    return bool(_SECRET_KEY.search(name))


def scrub_text(text: str) -> str:
    """Blank URL credentials and inline ``password=...`` pairs in a string."""
    # Cheap tests first: most values (a MAC, a model) can match neither pattern.
    if "@" in text:
        text = _URL_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    lowered = text.lower()
    if any(hint in lowered for hint in _SECRET_HINTS):
        text = _INLINE_SECRET.sub(lambda m: m.group("key") + "=" + REDACTED, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return redact_options(value)
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def redact_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options with secret-bearing keys removed and secrets inside strings blanked."""
    return {str(k): _clean(v) for k, v in options.items() if not is_secret_key(str(k))}
