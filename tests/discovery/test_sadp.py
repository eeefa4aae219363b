"""SADP parsing and the inquiry-only guarantee, with real Hikvision replies (fixtures/README.md)."""

from __future__ import annotations

import asyncio
import inspect
import re
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.netguard import UnsafeNetworkError
from discovery import sadp
from discovery.base import ParseError, ProbeContext

FIXTURES = Path(__file__).parent / "fixtures"
DS_2CD2385 = (FIXTURES / "sadp_probematch_ds-2cd2385g1-i.xml").read_bytes()
DS_2CD2320 = (FIXTURES / "sadp_probematch_ds-2cd2320d-i.xml").read_bytes()


def _element_names(xml: bytes) -> set[str]:
    return set(re.findall(r"<([A-Za-z0-9]+)>", xml.decode())) - {"ProbeMatch"}


def test_real_reply_keeps_every_element_as_sadp_field():
    obs = sadp.parse_reply(DS_2CD2385, "192.168.124.40")
    assert obs is not None
    names = _element_names(DS_2CD2385)
    assert {k.removeprefix("sadp.") for k in obs.fields if k.startswith("sadp.")} == names
    assert obs.fields["sadp.DeviceDescription"] == "DS-2CD2385G1-I"
    assert obs.fields["sadp.SoftwareVersion"] == "V5.6.2build 190701"
    assert obs.fields["sadp.DetailOEMCode"] == "1"
    assert obs.fields["sadp.HCPlatformEnable"] == "flase"  # genuine firmware's spelling, kept


def test_real_reply_gives_mac_serial_and_ip():
    obs = sadp.parse_reply(DS_2CD2385, "192.168.124.40")
    assert obs is not None
    assert obs.source == "sadp"
    assert obs.mac == "58:50:ed:1f:e3:85"  # from the dash form 58-50-ed-1f-e3-85
    assert obs.serial == "DS-2CD2385G1-I20200414AAWRE33842150"
    assert obs.ip == "192.168.124.40"


def test_ip_falls_back_to_the_self_reported_address():
    obs = sadp.parse_reply(DS_2CD2320)
    assert obs is not None
    assert obs.ip == "192.168.1.112"
    assert obs.mac == "44:47:cc:37:ce:81"
    assert obs.fields["sadp.IPv6Address"] == "240e:361:c0a:2a00:4647:ccff:fe37:ce81"


def test_the_source_address_wins_over_what_the_device_claims():
    obs = sadp.parse_reply(DS_2CD2320, "198.18.0.7")
    assert obs is not None
    assert obs.ip == "198.18.0.7"
    assert obs.fields["sadp.IPv4Address"] == "192.168.1.112"


def test_inquiry_is_the_documented_probe():
    fixed = uuid.UUID("4c2d1f3a-7b8e-4d2c-9a61-3e5f7b9c1d2e")
    assert sadp.inquiry(fixed) == (
        b'<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>4C2D1F3A-7B8E-4D2C-9A61-3E5F7B9C1D2E'
        b"</Uuid><Types>inquiry</Types></Probe>"
    )


def test_inquiry_is_the_only_types_the_module_can_send():
    source = inspect.getsource(sadp)
    assert re.findall(r"<Types>([^<]*)</Types>", source) == ["inquiry"]
    for verb in ("update", "activate", "reset", "modifyipdns", "exchangecode"):
        assert f"<Types>{verb}" not in source.lower()
    builders = [
        name
        for name, fn in inspect.getmembers(sadp, inspect.isfunction)
        if fn.__module__ == sadp.__name__
        and ("_INQUIRY" in inspect.getsource(fn) or "Types>" in inspect.getsource(fn))
    ]
    assert builders == ["inquiry"]
    assert inspect.signature(sadp.inquiry).parameters.keys() == {"probe_uuid"}


def test_other_clients_inquiries_are_not_devices():
    assert sadp.parse_reply(sadp.inquiry(), "198.18.0.9") is None


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not xml",
        b"<ProbeMatch><Uuid>x</Uuid></ProbeMatch>",  # names no device
        b"<Envelope><Body/></Envelope>",  # a WS-Discovery reply on the wrong port
        b"<ProbeMatch><DeviceSN>x</DeviceSN>",  # truncated
    ],
)
def test_malformed_replies_raise_parse_error(payload):
    with pytest.raises(ParseError):
        sadp.parse_reply(payload, "198.18.0.9")


def test_entity_bomb_is_refused_quickly():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY a{i} "{"".join(f"&a{i - 1};" if i else "&a;" for _ in range(10))}">'.encode()
            for i in range(9)
        )
        + b"]><ProbeMatch><DeviceSN>&a8;</DeviceSN></ProbeMatch>"
    )
    started = time.monotonic()
    with pytest.raises(ParseError, match="refused"):
        sadp.parse_reply(bomb, "198.18.0.9")
    assert time.monotonic() - started < 1.0


def test_xxe_does_not_read_local_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<ProbeMatch><DeviceSN>&x;</DeviceSN><MAC>44-19-b6-00-00-01</MAC></ProbeMatch>"
    ).encode()
    with pytest.raises(ParseError) as info:
        sadp.parse_reply(xxe, "198.18.0.9")
    assert "TOP-SECRET-VALUE" not in str(info.value)


def test_oversized_reply_is_refused():
    huge = b"<ProbeMatch><DeviceSN>" + b"A" * 300_000 + b"</DeviceSN></ProbeMatch>"
    with pytest.raises(ParseError, match="too large"):
        sadp.parse_reply(huge, "198.18.0.9")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_reply_none_or_parse_error(data):
    try:
        result = sadp.parse_reply(data, "198.18.0.9")
    except ParseError:
        return
    assert result is None or result.source == "sadp"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True), st.text()))
def test_any_element_soup_gives_a_reply_or_parse_error(elements):
    from xml.sax.saxutils import escape

    body = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in elements.items())
    try:
        obs = sadp.parse_reply(f"<ProbeMatch>{body}</ProbeMatch>".encode(), "198.18.0.9")
    except ParseError:
        return
    assert obs is not None
    assert all(isinstance(v, str) for v in obs.fields.values())


def test_probe_refuses_to_send_from_the_machines_namespace():
    # tests/conftest.py sets CAMAUDIT_LAB_ONLY; outside the lab the probe must not send.
    async def run():
        return [item async for item in sadp.probe(ProbeContext(interface=None, networks=[]))]

    with pytest.raises(UnsafeNetworkError, match="refusing to send"):
        asyncio.run(run())


def test_every_fixture_cites_its_source():
    readme = (FIXTURES / "README.md").read_text()
    files = sorted(p.name for p in FIXTURES.iterdir() if p.name != "README.md")
    assert files, "fixtures folder is empty"
    missing = [name for name in files if f"`{name}`" not in readme]
    assert not missing, f"fixtures without a source line in fixtures/README.md: {missing}"
