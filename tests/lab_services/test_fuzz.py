"""Random bytes never crash a responder (the parsers see no socket, so this runs fast)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lab.services import _httpd, dhip, rtsp, sadp, ssdp, wsd
from lab.services.base import DeviceContext, nothing


class _Transport:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []

    def sendto(self, data: bytes, addr: Any) -> None:
        self.sent.append((data, addr))

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 0)


def _ctx(mix: Any, profile_id: str) -> DeviceContext:
    spec = mix[profile_id]

    def no_socket(*_: Any) -> Any:
        raise AssertionError("the parsers must not open sockets")

    return DeviceContext(
        name=spec.name,
        ip="127.0.0.9",
        mac=spec.mac,
        netmask=24,
        netns="none",
        profile=spec.profile,
        index=0,
        record=lambda *a: None,
        tcp_socket=no_socket,
        udp_socket=no_socket,
        in_namespace=nothing,
        announce=False,
    )


PREFIXES = st.sampled_from(
    [
        b"",
        b"<?xml version='1.0'?><Probe>",
        b"DHIP",
        b"M-SEARCH * HTTP/1.1\r\n",
        b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope">',
    ]
)


@settings(max_examples=150, deadline=None)
@given(prefix=PREFIXES, junk=st.binary(max_size=600))
def test_udp_responders_survive_random_datagrams(mix, prefix, junk):
    data = prefix + junk
    for module, profile_id in (
        (wsd, "dahua-ipc"),
        (sadp, "hikvision-ipc"),
        (dhip, "dahua-ipc"),
        (ssdp, "printer-brother"),
    ):
        responder = (module.Upnp if module is ssdp else module.Responder)(_ctx(mix, profile_id))
        responder.on_datagram(data, ("127.0.0.1", 5000), _Transport())  # must not raise


@settings(max_examples=150, deadline=None)
@given(junk=st.binary(max_size=600))
def test_rtsp_answers_any_head(mix, junk):
    server = rtsp.RtspServer(_ctx(mix, "dahua-ipc"))
    reply = server.answer(junk + b"\r\n\r\n", "127.0.0.1")
    assert reply.startswith(b"RTSP/1.0 ")


@settings(max_examples=150, deadline=None)
@given(junk=st.binary(max_size=600))
def test_http_request_parser_rejects_or_parses_cleanly(junk):
    async def parse() -> object:
        reader = asyncio.StreamReader(limit=_httpd.MAX_HEAD)
        reader.feed_data(junk + b"\r\n\r\n")
        reader.feed_eof()
        try:
            return await _httpd.read_request(reader, "127.0.0.1")
        except _httpd.BadRequest:
            return None
        except asyncio.IncompleteReadError:
            return None  # a Content-Length longer than what came: the connection just ends

    asyncio.run(parse())
