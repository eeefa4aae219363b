"""WS-Discovery message parsing with a real Hikvision ProbeMatches (fixtures/README.md)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.netguard import UnsafeNetworkError
from discovery import wsd, xmlsafe
from discovery.base import ParseError, ProbeContext

FIXTURES = Path(__file__).parent / "fixtures"
HIK = (FIXTURES / "wsd_probematches_ds-2cd3955fwd-iws.xml").read_bytes()


def test_real_probe_match_endpoint_types_and_xaddrs():
    (match,) = wsd.parse_message(HIK)
    assert match.kind == "ProbeMatch"
    assert match.relates_to == "uuid:bfe8bb88-03a2-4e1a-904a-59a7d2882649"
    assert match.endpoint == "urn:uuid:18ec6401-3aa0-11b5-83f6-b4a3820fd92d"
    assert match.types == ("dn:NetworkVideoTransmitter", "tds:Device")
    assert match.xaddrs == (
        "http://192.168.0.218/onvif/device_service",
        "http://[fe80::b6a3:82ff:fe0f:d92d]/onvif/device_service",
    )


def test_scopes_are_percent_decoded():
    (match,) = wsd.parse_message(HIK)
    assert "onvif://www.onvif.org/name/HIKVISION DS-2CD3955FWD-IWS" in match.scopes
    assert "onvif://www.onvif.org/hardware/DS-2CD3955FWD-IWS" in match.scopes
    assert "onvif://www.onvif.org/location/city/hangzhou" in match.scopes
    assert len(match.scopes) == 8
    assert not any("%20" in s for s in match.scopes)


def test_observation_uses_the_vocabulary():
    (match,) = wsd.parse_message(HIK)
    obs = match.observation("198.18.0.30")
    assert obs.source == "wsd"
    assert obs.method == "probe"
    assert obs.ip == "198.18.0.30"
    assert obs.fields["wsd.types"] == ("dn:NetworkVideoTransmitter", "tds:Device")
    xaddrs, scopes = obs.fields["wsd.xaddrs"], obs.fields["wsd.scopes"]
    assert isinstance(xaddrs, tuple) and isinstance(scopes, tuple)
    assert xaddrs[0] == "http://192.168.0.218/onvif/device_service"
    assert "onvif://www.onvif.org/name/HIKVISION DS-2CD3955FWD-IWS" in scopes


def test_without_a_source_the_ipv4_xaddr_names_the_host():
    (match,) = wsd.parse_message(HIK)
    assert match.observation(None).ip == "192.168.0.218"


def test_hello_is_recorded_as_hello():
    # A Hello carries the same endpoint body as a ProbeMatch (WS-Discovery 2005/04 §4.1);
    # this one is the fixture's body re-wrapped, since no real Hello capture was found.
    hello = HIK.replace(b"<d:ProbeMatches>", b"").replace(b"</d:ProbeMatches>", b"")
    hello = hello.replace(b"d:ProbeMatch>", b"d:Hello>")
    (match,) = wsd.parse_message(hello)
    assert match.kind == "Hello"
    assert match.observation("198.18.0.30").method == "hello"
    assert match.endpoint == "urn:uuid:18ec6401-3aa0-11b5-83f6-b4a3820fd92d"


def test_our_probe_is_well_formed_and_not_a_reply():
    message = wsd.probe_message("uuid:1234", "dn:NetworkVideoTransmitter")
    root = xmlsafe.parse(message)
    assert xmlsafe.text_of(root, "MessageID") == "uuid:1234"
    assert xmlsafe.text_of(root, "Types") == "dn:NetworkVideoTransmitter"
    assert xmlsafe.text_of(root, "Action") == wsd.NS_DISCOVERY + "/Probe"
    assert wsd.parse_message(message) == []  # heard back, it is no device


def test_untyped_probe_has_no_types_element():
    root = xmlsafe.parse(wsd.probe_message("uuid:5678"))
    assert xmlsafe.find_local(root, "Probe") is not None
    assert xmlsafe.find_local(root, "Types") is None


@pytest.mark.parametrize(
    "payload",
    [b"", b"<x/>", b"<Envelope/>", b"<ProbeMatch>", b"garbage\x00\xff"],
)
def test_malformed_messages_raise_parse_error(payload):
    with pytest.raises(ParseError):
        wsd.parse_message(payload)


def test_entity_bomb_and_xxe_are_refused(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0")
    payloads = [
        b'<!DOCTYPE e [<!ENTITY a "' + b"A" * 1000 + b'"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<e:Envelope xmlns:e='urn:e'><e:Body><Hello>&b;</Hello></e:Body></e:Envelope>",
        f'<!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret}">]>'.encode()
        + b"<Envelope><Body><Hello><Scopes>&x;</Scopes></Hello></Body></Envelope>",
    ]
    for payload in payloads:
        started = time.monotonic()
        with pytest.raises(ParseError) as info:
            wsd.parse_message(payload)
        assert time.monotonic() - started < 1.0
        assert "root:x" not in str(info.value)


def test_a_flood_of_scopes_is_capped():
    scopes = " ".join(f"onvif://www.onvif.org/x/{i}" for i in range(5000))
    message = HIK.replace(b"onvif://www.onvif.org/type/ptz", scopes.encode())
    (match,) = wsd.parse_message(message)
    assert len(match.scopes) == wsd.MAX_ITEMS


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_matches_or_parse_error(data):
    try:
        matches = wsd.parse_message(data)
    except ParseError:
        return
    assert isinstance(matches, list)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_any_scope_and_xaddr_text_gives_matches_or_parse_error(scopes, xaddrs):
    from xml.sax.saxutils import escape

    message = (
        '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" '
        f'xmlns:d="{wsd.NS_DISCOVERY}"><e:Body><d:ProbeMatches><d:ProbeMatch>'
        f"<d:Scopes>{escape(scopes)}</d:Scopes><d:XAddrs>{escape(xaddrs)}</d:XAddrs>"
        "</d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>"
    )
    try:
        matches = wsd.parse_message(message.encode("utf-8", errors="surrogatepass"))
    except ParseError:
        return
    for match in matches:
        match.observation(None)  # must not raise on odd XAddrs


def test_probe_refuses_to_send_from_the_machines_namespace():
    # tests/conftest.py sets CAMAUDIT_LAB_ONLY; outside the lab the probe must not send.
    async def run():
        return [item async for item in wsd.probe(ProbeContext(interface=None, networks=[]))]

    with pytest.raises(UnsafeNetworkError, match="refusing to send"):
        asyncio.run(run())


def test_gb2312_reply_is_read_and_unknown_encodings_are_refused():
    # expat reads no multi-byte encodings; GB/T 28181-era firmware declares GB2312.
    chinese = HIK.replace(b'encoding="UTF-8"', b'encoding="GB2312"').decode()
    chinese = chinese.replace("location/city/hangzhou", "location/city/杭州")
    (match,) = wsd.parse_message(chinese.encode("gb2312"))
    assert "onvif://www.onvif.org/location/city/杭州" in match.scopes
    with pytest.raises(ParseError, match="unknown encoding"):
        wsd.parse_message(HIK.replace(b'encoding="UTF-8"', b'encoding="x-bogus"'))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["UTF-8", "GB2312", "latin-1", "utf-16", "nope"]))
def test_any_declared_encoding_gives_a_tree_or_parse_error(text, encoding):
    from xml.sax.saxutils import escape

    document = f'<?xml version="1.0" encoding="{encoding}"?><a>{escape(text)}</a>'
    try:
        root = xmlsafe.parse(document.encode("utf-8", errors="surrogatepass"))
    except ParseError:
        return
    assert xmlsafe.localname(root.tag) == "a"


def test_receive_buffer_holds_a_burst_of_200_replies():
    # lab-facts.md: 200 ProbeMatches within ~50 ms overflow the default 208 kB buffer.
    import os
    import socket

    from discovery import udp

    sock = udp.open_socket(ProbeContext(interface=None, networks=[]))
    try:
        size = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        sock.close()
    if os.geteuid() == 0:
        assert size >= udp.RCVBUF_BYTES
    else:
        assert size > 0


# ---------------------------------------------------------------- issue 11: what counts as ours


def _match(kind: str = "ProbeMatch", relates_to: str = "") -> wsd.Match:
    return wsd.Match(kind, relates_to, "urn:uuid:1", ("dn:NetworkVideoTransmitter",), (), ())


OURS = {"uuid:ours-typed": "dn:NetworkVideoTransmitter", "uuid:ours-untyped": ""}


@pytest.mark.parametrize(
    ("match", "on_probe_socket", "verdict"),
    [
        (_match(relates_to="uuid:ours-typed"), True, "matched"),
        (_match(relates_to="uuid:ours-untyped"), False, "matched"),  # multicast back to us
        (_match(relates_to=""), True, "missing"),  # firmware that leaves RelatesTo out
        (_match(relates_to="uuid:someone-else"), True, "different"),  # echoes a wrong id
        (_match(relates_to=""), False, None),  # on the group: somebody else's answer
        (_match(relates_to="uuid:someone-else"), False, None),
        (_match("Hello"), False, ""),
        (_match("Bye"), True, ""),
    ],
)
def test_a_reply_on_our_probe_socket_is_ours_whatever_its_relates_to(
    match: wsd.Match, on_probe_socket: bool, verdict: str | None
) -> None:
    assert wsd.accept(match, OURS, on_probe_socket) == verdict


def test_how_relates_to_matched_is_kept_as_evidence() -> None:
    obs = _match(relates_to="").observation("198.18.0.30", "missing")
    assert obs.fields["wsd.relates_to"] == "missing"
    assert "wsd.relates_to" not in _match("Hello").observation("198.18.0.30").fields


def test_bare_probe_match_without_the_wrapper_and_several_in_one_body() -> None:
    # The issue 11 camera: ProbeMatch straight in the Body, no ProbeMatches, no RelatesTo.
    single = HIK.replace(b"<d:ProbeMatches>", b"").replace(b"</d:ProbeMatches>", b"")
    single = single.replace(b"<wsadis:RelatesTo>uuid:bfe8bb88-03a2-4e1a-904a-59a7d2882649", b"")
    single = single.replace(b"</wsadis:RelatesTo>", b"")
    (match,) = wsd.parse_message(single)
    assert (match.kind, match.relates_to) == ("ProbeMatch", "")
    assert "onvif://www.onvif.org/name/HIKVISION DS-2CD3955FWD-IWS" in match.scopes
    start, end = single.index(b"<d:ProbeMatch>"), single.index(b"</d:ProbeMatch>") + 15
    double = single[:end] + single[start:end] + single[end:]
    assert len(wsd.parse_message(double)) == 2


def test_bye_is_parsed_and_recorded_as_bye() -> None:
    bye = HIK.replace(b"<d:ProbeMatches>", b"").replace(b"</d:ProbeMatches>", b"")
    bye = bye.replace(b"d:ProbeMatch>", b"d:Bye>")
    (match,) = wsd.parse_message(bye)
    obs = match.observation("198.18.0.30", wsd.accept(match, OURS, False) or "")
    assert obs.method == "bye"
    assert obs.fields["wsd.endpoint"] == "urn:uuid:18ec6401-3aa0-11b5-83f6-b4a3820fd92d"
    bare = wsd.Match("Bye", "", "urn:uuid:9", (), (), ()).observation("198.18.0.31")
    assert set(bare.fields) == {"wsd.endpoint", "ip"}  # no empty lists for a bare Bye


def test_a_flood_of_endpoints_is_capped() -> None:
    start, end = HIK.index(b"<d:ProbeMatch>"), HIK.index(b"</d:ProbeMatch>") + 15
    flood = HIK[:end] + HIK[start:end] * 200 + HIK[end:]
    assert len(wsd.parse_message(flood)) == wsd.MAX_ITEMS


def test_every_datagram_is_marked_with_the_socket_it_came_to() -> None:
    from discovery import udp

    async def stream(*ips: str):
        for ip in ips:
            yield udp.Datagram(b"x", ip, 3702)

    async def run() -> list[tuple[str, bool | None]]:
        merged = wsd._merge([(True, stream("198.18.0.1")), (False, stream("198.18.0.2"))])
        return [(d.ip, getattr(d, "on_probe_socket", None)) async for d in merged]

    assert sorted(asyncio.run(run())) == [("198.18.0.1", True), ("198.18.0.2", False)]
