"""Service greetings (FTP, SSH, telnet): parsing real greetings, and a loopback reader that
sends nothing and stops at its limits."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Observation, Problem
from discovery import banner
from discovery.base import ParseError, ProbeContext, ScanHints, ServicePorts
from tests.discovery.tcp_fakes import Server, collect, sync

# rapid7/recog xml/ftp_banners.xml 'Axis Network Camera' example
AXIS_FTP = b"220 AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready.\r\n"
# nmap 7.93 nmap-service-probes l.4908: BusyBox telnetd negotiation, then the prompt
DVR_TELNET = b"\xff\xfd\x01\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03\r\r\n(none) login: "


def test_ftp_greeting_is_the_reply_text() -> None:
    assert banner.parse_greeting("ftp", AXIS_FTP) == AXIS_FTP.decode().strip()


def test_multi_line_ftp_greeting_is_complete_only_at_its_final_line() -> None:
    data = b"220-Welcome to DCS-5020L FTP Server\r\n220-second line\r\n"
    assert not banner.complete("ftp", data)
    assert banner.complete("ftp", data + b"220 ready\r\n")
    text = banner.parse_greeting("ftp", data + b"220 ready\r\n")
    assert text.splitlines() == [
        "220-Welcome to DCS-5020L FTP Server",
        "220-second line",
        "220 ready",
    ]


def test_ssh_version_line_may_follow_other_lines() -> None:
    data = b"Welcome\r\nSSH-2.0-dropbear_2019.78\r\n"
    assert banner.complete("ssh", data)
    assert banner.parse_greeting("ssh", data) == "SSH-2.0-dropbear_2019.78"


def test_telnet_negotiation_is_dropped_from_the_greeting() -> None:
    assert banner.strip_telnet(b"a\xff\xffb\xff\xfa\x18\x01\xff\xf0c\xff\xf1d") == b"a\xffbcd"
    assert banner.parse_greeting("telnet", DVR_TELNET) == "(none) login:"


def test_negotiation_only_is_no_greeting() -> None:
    try:
        banner.parse_greeting("telnet", b"\xff\xfd\x01\xff\xfb\x03")
    except ParseError as exc:
        assert "negotiation" in str(exc)
    else:
        raise AssertionError("negotiation alone was taken for a greeting")


def test_bytes_of_another_protocol_are_not_greetings() -> None:
    for service, data in (("ssh", b"HTTP/1.0 400 Bad\r\n"), ("ftp", b"\x16\x03\x01\x00")):
        try:
            banner.parse_greeting(service, data)
        except ParseError:
            continue
        raise AssertionError(f"{service} accepted {data!r}")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(banner.SERVICES), st.binary(max_size=600))
def test_any_bytes_give_text_or_parse_error(service: str, data: bytes) -> None:
    try:
        text = banner.parse_greeting(service, data)
    except ParseError:
        return
    assert len(text) <= banner.MAX_VALUE and "\r" not in text


# ---------------------------------------------------------------- loopback


def _ctx(port: int, service: str, open_ports: tuple[int, ...] | None = None) -> ProbeContext:
    hints = (
        ScanHints(open_ports={"127.0.0.1": open_ports}) if open_ports is not None else ScanHints()
    )
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=("127.0.0.1",),
        timeout=1.0,
        service_ports=ServicePorts(banner=((port, service),)),
        hints=hints,
    )


class Greeter:
    """A server that greets (or misbehaves) and counts what the client sends."""

    def __init__(self, greeting: bytes, *, endless: bool = False, slow: bool = False) -> None:
        self.greeting, self.endless, self.slow = greeting, endless, slow
        self.received: list[int] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def speak() -> None:
            if self.endless:
                while True:
                    writer.write(b"x" * 4096)
                    await writer.drain()
            for byte in self.greeting if self.slow else [self.greeting]:
                writer.write(bytes([byte]) if isinstance(byte, int) else byte)
                await writer.drain()
                if self.slow:
                    await asyncio.sleep(0.3)

        task = asyncio.create_task(speak())
        total = 0
        try:
            while chunk := await reader.read(4096):
                total += len(chunk)
        finally:
            task.cancel()
            self.received.append(total)


async def _run(greeter: Greeter, service: str) -> list[Observation | Problem]:
    async with Server(greeter) as server:
        items = await collect(banner.probe(_ctx(server.port, service)))
        for _ in range(50):  # the server notices the close a moment later
            if greeter.received:
                break
            await asyncio.sleep(0.02)
    return items


@sync
async def test_ftp_greeting_is_read_and_nothing_is_sent() -> None:
    greeter = Greeter(AXIS_FTP)
    items = await _run(greeter, "ftp")
    assert [i.fields["banner.ftp"] for i in items if isinstance(i, Observation)] == [
        AXIS_FTP.decode().strip()
    ]
    assert greeter.received == [0]


@sync
async def test_telnet_prompt_after_negotiation_is_read_without_answering() -> None:
    greeter = Greeter(DVR_TELNET)
    items = await _run(greeter, "telnet")
    obs = [i for i in items if isinstance(i, Observation)]
    assert [o.fields["banner.telnet"] for o in obs] == ["(none) login:"]
    assert obs[0].source == "banner" and greeter.received == [0]


@sync
async def test_endless_greeting_is_cut_at_the_size_limit() -> None:
    items = await _run(Greeter(b"", endless=True), "telnet")
    problems = [i for i in items if isinstance(i, Problem)]
    assert [p.kind for p in problems] == ["oversize"]


@sync
async def test_dribbling_greeting_ends_at_the_deadline() -> None:
    items = await _run(Greeter(b"220 slowly, very slowly\r\n", slow=True), "ftp")
    assert [(type(i).__name__, getattr(i, "kind", "")) for i in items] == [("Problem", "timeout")]


@sync
async def test_garbage_instead_of_an_ssh_line_is_a_parse_problem() -> None:
    items = await _run(Greeter(b"\x00\x01garbage\n"), "ssh")
    assert [i.kind for i in items if isinstance(i, Problem)] == ["parse"]
    assert not [i for i in items if isinstance(i, Observation)]


@sync
async def test_a_port_the_port_probe_saw_closed_is_not_tried() -> None:
    greeter = Greeter(AXIS_FTP)
    async with Server(greeter) as server:
        ctx = _ctx(server.port, "ftp", open_ports=(80,))
        ctx.ports = (80, server.port)  # the port probe checked this port and it was closed
        assert await collect(banner.probe(ctx)) == []
    assert greeter.received == []


@sync
async def test_closed_port_is_silence_not_a_problem() -> None:
    async with Server(Greeter(b"")) as server:
        port = server.port
    assert await collect(banner.probe(_ctx(port, "ssh"))) == []
