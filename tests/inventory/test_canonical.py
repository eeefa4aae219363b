"""Canonical JSON hashing and formula neutralising, as properties over arbitrary input."""

from __future__ import annotations

import json
import random

from hypothesis import given
from hypothesis import strategies as st

from inventory.canonical import canonical_bytes, sha256_hex
from inventory.export_common import is_formula_like, neutralise_csv
from inventory.redact import redact_options, scrub_text

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _shuffled(value: object, rng: random.Random) -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@given(JSON, st.integers(0, 2**16))
def test_hash_ignores_key_order_and_whitespace(value: object, seed: int) -> None:
    pretty = json.dumps(_shuffled(value, random.Random(seed)), indent=3, ensure_ascii=True)
    assert sha256_hex(json.loads(pretty)) == sha256_hex(value)


@given(JSON)
def test_canonical_form_is_stable_utf8(value: object) -> None:
    once = canonical_bytes(value)
    assert canonical_bytes(json.loads(once.decode("utf-8"))) == once
    assert b"\n" not in once.replace(b"\\n", b"")


def test_hash_changes_with_any_value() -> None:
    assert sha256_hex({"a": [1, 2]}) != sha256_hex({"a": [2, 1]})
    assert sha256_hex({"a": "x"}) != sha256_hex({"a": "x "})


@given(st.text())
def test_neutralised_csv_text_is_never_a_formula(text: str) -> None:
    out = neutralise_csv(text)
    assert isinstance(out, str)
    assert not is_formula_like(out)
    assert out in (text, "'" + text)


# What a URL's userinfo can hold unescaped (RFC 3986 unreserved, sub-delims, ":" and "%").
USERINFO = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:%"
    ),
    min_size=1,
)


@given(USERINFO)
def test_url_passwords_are_blanked(password: str) -> None:
    text = f"rtsp://admin:{password}@198.18.0.5/live"
    assert scrub_text(text) == "rtsp://[redacted]@198.18.0.5/live"


def test_secret_keys_are_dropped_at_any_depth() -> None:
    options = {
        "rate": 5,
        "probe": {"onvif_password": "x", "user": "admin"},
        "credentials_file": "/etc/cams.toml",
        "Auth-Token": "t",
    }
    assert redact_options(options) == {"rate": 5, "probe": {"user": "admin"}}
