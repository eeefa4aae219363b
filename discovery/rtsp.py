"""RTSP identity: OPTIONS and DESCRIBE without credentials (nmap 7.93 nmap-service-probes).

``Server: Dahua Rtsp Server`` marks Dahua and its OEMs; the Digest realm says more
(``Hikvision``, ``IP Camera(<code>)`` on newer Hikvision, ``Login to <serial>`` on the
Dahua/Lorex family).  Nothing is ever authenticated or played.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from core.model import Observation, Problem
from discovery.base import ParseError, ProbeContext
from discovery.http import MAX_HEAD, Response, parse_head, read_head, realm_of, url_host
from discovery.ports import close_quietly, each_host

MAX_RTSP_BODY = 16 * 1024
USER_AGENT = "camaudit/0.1 (read-only inventory)"


def parse_response(data: bytes) -> Response:
    """An RTSP response head (plus any body after the blank line, kept as bytes)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    resp = parse_head(head, "RTSP")
    return Response(resp.status, resp.reason, resp.headers, body[:MAX_RTSP_BODY])


def rtsp_fields(resp: Response) -> dict[str, str]:
    fields: dict[str, str] = {}
    if server := (resp.header("Server") or "").strip():
        fields["rtsp.server"] = server[:200]
    if realm := realm_of(resp.headers_named("WWW-Authenticate")):
        fields["rtsp.realm"] = realm[:200]
    return fields


def build_request(method: str, url: str, cseq: int) -> bytes:
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", f"User-Agent: {USER_AGENT}"]
    if method == "DESCRIBE":
        lines.append("Accept: application/sdp")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def _read_response(reader: asyncio.StreamReader) -> Response:
    head = await read_head(reader, "an RTSP response")
    resp = parse_head(head, "RTSP")
    length_text = (resp.header("Content-Length") or "0").strip()
    length = min(int(length_text), MAX_RTSP_BODY) if length_text.isdigit() else 0
    body = await reader.readexactly(length) if length else b""
    return Response(resp.status, resp.reason, resp.headers, body)


async def query(ip: str, port: int, timeout: float) -> list[Response]:
    """OPTIONS then DESCRIBE on one connection, each bounded by ``timeout``."""
    url = f"rtsp://{url_host(ip, zone=False)}:{port}/"
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(ip, port, limit=MAX_HEAD)
    try:
        out = []
        for cseq, method in enumerate(("OPTIONS", "DESCRIBE"), start=1):
            async with asyncio.timeout(timeout):
                writer.write(build_request(method, url, cseq))
                await writer.drain()
                out.append(await _read_response(reader))
        return out
    finally:
        await close_quietly(writer)


async def probe_port(ip: str, port: int, timeout: float) -> Observation | Problem:
    try:
        responses = await query(ip, port, timeout)
    except TimeoutError:
        return Problem("rtsp", "timeout", f"{ip}:{port} no RTSP answer in {timeout:g} s", ip=ip)
    except ParseError as exc:
        return Problem("rtsp", "parse", f"{ip}:{port} {exc}", ip=ip)
    except (OSError, asyncio.IncompleteReadError) as exc:
        return Problem("rtsp", "unreachable", f"{ip}:{port} {type(exc).__name__}", ip=ip)
    fields: dict[str, str] = {}
    for resp in responses:
        for key, value in rtsp_fields(resp).items():
            fields.setdefault(key, value)
    return Observation(source="rtsp", fields={"ip": ip, "rtsp.port": str(port), **fields})


def rtsp_ports(open_ports: Iterable[int], ctx: ProbeContext) -> list[int]:
    wanted = ctx.service_ports.rtsp
    return [p for p in sorted(open_ports) if p in wanted]


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """RTSP banner for each host with an open RTSP port (``ctx.hints.open_ports``)."""
    open_ports = ctx.hints.open_ports
    plan = {ip: rtsp_ports(open_ports.get(ip, ()), ctx) for ip in ctx.hosts}

    async def one(ip: str, ports: list[int]) -> list[Observation | Problem]:
        return [await probe_port(ip, port, ctx.timeout) for port in ports]

    async for item in each_host(ctx, plan, "RTSP requests", one):
        yield item
