"""The one way discovery parses XML from the network or from files.

Every XML document a device sends is hostile: it may carry an entity bomb ("billion laughs"),
an external entity that reads a local file (XXE), or simply be huge.  ``parse`` refuses all
three through defusedxml (DTDs are forbidden outright: no camera protocol needs one) and a
size limit, and turns every failure into :class:`discovery.base.ParseError`.

Element lookup is namespace-agnostic because vendors disagree on prefixes and namespace URIs
(WS-Discovery 2005 vs 2009, SOAP 1.1 vs 1.2, UPnP descriptions with or without a default
namespace); matching on the local name keeps parsers working across all of them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # the Element type and its errors; parsing is defused
from collections.abc import Iterator

import defusedxml
import defusedxml.ElementTree as DET

from discovery.base import ParseError

MAX_XML_BYTES = 256 * 1024  # a SADP/WSD/UPnP document is a few kB; anything larger is abuse

Element = ET.Element


def parse(data: bytes | str, max_bytes: int = MAX_XML_BYTES) -> ET.Element:
    """Parse ``data`` into an Element tree, or raise ParseError saying why not."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    except UnicodeError as exc:
        raise ParseError(f"XML text cannot be encoded: {exc}") from exc
    if len(raw) > max_bytes:
        raise ParseError(f"XML document too large ({len(raw)} bytes, limit {max_bytes})")
    if not raw.strip():
        raise ParseError("empty XML document")
    try:
        return _parse(raw)
    except (ET.ParseError, ValueError, LookupError) as exc:
        # expat knows only single-byte encodings; GB2312/GBK replies (GB/T 28181 devices)
        # are re-encoded as UTF-8 when Python knows the declared codec.
        if (utf8 := _as_utf8(raw)) is None:
            raise ParseError(f"malformed XML: {exc}") from exc
        try:
            return _parse(utf8)
        except (ET.ParseError, ValueError, LookupError) as again:
            raise ParseError(f"malformed XML: {again}") from again


def _parse(raw: bytes) -> ET.Element:
    try:
        return DET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(f"XML refused (unsafe construct: {type(exc).__name__})") from exc
    except RecursionError as exc:
        raise ParseError("malformed XML: nested too deeply") from exc


_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding=["']([A-Za-z0-9_.:-]{1,40})["'][^>]*\?>""")


def _as_utf8(raw: bytes) -> bytes | None:
    match = _DECLARATION.match(raw)
    if match is None:
        return None
    try:
        text = raw[match.end() :].decode(match.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None
    return text.encode("utf-8")


def localname(tag: object) -> str:
    """``{urn:ns}Name`` or ``ns:Name`` -> ``Name`` (comments and PIs give "")."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def iter_local(root: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every element below (and including) ``root`` whose local name is ``name``."""
    for element in root.iter():
        if localname(element.tag) == name:
            yield element


def find_local(root: ET.Element, name: str) -> ET.Element | None:
    """The first element named ``name`` (any namespace), depth-first, or None."""
    return next(iter_local(root, name), None)


def text_of(root: ET.Element, name: str) -> str | None:
    """Stripped text of the first element named ``name``, or None if absent or empty."""
    element = find_local(root, name)
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def children_text(element: ET.Element) -> dict[str, str]:
    """Direct leaf children of ``element`` as {localname: stripped text} (first one wins)."""
    out: dict[str, str] = {}
    for child in element:
        name = localname(child.tag)
        if name and len(child) == 0:
            out.setdefault(name, (child.text or "").strip())
    return out
