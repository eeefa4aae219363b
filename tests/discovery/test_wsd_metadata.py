"""WS-Discovery metadata (issue 11): the WS-Transfer Get a DPWS host answers with its
FriendlyName, Manufacturer, ModelName and computer name; which devices are asked, where the
request may go, and how bad answers end.  The Resolve and the whole exchange against wsdd
and wsdd2 themselves are in tests/lab/test_third_party.py and the interop corpus."""

from __future__ import annotations

import asyncio

import pytest

from core.model import Observation, Problem
from discovery import wsd, xmlsafe
from discovery.base import ParseError, ProbeContext
from tests.data.interop import CORPUS
from tests.discovery.tcp_fakes import Server, sync

ENDPOINT = "urn:uuid:2c1a8b0e-6f0a-4a7e-9c55-9b0b7d3c1a11"
WSDD_REPLY = (CORPUS / "wst_wsdd_getresponse.xml").read_bytes()


def match(types: tuple[str, ...], xaddrs: tuple[str, ...] = (), kind: str = "ProbeMatch"):
    return wsd.Match(kind, "", ENDPOINT, types, (), xaddrs)


def test_which_devices_are_asked_for_metadata() -> None:
    assert wsd.wants_metadata(match(("wsdp:Device", "pub:Computer")))
    assert wsd.wants_metadata(match(("Device",)))  # no prefix at all
    assert not wsd.wants_metadata(match(("dn:NetworkVideoTransmitter", "tds:Device")))
    assert not wsd.wants_metadata(match(("tds:Device",)))  # ONVIF: the onvif probe reads it
    assert not wsd.wants_metadata(match(("wprt:PrintDeviceType",)))
    assert not wsd.wants_metadata(match(("wsdp:Device",), kind="Bye"))


def test_the_get_is_read_only_and_names_the_endpoint() -> None:
    root = xmlsafe.parse(wsd.get_message("urn:uuid:1", ENDPOINT))
    assert xmlsafe.text_of(root, "Action") == "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
    assert xmlsafe.text_of(root, "To") == ENDPOINT
    body = xmlsafe.find_local(root, "Body")
    assert body is not None and len(body) == 0  # a Get carries nothing to write
    resolve = xmlsafe.parse(wsd.resolve_message("urn:uuid:2", ENDPOINT))
    assert xmlsafe.text_of(resolve, "Address") == ENDPOINT
    assert wsd.parse_message(wsd.resolve_message("urn:uuid:2", ENDPOINT)) == []


def test_our_messages_use_the_prefixes_wsdd2_looks_for() -> None:
    # wsdd2 finds Action and MessageID by the literal text "<wsa:Action>" (SOURCES.md)
    for message in (
        wsd.probe_message("urn:uuid:1", "wsdp:Device"),
        wsd.resolve_message("urn:uuid:2", ENDPOINT),
        wsd.get_message("urn:uuid:3", ENDPOINT),
    ):
        assert b"<wsa:Action>" in message and b"<wsa:MessageID>" in message


def test_metadata_goes_only_to_the_host_that_answered() -> None:
    ip = "198.18.0.9"
    target, path = wsd.metadata_target((f"http://{ip}:5357/{ENDPOINT[9:]}",), ip) or (None, "")
    assert target is not None and (target.ip, target.port, target.tls) == (ip, 5357, False)
    assert path == f"/{ENDPOINT[9:]}"
    assert wsd.metadata_target(("https://198.18.0.9/x",), ip) is not None
    assert wsd.metadata_target(("http://198.18.0.10:5357/x",), ip) is None
    assert wsd.metadata_target(("http://198.18.0.9:80@198.18.0.10/x",), ip) is None
    assert wsd.metadata_target(("http://user@198.18.0.9/x",), ip) is None
    assert wsd.metadata_target(("soap.udp://198.18.0.9:3702",), ip) is None
    assert wsd.metadata_target(("http://[fe80::1]:5357/x",), "fe80::1%eth0") is not None


@pytest.mark.parametrize(
    "payload",
    [b"", b"<x/>", b"<Envelope><Body/></Envelope>", b"garbage\x00", WSDD_REPLY[:200]],
)
def test_a_bad_metadata_reply_is_a_parse_error(payload: bytes) -> None:
    with pytest.raises(ParseError):
        wsd.parse_metadata(payload)


def test_an_entity_bomb_in_metadata_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ParseError):
        wsd.parse_metadata(bomb)


class MetadataHost:
    """A loopback DPWS host: answers POST with ``reply`` and records what it was sent."""

    def __init__(self, reply: bytes, status: str = "200 OK") -> None:
        self.reply, self.status = reply, status
        self.requests: list[tuple[str, bytes]] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        length = next(
            int(line.split(":", 1)[1])
            for line in head.split("\r\n")
            if line.lower().startswith("content-length:")
        )
        self.requests.append((head.split("\r\n", 1)[0], await reader.readexactly(length)))
        if "\r\nContent-Type: application/soap+xml\r\n" not in head:  # as strict as wsdd2
            self.status, self.reply = "400 Bad Request", b""
        writer.write(
            f"HTTP/1.1 {self.status}\r\nContent-Type: application/soap+xml\r\n"
            f"Content-Length: {len(self.reply)}\r\n\r\n".encode()
            + self.reply
        )
        await writer.drain()


async def fetch(host: MetadataHost, xaddr_host: str = "127.0.0.1") -> Observation | Problem | None:
    async with Server(host.serve) as srv:
        ctx = ProbeContext(interface=None, networks=(), hosts=("127.0.0.1",), timeout=2.0)
        found = match(
            ("wsdp:Device", "pub:Computer"), (f"http://{xaddr_host}:{srv.port}/{ENDPOINT[9:]}",)
        )
        return await wsd.metadata(ctx, "127.0.0.1", found)


@sync
async def test_the_computer_name_comes_from_the_get() -> None:
    host = MetadataHost(WSDD_REPLY)
    result = await fetch(host)
    assert isinstance(result, Observation) and result.method == "metadata"
    assert result.fields["wsd.computer"] == "CAMAUDIT-TEST/Workgroup:WORKGROUP"
    assert result.fields["wsd.friendly_name"] == "WSD Device CAMAUDIT-TEST"
    assert result.fields["wsd.endpoint"] == ENDPOINT and result.fields["ip"] == "127.0.0.1"
    ((request_line, body),) = host.requests  # one request, a POST of a Get, nothing else
    assert request_line == f"POST /{ENDPOINT[9:]} HTTP/1.1"
    assert (
        xmlsafe.text_of(
            xmlsafe.parse(body),
            "Action",
        )
        == wsd.NS_TRANSFER + "/Get"
    )


@sync
async def test_an_xaddr_on_another_host_is_never_asked() -> None:
    host = MetadataHost(WSDD_REPLY)
    assert await fetch(host, xaddr_host="127.0.0.2") is None
    assert host.requests == []


@sync
async def test_a_device_that_answers_wrongly_is_one_problem() -> None:
    result = await fetch(MetadataHost(b"<html>no metadata</html>"))
    assert isinstance(result, Problem) and (result.source, result.kind) == ("wsd", "parse")
    assert "metadata Get" in result.message and "\n" not in result.message


@sync
async def test_a_device_that_declines_or_serves_nothing_is_no_problem() -> None:
    assert await fetch(MetadataHost(b"", "500 Internal Server Error")) is None
    async with Server(MetadataHost(WSDD_REPLY).serve) as srv:
        port = srv.port  # closed again below: nothing listens there any more
    ctx = ProbeContext(interface=None, networks=(), hosts=("127.0.0.1",), timeout=2.0)
    gone = match(("wsdp:Device",), (f"http://127.0.0.1:{port}/x",))
    assert await wsd.metadata(ctx, "127.0.0.1", gone) is None
