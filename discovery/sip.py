"""SIP identity: one ``OPTIONS`` request over UDP and one over TCP to port 5060.

Door stations, intercoms and camera gateways run a SIP user agent; its ``Server`` (or
``User-Agent``) header names the product: ``AXIS A8105-E Network Video Door Station``
(rapid7/recog sip_user_agents.xml).  OPTIONS is SIP's capability query (RFC 3261 §11): it
registers nothing, rings nothing and changes no state.  Nothing else is ever sent: no
REGISTER, INVITE or authentication, and a 401/407 challenge is recorded, never answered.

Silence is the normal answer of a host without SIP and is not recorded; a reply that is no
SIP response is a ``parse`` Problem.  Parsing (:func:`parse_response`) is pure.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from core.model import Observation, Problem
from discovery.banner import worth_trying
from discovery.base import ParseError, ProbeContext
from discovery.ports import close_quietly, guard_send, per_host, progress_callback

MAX_MESSAGE = 16 * 1024  # head bytes read over TCP; a UDP datagram is cut to this too
MAX_VALUE = 200
USER_AGENT = "camaudit/0.1 (read-only inventory)"
_STATUS = re.compile(r"^SIP/2\.0\s+(\d{3})(?:\s+(.*))?$")


@dataclass(frozen=True, slots=True)
class SipResponse:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


# ---------------------------------------------------------------- pure parsing and building


def build_options(
    target: str, local: tuple[str, int], transport: str, call_id: str, branch: str, tag: str
) -> bytes:
    """An OPTIONS request (RFC 3261 §11.1) from ``local`` to ``sip:<target>``."""
    host, port = local
    lines = [
        f"OPTIONS sip:{target} SIP/2.0",
        f"Via: SIP/2.0/{transport} {host}:{port};branch=z9hG4bK{branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:camaudit@{host}>;tag={tag}",
        f"To: <sip:{target}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:camaudit@{host}:{port}>",
        "Accept: application/sdp",
        f"User-Agent: {USER_AGENT}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def parse_response(data: bytes) -> SipResponse:
    """A SIP response's status line and headers (compact header names expanded)."""
    head = data[:MAX_MESSAGE].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    text = head.decode("utf-8", "replace")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    match = _STATUS.match(lines[0].strip()) if lines else None
    if not match:
        raise ParseError(f"not a SIP response: {data[:40]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        elif ":" in line:
            name, _, value = line.partition(":")
            name = _COMPACT.get(name.strip().lower(), name.strip())
            if name:
                headers.append((name, value.strip()))
    return SipResponse(int(match.group(1)), (match.group(2) or "").strip(), tuple(headers))


# RFC 3261 §7.3.3 compact forms of the headers we read
_COMPACT = {
    "i": "Call-ID",
    "v": "Via",
    "f": "From",
    "t": "To",
    "m": "Contact",
    "l": "Content-Length",
}


def _clean(value: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())[:MAX_VALUE]


def sip_fields(resp: SipResponse) -> dict[str, str]:
    fields: dict[str, str] = {}
    if server := _clean(resp.header("Server") or ""):
        fields["sip.server"] = server
    if agent := _clean(resp.header("User-Agent") or ""):
        fields["sip.user_agent"] = agent
    return fields


# ---------------------------------------------------------------- I/O


def _ids() -> tuple[str, str, str]:
    return secrets.token_hex(8), secrets.token_hex(6), secrets.token_hex(4)


class _OneReply(asyncio.DatagramProtocol):
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self.reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.other: bytes | None = None  # a datagram that was not our answer

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.reply.done():
            return
        try:
            resp = parse_response(data)
        except ParseError:
            self.other = self.other or data[:MAX_MESSAGE]
            return
        call_id = resp.header("Call-ID")
        if call_id is None or call_id == self.call_id:
            self.reply.set_result(data[:MAX_MESSAGE])

    def error_received(self, exc: Exception) -> None:
        if not self.reply.done():
            self.reply.set_exception(exc)  # ICMP port unreachable: no SIP here


async def options_udp(ip: str, port: int, timeout: float) -> bytes | None:
    """One OPTIONS datagram; the answer, garbage that came instead, or None (silence)."""
    loop = asyncio.get_running_loop()
    call_id, branch, tag = _ids()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: _OneReply(call_id), remote_addr=(ip, port)
    )
    try:
        local = transport.get_extra_info("sockname")
        transport.sendto(build_options(ip, (local[0], local[1]), "UDP", call_id, branch, tag))
        try:
            async with asyncio.timeout(timeout):
                return await proto.reply
        except TimeoutError:
            return proto.other
        except OSError:
            return None
    finally:
        transport.close()


async def options_tcp(ip: str, port: int, timeout: float) -> bytes:
    """One OPTIONS over a fresh TCP connection; the response head (bounded).  A port that
    does not accept within ``timeout`` gives b"" (filtered, not SIP); one that accepts and
    then stays silent raises TimeoutError."""
    call_id, branch, tag = _ids()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(ip, port, limit=MAX_MESSAGE)
    except TimeoutError:
        return b""
    try:
        async with asyncio.timeout(timeout):
            local = writer.get_extra_info("sockname")
            writer.write(build_options(ip, (local[0], local[1]), "TCP", call_id, branch, tag))
            await writer.drain()
            try:
                return await reader.readuntil(b"\r\n\r\n")
            except asyncio.LimitOverrunError:
                raise ParseError(f"SIP response head larger than {MAX_MESSAGE} bytes") from None
            except asyncio.IncompleteReadError as exc:
                return exc.partial
    finally:
        await close_quietly(writer)


def _result(ip: str, port: int, transport: str, data: bytes) -> list[Observation | Problem]:
    if not data:
        return []
    try:
        resp = parse_response(data)
    except ParseError as exc:
        return [Problem("sip", "parse", f"{ip}:{port}/{transport.lower()} {exc}", ip=ip)]
    fields = sip_fields(resp)
    if not fields:
        return []  # a SIP stack that names nothing
    method = f"{transport.lower()}/{port}"
    return [Observation(source="sip", fields={"ip": ip, **fields}, method=method)]


async def probe_host(ip: str, ctx: ProbeContext) -> list[Observation | Problem]:
    out: list[Observation | Problem] = []
    for port in ctx.service_ports.sip:
        with contextlib.suppress(OSError):
            out += _result(ip, port, "UDP", await options_udp(ip, port, ctx.timeout) or b"")
        if not worth_trying(ip, port, ctx):
            continue
        try:
            out += _result(ip, port, "TCP", await options_tcp(ip, port, ctx.timeout))
        except TimeoutError:
            out.append(Problem("sip", "timeout", f"{ip}:{port}/tcp no SIP answer", ip=ip))
        except ParseError as exc:
            out.append(Problem("sip", "oversize", f"{ip}:{port}/tcp {exc}", ip=ip))
        except OSError:
            pass  # refused: no SIP over TCP
    return out


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """SIP OPTIONS to every live host (UDP always, TCP unless the port probe saw it closed)."""
    hosts = [ip for ip in ctx.hosts if ":" not in ip]  # SIP URIs of IPv6 hosts: not yet
    if not hosts or not ctx.service_ports.sip:
        return
    guard_send("SIP OPTIONS", hosts)
    done = progress_callback(ctx)

    async def one(ip: str) -> list[Observation | Problem]:
        result = await probe_host(ip, ctx)
        done(ip)
        return result

    async for item in per_host(hosts, one, max(1, ctx.concurrency // 4)):
        yield item
