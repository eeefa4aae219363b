"""Greetings of services that speak first: ``banner.ftp``, ``banner.ssh``, ``banner.telnet``.

An FTP server says ``220 AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready.``,
an SSH server its version line, a telnet daemon a login prompt, all before the client says
anything.  So the probe connects, reads, and closes: **nothing is sent**, not even after
the handshake.  No SSH version line, no FTP ``QUIT``, no login.

Telnet: servers open with IAC option negotiation (BusyBox telnetd sends ``DO ECHO``,
``WILL SGA`` ... and then its prompt without waiting).  We never answer: the IAC
sequences are dropped from what was read, and a daemon that waits for answers before its
prompt gives us negotiation only, which is recorded as "no greeting" rather than answered.

Every read is bounded: at most ``MAX_GREETING`` bytes, and one deadline (the scan's
per-request timeout) for the whole greeting.  A server that never stops talking
(``oversize``), dribbles bytes (``timeout``) or sends bytes that are no greeting of its
protocol (``parse``) costs one recorded Problem.  Parsing is pure (bytes in, text out).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from core.model import Observation, Problem
from discovery.base import ParseError, ProbeContext
from discovery.ports import close_quietly, each_host, ports_of

MAX_GREETING = 4096  # bytes read at most; real greetings are under 300
MAX_VALUE = 300  # characters kept in the evidence value
QUIET_AFTER_DATA = 0.5  # telnet: this long without a byte after some text ends the greeting
SERVICES = ("ftp", "ssh", "telnet")

IAC, SB, SE = 255, 250, 240
_NEGOTIATION = frozenset({251, 252, 253, 254})  # WILL WONT DO DONT
_FTP_FINAL = re.compile(rb"(?m)^\d{3} [^\n]*\n")


# ---------------------------------------------------------------- pure parsing


def strip_telnet(data: bytes) -> bytes:
    """The data bytes of a telnet stream: IAC commands and subnegotiations removed."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte != IAC:
            out.append(byte)
            i += 1
            continue
        command = data[i + 1] if i + 1 < n else None
        if command == IAC:  # an escaped 0xFF data byte
            out.append(IAC)
            i += 2
        elif command in _NEGOTIATION:
            i += 3
        elif command == SB:
            end = data.find(bytes((IAC, SE)), i + 2)
            i = n if end < 0 else end + 2
        else:
            i += 2
    return bytes(out)


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # keep printable characters and line breaks; tabs become spaces
    text = "".join(ch if ch == "\n" or ch.isprintable() else " " for ch in text.replace("\t", " "))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip())


def parse_greeting(service: str, data: bytes) -> str:
    """The greeting as evidence text; ParseError if ``data`` is no greeting of ``service``."""
    if service == "ssh":
        return _ssh_version(data)
    if service == "ftp":
        return _ftp_reply(data)
    if service == "telnet":
        text = _text(strip_telnet(data))
        if not text:
            raise ParseError("telnet server sent only option negotiation, no greeting")
        return text[:MAX_VALUE]
    raise ValueError(f"unknown banner service {service!r}")


def _ssh_version(data: bytes) -> str:
    # RFC 4253 4.2: lines before the version line are allowed; the version line starts "SSH-".
    for raw in data.split(b"\n"):
        line = raw.rstrip(b"\r")
        if line.startswith(b"SSH-"):
            text = _text(line)
            if re.match(r"^SSH-\d+\.\d+-\S", text):
                return text[:MAX_VALUE]
            break
    raise ParseError(f"not an SSH version line: {data[:40]!r}")


def _ftp_reply(data: bytes) -> str:
    text = _text(data)
    if not re.match(r"^\d{3}[ -]", text):
        raise ParseError(f"not an FTP reply: {data[:40]!r}")
    return text[:MAX_VALUE]


def complete(service: str, data: bytes) -> bool:
    """Whether ``data`` already holds the whole greeting (telnet has no end marker)."""
    if service == "ssh":
        return any(line.startswith(b"SSH-") for line in data.split(b"\n")[:-1])
    if service == "ftp":
        return _FTP_FINAL.search(data.replace(b"\r\n", b"\n")) is not None
    return False


# ---------------------------------------------------------------- bounded reader


@dataclass(frozen=True, slots=True)
class Greeting:
    data: bytes
    ended: str  # complete | closed | quiet | oversize | deadline


async def read_greeting(
    ip: str, port: int, service: str, timeout: float, limit: int = MAX_GREETING
) -> Greeting:
    """Connect, read what the server says first, close.  Sends nothing at all."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(ip, port, limit=limit)
    try:
        return await _read_until_done(reader, service, deadline, limit)
    finally:
        await close_quietly(writer)


async def _read_until_done(
    reader: asyncio.StreamReader, service: str, deadline: float, limit: int
) -> Greeting:
    loop = asyncio.get_running_loop()
    data = b""
    while True:
        left = deadline - loop.time()
        if left <= 0:
            return Greeting(data, "deadline")
        # telnet has no end marker: once some text came, a pause ends the greeting
        quiet = service == "telnet" and left > QUIET_AFTER_DATA and bool(strip_telnet(data).strip())
        try:
            async with asyncio.timeout(QUIET_AFTER_DATA if quiet else left):
                chunk = await reader.read(limit - len(data))
        except TimeoutError:
            return Greeting(data, "quiet" if quiet else "deadline")
        if not chunk:
            return Greeting(data, "closed")
        data += chunk
        if complete(service, data):
            return Greeting(data, "complete")
        if len(data) >= limit:
            return Greeting(data, "oversize")


def judge(service: str, greeting: Greeting) -> tuple[str | None, tuple[str, str] | None]:
    """(evidence value, (problem kind, message)) for what a server said."""
    data, ended = greeting.data, greeting.ended
    if not data:
        if ended == "deadline":
            return None, ("timeout", "no greeting before the deadline")
        return None, None  # closed without a word: nothing to record
    if ended == "oversize":
        value = _first_line_value(service, data)
        return value, ("oversize", f"greeting longer than {len(data)} bytes; kept its start")
    late = ended == "deadline" and service != "telnet"
    try:
        value = parse_greeting(service, data)
    except ParseError as exc:
        if not (late and b"\n" not in data):  # a whole line that is no greeting
            return None, ("parse", str(exc))
    if late:  # the greeting was still arriving, a byte at a time
        return None, ("timeout", f"greeting incomplete at the deadline ({len(data)} bytes)")
    if ended == "deadline":  # telnet still talking at the deadline: keep what it said
        return value, ("timeout", f"greeting still arriving at the deadline ({len(data)} bytes)")
    return value, None


def _first_line_value(service: str, data: bytes) -> str | None:
    with contextlib.suppress(ParseError):
        return parse_greeting(service, data).split("\n", 1)[0][:MAX_VALUE]
    return None


# ---------------------------------------------------------------- the probe


def worth_trying(ip: str, port: int, ctx: ProbeContext) -> bool:
    """Try ``port`` unless the port probe checked it on this host and found it closed."""
    known = ctx.hints.open_ports.get(ip)
    if known is None:
        return True
    return port in known or port not in ports_of(ctx)


async def probe_port(
    ip: str, port: int, service: str, timeout: float
) -> list[Observation | Problem]:
    try:
        greeting = await read_greeting(ip, port, service, timeout)
    except TimeoutError:
        return []  # no connection within the deadline: a filtered port, not a greeting
    except OSError:
        return []  # refused or unreachable: no such service
    value, problem = judge(service, greeting)
    out: list[Observation | Problem] = []
    if value:
        fields = {"ip": ip, f"banner.{service}": value}
        out.append(Observation(source="banner", fields=fields, method=f"{service}/{port}"))
    if problem:
        kind, message = problem
        out.append(Problem("banner", kind, f"{ip}:{port} {service}: {message}", ip=ip))
    return out


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """The FTP, SSH and telnet greetings of every host (``ctx.service_ports.banner``)."""
    plan = {
        ip: [(p, s) for p, s in ctx.service_ports.banner if worth_trying(ip, p, ctx)]
        for ip in ctx.hosts
    }

    async def one(ip: str, jobs: list[tuple[int, str]]) -> list[Observation | Problem]:
        results = await asyncio.gather(*(probe_port(ip, p, s, ctx.timeout) for p, s in jobs))
        return [item for found in results for item in found]

    async for item in each_host(ctx, plan, "TCP connects for service greetings", one):
        yield item
