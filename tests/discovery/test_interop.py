"""The interop corpus (tests/data/interop): every file parses to what expected.json says, and
Hypothesis rewrites of each (other namespace versions, other or no prefixes, reordered
children, whitespace inside lists, optional elements dropped, the ProbeMatches wrapper
removed) parse to the same fields.

Three kinds of file: WS-Discovery messages (``wsd_*``, our parser), ONVIF device-service
replies and faults (``onvif_*``, decoded by the same WSDL and zeep binding a live probe uses,
faults sorted by :func:`discovery.onvif.classify`), and WS-Transfer GetResponse metadata
(``wst_*``).  ONVIF rewrites keep every namespace (zeep reads by namespace, as the schema
says) and change prefixes and whitespace only.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discovery import onvif, wsd, xmlsafe
from tests.data.interop import CORPUS

EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())
FILES = sorted(p.name for p in CORPUS.glob("*.xml"))
WSD_FILES = [f for f in FILES if EXPECTED.get(f, {}).get("protocol") == "ws-discovery"]
ONVIF_FILES = [f for f in FILES if EXPECTED.get(f, {}).get("protocol") == "onvif"]
WST_FILES = [f for f in FILES if EXPECTED.get(f, {}).get("protocol") == "ws-transfer"]


def test_every_file_has_a_source_and_an_expectation() -> None:
    sources = (CORPUS / "SOURCES.md").read_text()
    listed = set(re.findall(r"`([\w.-]+\.xml)`", sources))
    assert set(FILES) <= listed, "a corpus file without a SOURCES.md row"
    assert set(FILES) == set(EXPECTED), "expected.json and the files differ"
    implementations = {row.split("|")[2].strip() for row in sources.splitlines() if ".xml`" in row}
    assert len(implementations) >= 8, sorted(implementations)  # issue 11 asks for eight
    assert set(WSD_FILES) | set(ONVIF_FILES) | set(WST_FILES) == set(FILES)


# ---------------------------------------------------------------- WS-Discovery


def endpoints(data: bytes) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.kind,
            "relates_to": m.relates_to,
            "endpoint": m.endpoint,
            "types": list(m.types),
            "scopes": list(m.scopes),
            "xaddrs": list(m.xaddrs),
        }
        for m in wsd.parse_message(data)
    ]


@pytest.mark.parametrize("name", WSD_FILES)
def test_each_ws_discovery_message_gives_its_endpoints(name: str) -> None:
    assert endpoints((CORPUS / name).read_bytes()) == EXPECTED[name]["endpoints"]


@pytest.mark.parametrize("name", WSD_FILES)
def test_each_message_becomes_evidence_in_the_vocabulary(name: str) -> None:
    for match in wsd.parse_message((CORPUS / name).read_bytes()):
        fields = match.observation("198.18.0.9").fields
        assert fields["ip"] == "198.18.0.9"
        for key in ("wsd.scopes", "wsd.types", "wsd.xaddrs"):
            assert isinstance(fields.get(key, ()), tuple)
        scopes = fields.get("wsd.scopes", ())
        assert isinstance(scopes, tuple) and not any("%20" in str(s) for s in scopes)


# Namespace URIs a real message may use for the same element, per family.
FAMILIES: list[tuple[str, ...]] = [
    ("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"),
    (wsd.NS_DISCOVERY, "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"),
    (wsd.NS_ADDRESSING, "http://www.w3.org/2005/08/addressing"),
]
OPTIONAL = {"MetadataVersion", "AppSequence", "To", "Action", "MessageID", "ReplyTo"}
LISTS = {"Types", "Scopes", "XAddrs"}
SPACES = st.lists(st.sampled_from([" ", "\n", "\t", "\r\n", "  \n\t "]), min_size=1, max_size=3)


def split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return uri, local
    return "", tag


class Rewrite:
    """One Hypothesis-drawn way to write a message again: same meaning, other text."""

    def __init__(
        self, draw: Callable[[Any], Any], families: list[tuple[str, ...]] = FAMILIES
    ) -> None:
        self.draw = draw
        self.uris = {old: draw(st.sampled_from(choices)) for choices in families for old in choices}
        self.default_ns = draw(st.booleans())  # no prefixes at all
        self.prefixes: dict[str, str] = {}

    def prefix(self, uri: str) -> str:
        if uri not in self.prefixes:
            name = self.draw(st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,5}", fullmatch=True))
            self.prefixes[uri] = f"{name}{len(self.prefixes)}"  # distinct per namespace
        return self.prefixes[uri]

    def element(self, el: xmlsafe.Element) -> str:
        uri, local = split(el.tag)
        uri = self.uris.get(uri, uri)
        if self.default_ns or not uri:
            name, decl = local, f" xmlns={quoteattr(uri)}"
        else:
            name = f"{self.prefix(uri)}:{local}"
            decl = f" xmlns:{self.prefix(uri)}={quoteattr(uri)}"
        attrs = "".join(f" {split(k)[1]}={quoteattr(v)}" for k, v in el.attrib.items())
        children = [c for c in el if split(c.tag)[1] not in OPTIONAL or self.draw(st.booleans())]
        if local in ("Body", "Header") or local in wsd.ENDPOINT_KINDS:
            children = self.draw(st.permutations(children))
        inner = self.text(local, el.text) + "".join(self.element(c) for c in children)
        return f"<{name}{decl}{attrs}>{inner}</{name}>{self.text('', el.tail)}"

    def text(self, local: str, text: str | None) -> str:
        if local in LISTS and text and text.split():
            gaps = self.draw(SPACES)
            words = text.split()
            joined = "".join(w + gaps[i % len(gaps)] for i, w in enumerate(words))
            return escape(self.draw(SPACES)[0] + joined)
        return escape(text or "")


def unwrap(root: xmlsafe.Element) -> None:
    """Put each ProbeMatch (ResolveMatch) straight into the Body, as some firmware does."""
    body = next(c for c in root if split(c.tag)[1] == "Body")
    for wrapper in [c for c in body if split(c.tag)[1] in ("ProbeMatches", "ResolveMatches")]:
        body.remove(wrapper)
        body.extend(list(wrapper))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(WSD_FILES), st.data())
def test_rewritten_messages_give_the_same_endpoints(name: str, data: st.DataObject) -> None:
    root = xmlsafe.parse((CORPUS / name).read_bytes())
    if data.draw(st.booleans()):
        unwrap(root)
    text = Rewrite(data.draw).element(root)
    assert endpoints(text.encode()) == EXPECTED[name]["endpoints"], text


def test_several_probe_matches_in_one_reply_with_or_without_the_wrapper() -> None:
    names = ["wsd_hikvision-ds-2cd3955fwd_probematches.xml", "wsd_wsdd_probematches.xml"]
    first, second = (xmlsafe.parse((CORPUS / n).read_bytes()) for n in names)
    body = next(c for c in first if split(c.tag)[1] == "Body")
    other = next(c for c in second if split(c.tag)[1] == "Body")
    body[0].extend(list(other[0]))  # both ProbeMatch in one ProbeMatches

    wanted = [e for n in names for e in EXPECTED[n]["endpoints"]]
    relates = EXPECTED[names[0]]["endpoints"][0]["relates_to"]
    wanted = [{**e, "relates_to": relates} for e in wanted]  # one header for both
    assert endpoints(ET.tostring(first)) == wanted
    unwrap(first)
    assert endpoints(ET.tostring(first)) == wanted


# ---------------------------------------------------------------- ONVIF replies and faults


def onvif_outcome(name: str, data: bytes) -> dict[str, Any]:
    """What the probe makes of one reply: its evidence fields, or the kind of its fault."""
    expected = EXPECTED[name]
    operation, status = expected["operation"], expected["http_status"]
    try:
        result = onvif.decode_reply(operation, data, status)
    except onvif.OnvifFailure as failure:
        return {"fault": failure.kind}
    fields = onvif.reply_fields(operation, result)
    return {"fields": {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}}


def wanted(name: str) -> dict[str, Any]:
    expected = EXPECTED[name]
    return {"fault": expected["fault"]} if "fault" in expected else {"fields": expected["fields"]}


@pytest.mark.parametrize("name", ONVIF_FILES)
def test_each_onvif_reply_gives_its_fields_or_its_fault(name: str) -> None:
    assert onvif_outcome(name, (CORPUS / name).read_bytes()) == wanted(name)


def test_every_onvif_implementation_refuses_without_a_token_in_its_own_words() -> None:
    faults = [n for n in ONVIF_FILES if "notauthorized" in n]
    assert len({n.split("_")[1] for n in faults}) >= 3  # three servers, three fault spellings
    assert {onvif_outcome(n, (CORPUS / n).read_bytes())["fault"] for n in faults} == {
        "needs_credentials"
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ONVIF_FILES), st.data())
def test_rewritten_onvif_replies_give_the_same_fields(name: str, data: st.DataObject) -> None:
    root = xmlsafe.parse((CORPUS / name).read_bytes())
    text = Rewrite(data.draw, families=[]).element(root)
    assert onvif_outcome(name, text.encode()) == wanted(name), text


# ---------------------------------------------------------------- WS-Transfer metadata


@pytest.mark.parametrize("name", WST_FILES)
def test_each_metadata_reply_gives_its_fields(name: str) -> None:
    assert wsd.parse_metadata((CORPUS / name).read_bytes()) == EXPECTED[name]["fields"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(WST_FILES), st.data())
def test_rewritten_metadata_gives_the_same_fields(name: str, data: st.DataObject) -> None:
    root = xmlsafe.parse((CORPUS / name).read_bytes())
    text = Rewrite(data.draw).element(root)
    assert wsd.parse_metadata(text.encode()) == EXPECTED[name]["fields"], text
