"""SIP OPTIONS: building the request, reading responses, and one exchange over loopback UDP
and TCP (only OPTIONS is ever sent)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Observation, Problem
from discovery import sip
from discovery.base import ParseError, ProbeContext, ScanHints, ServicePorts
from tests.discovery.tcp_fakes import Server, collect, sync

# rapid7/recog xml/sip_user_agents.xml 'Axis Network Video Door stations' example value
DOOR_STATION = "AXIS A8105-E Network Video Door Station"


def test_options_request_is_well_formed() -> None:
    raw = sip.build_options("192.0.2.7", ("192.0.2.1", 5062), "UDP", "cid1", "b1", "t1")
    text = raw.decode()
    assert text.startswith("OPTIONS sip:192.0.2.7 SIP/2.0\r\n") and text.endswith("\r\n\r\n")
    assert "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKb1;rport\r\n" in text
    assert "CSeq: 1 OPTIONS\r\n" in text and "Call-ID: cid1\r\n" in text
    assert "Content-Length: 0" in text


def test_response_headers_give_server_and_user_agent() -> None:
    data = (
        "SIP/2.0 200 OK\r\ni: cid1\r\nServer: Door 1\r\nUser-Agent: " + DOOR_STATION + "\r\n"
        "Allow: INVITE, OPTIONS\r\n\r\n"
    ).encode()
    resp = sip.parse_response(data)
    assert resp.status == 200 and resp.header("Call-ID") == "cid1"
    assert sip.sip_fields(resp) == {"sip.server": "Door 1", "sip.user_agent": DOOR_STATION}


def test_a_challenge_still_names_the_server() -> None:
    data = b"SIP/2.0 401 Unauthorized\r\nServer: Hikvision\r\nWWW-Authenticate: Digest\r\n\r\n"
    assert sip.sip_fields(sip.parse_response(data)) == {"sip.server": "Hikvision"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    try:
        resp = sip.parse_response(data)
    except ParseError:
        return
    assert all(len(v) <= sip.MAX_VALUE for v in sip.sip_fields(resp).values())


# ---------------------------------------------------------------- loopback


class UdpAgent(asyncio.DatagramProtocol):
    def __init__(self, reply: bytes | None) -> None:
        self.reply, self.requests = reply, []  # type: ignore[var-annotated]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.requests.append(data)
        if self.reply is None:
            return
        call_id = next(ln for ln in data.decode().split("\r\n") if ln.startswith("Call-ID:"))
        answer = self.reply.replace(b"Call-ID: X", call_id.encode())
        self.transport.sendto(answer, addr)  # type: ignore[attr-defined]


def _ctx(port: int) -> ProbeContext:
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=("127.0.0.1",),
        timeout=0.8,
        service_ports=ServicePorts(sip=(port,)),
        hints=ScanHints(open_ports={"127.0.0.1": (port,)}),
    )


OK = b"SIP/2.0 200 OK\r\nCall-ID: X\r\nUser-Agent: " + DOOR_STATION.encode() + b"\r\n\r\n"


@sync
async def test_udp_and_tcp_options_give_the_user_agent() -> None:
    tcp_requests: list[bytes] = []

    async def tcp_agent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        tcp_requests.append(request)
        writer.write(OK)
        await writer.drain()

    async with Server(tcp_agent) as server:
        loop = asyncio.get_running_loop()
        transport, agent = await loop.create_datagram_endpoint(
            lambda: UdpAgent(OK), local_addr=("127.0.0.1", server.port)
        )
        try:
            items = await collect(sip.probe(_ctx(server.port)))
        finally:
            transport.close()
    methods = sorted(i.method for i in items if isinstance(i, Observation))
    assert methods == [f"tcp/{server.port}", f"udp/{server.port}"]
    assert all(i.fields["sip.user_agent"] == DOOR_STATION for i in items)
    sent = [*agent.requests, *tcp_requests]
    assert len(sent) == 2 and all(r.startswith(b"OPTIONS ") for r in sent)


async def _udp_only(reply: bytes | None) -> list[Observation | Problem]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: UdpAgent(reply), local_addr=("127.0.0.1", 0)
    )
    try:  # nothing listens on TCP at that port: the TCP try is refused
        return await collect(sip.probe(_ctx(transport.get_extra_info("sockname")[1])))
    finally:
        transport.close()


@sync
async def test_garbage_reply_is_a_parse_problem() -> None:
    items = await _udp_only(b"\x00\xffgarbage")
    assert [(type(i).__name__, i.kind) for i in items if isinstance(i, Problem)] == [
        ("Problem", "parse")
    ]


@sync
async def test_silence_is_nothing() -> None:
    assert await _udp_only(None) == []


@sync
async def test_tcp_port_that_accepts_and_never_answers_is_a_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with Server(silent) as server:
        items = await collect(sip.probe(_ctx(server.port)))
    assert [(type(i).__name__, i.kind) for i in items if isinstance(i, Problem)] == [
        ("Problem", "timeout")
    ]
