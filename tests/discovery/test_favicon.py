"""Favicon hashes: Shodan's mmh3 convention, link discovery on the device only, and a
loopback web server (GETs only, bounded)."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import mmh3

from core.model import Observation, Problem
from discovery import favicon
from discovery.base import ProbeContext, ScanHints, ServicePorts
from discovery.http import Target
from tests.discovery.tcp_fakes import Server, collect, sync

ICON = bytes(range(256)) * 3  # 768 bytes: the base64 text spans several 76-character lines


def test_mmh3_is_over_the_wrapped_base64_text_and_signed() -> None:
    text = base64.encodebytes(ICON)
    assert text.count(b"\n") == len(text) // 77 + (1 if len(text) % 77 else 0)
    assert all(len(line) <= 76 for line in text.split(b"\n"))
    value = favicon.shodan_mmh3(ICON)
    assert value == mmh3.hash(text, 0, True) and -(2**31) <= value < 2**31
    assert value != mmh3.hash(base64.b64encode(ICON))  # the unwrapped text hashes otherwise
    fields = favicon.favicon_fields(ICON)
    assert fields == {
        "http.favicon_md5": hashlib.md5(ICON).hexdigest(),
        "http.favicon_mmh3": str(value),
    }


def test_icon_links_in_order_and_only_on_the_device() -> None:
    page = (
        b"<html><head><LINK REL='stylesheet' href='/a.css'>"
        b'<link rel="shortcut icon" href="/doc/images/favicon.ico?v=2">'
        b'<link href="https://cdn.example.com/i.png" rel=icon>'
        b'<link rel="apple-touch-icon" href="/apple.png"></head>'
    )
    links = favicon.icon_links(page)
    assert links == ["/doc/images/favicon.ico?v=2", "https://cdn.example.com/i.png"]
    target = Target("192.0.2.5", 8080)
    assert favicon.same_host_path(links[0], target) == "/doc/images/favicon.ico?v=2"
    assert favicon.same_host_path(links[1], target) is None
    assert favicon.same_host_path("//192.0.2.6:8080/x.ico", target) is None
    assert favicon.same_host_path("http://192.0.2.5:8080/x.ico", target) == "/x.ico"
    assert favicon.same_host_path("data:image/png;base64,AAAA", target) is None


def test_an_html_error_page_is_not_an_icon() -> None:
    assert not favicon.is_icon(200, "text/html", b"<html>404</html>")
    assert not favicon.is_icon(200, "", b"  <!DOCTYPE html><html>")
    assert not favicon.is_icon(404, "image/x-icon", ICON)
    assert favicon.is_icon(200, "image/x-icon", ICON)


# ---------------------------------------------------------------- loopback


class Web:
    """A web server: an icon at ``icon_path``, a root page linking it, and a request log."""

    def __init__(self, icon_path: str, body: bytes = ICON, link: bool = True) -> None:
        self.icon_path, self.body, self.link = icon_path, body, link
        self.requests: list[str] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, path, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        self.requests.append(f"{method} {path}")
        if path == self.icon_path:
            status, ctype, body = "200 OK", "image/x-icon", self.body
        elif path == "/" and self.link:
            ctype, status = "text/html", "200 OK"
            body = f'<html><link rel="icon" href="{self.icon_path}"></html>'.encode()
        else:
            status, ctype, body = "404 Not Found", "text/html", b"<html>404</html>"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()


def _ctx(port: int) -> ProbeContext:
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=("127.0.0.1",),
        timeout=1.0,
        service_ports=ServicePorts(web=(port,), tls=frozenset()),
        hints=ScanHints(open_ports={"127.0.0.1": (port,)}),
    )


@sync
async def test_favicon_ico_is_hashed_with_one_get() -> None:
    web = Web("/favicon.ico")
    async with Server(web) as server:
        items = await collect(favicon.probe(_ctx(server.port)))
    [obs] = items
    assert isinstance(obs, Observation) and obs.source == "favicon"
    assert obs.fields["http.favicon_md5"] == hashlib.md5(ICON).hexdigest()
    assert web.requests == ["GET /favicon.ico"]


@sync
async def test_the_root_page_link_is_followed_when_favicon_ico_is_missing() -> None:
    web = Web("/doc/images/favicon.ico")
    async with Server(web) as server:
        items = await collect(favicon.probe(_ctx(server.port)))
    [obs] = items
    assert obs.fields["http.favicon_mmh3"] == str(favicon.shodan_mmh3(ICON))
    assert web.requests == ["GET /favicon.ico", "GET /", "GET /doc/images/favicon.ico"]


@sync
async def test_an_oversized_icon_is_recorded_not_hashed() -> None:
    web = Web("/favicon.ico", body=b"\x00" * (favicon.MAX_ICON + 10))
    async with Server(web) as server:
        items = await collect(favicon.probe(_ctx(server.port)))
    assert [(type(i).__name__, getattr(i, "kind", "")) for i in items] == [("Problem", "oversize")]


@sync
async def test_no_icon_anywhere_is_nothing() -> None:
    web = Web("/nowhere.ico", link=False)
    async with Server(web) as server:
        assert await collect(favicon.probe(_ctx(server.port))) == []


@sync
async def test_a_silent_web_port_is_a_timeout_problem() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with Server(silent) as server:
        items = await collect(favicon.probe(_ctx(server.port)))
    assert [(type(i).__name__, i.kind) for i in items if isinstance(i, Problem)] == [
        ("Problem", "timeout")
    ]
