"""SNMP reads: the system group of devices (method ``snmp``) and the one client every SNMP
read goes through (``discovery.snmp_walk`` walks router tables with it).

The library: pysnmp (lextudio's maintained line, 7.1.x; it needs only pyasn1, and for SNMPv3
privacy the ``cryptography`` package we already ship).  SNMPv3 is part of the job (USM key
localisation, HMAC-SHA-2, AES/DES privacy, engine-ID discovery and time windows), and a
codec of our own for all of that would be a second, untested security implementation.
pysnmp runs on the scan's own asyncio loop.  This module is its only seam (one module per
external library): it turns pysnmp's objects into plain :class:`Varbind` values and its
error indications into :class:`SnmpError` kinds, so the rest of camaudit never sees pysnmp.

What we add around it:

- Read-only by construction: only GET, GETNEXT and GETBULK are built here; pysnmp's
  ``set_cmd`` is never imported.  Credentials come only from the user's credentials file
  (``[[snmp]]``); a host without an entry is not asked, not even with ``public``.
- Bounds: a per-request timeout with one retry inside pysnmp, and a hard asyncio deadline
  around every call on top, so a tarpit or a lost engine timer never holds a scan; text
  values are clipped (:data:`MAX_TEXT`).
- Hostile replies: pysnmp drops a datagram it cannot decode (malformed BER, a length
  larger than the datagram, a deep nest) and the request then times out.  Our transport
  counts the datagrams that arrive per source address, so the problem says "N replies
  arrived but none could be used" instead of only "no answer".
- Errors sorted into kinds a user can act on: ``timeout`` (no answer: SNMP off, a filter,
  or a wrong v1/v2c community: agents stay silent on those), ``parse`` (replies arrived,
  none usable), ``bad_credentials`` (a v3 report: unknown user, wrong digest, decryption
  failed, outside the time window), ``refused`` (the agent answered with an error-status).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import errind, rfc1902, rfc1905

from core.model import Observation, Problem
from discovery.base import DiscoveryError, ProbeContext, SnmpCredential
from discovery.ports import guard_send, per_host, progress_callback

log = logging.getLogger(__name__)

Oid = tuple[int, ...]
MAX_TEXT = 1024  # a sysDescr longer than this is cut (and says so)
NO_SUCH_NAME = 2  # SNMPv1 error-status: also how v1 says a GETNEXT ran past the end
RETRIES = 1  # one resend inside pysnmp: UDP may drop one datagram on a busy LAN
SLACK_S = 1.0  # the hard deadline's margin over pysnmp's own timeout and retries

SYSTEM: Mapping[Oid, str] = {
    (1, 3, 6, 1, 2, 1, 1, 1, 0): "snmp.sysdescr",
    (1, 3, 6, 1, 2, 1, 1, 2, 0): "snmp.sysobjectid",
    (1, 3, 6, 1, 2, 1, 1, 5, 0): "snmp.sysname",
    (1, 3, 6, 1, 2, 1, 1, 4, 0): "snmp.syscontact",
    (1, 3, 6, 1, 2, 1, 1, 6, 0): "snmp.syslocation",
}
"""The system group (SNMPv2-MIB, RFC 3418) objects read from every device with credentials."""

_AUTH = {
    "md5": usm.USM_AUTH_HMAC96_MD5,
    "sha": usm.USM_AUTH_HMAC96_SHA,
    "sha224": usm.USM_AUTH_HMAC128_SHA224,
    "sha256": usm.USM_AUTH_HMAC192_SHA256,
    "sha384": usm.USM_AUTH_HMAC256_SHA384,
    "sha512": usm.USM_AUTH_HMAC384_SHA512,
}
# AES-192/256 with the key extension net-snmp uses for "AES192"/"AES256" (Blumenthal draft).
_PRIV = {
    "des": usm.USM_PRIV_CBC56_DES,
    "aes": usm.USM_PRIV_CFB128_AES,
    "aes192": usm.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "aes256": usm.USM_PRIV_CFB256_AES_BLUMENTHAL,
}
# v3 report PDUs: the agent understood us and refused the user or its keys.
_CREDENTIAL_ERRORS = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.NotInTimeWindow,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
)


class SnmpError(DiscoveryError):
    """One SNMP request failed; ``kind`` sorts it (timeout, parse, bad_credentials, refused,
    protocol), the message names the host and never a secret."""

    def __init__(self, kind: str, message: str, error_index: int = 0, status: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.error_index = error_index  # 1-based varbind the agent blamed (v1 noSuchName)
        self.status = status  # the agent's error-status (refused), e.g. NO_SUCH_NAME


@dataclass(frozen=True, slots=True)
class Varbind:
    """One object in a reply, as plain data: ``kind`` is octets, oid, int, ipaddress, null,
    nosuch (noSuchObject / noSuchInstance), end (endOfMibView) or other."""

    oid: Oid
    kind: str
    value: bytes | int | Oid | str | None

    @property
    def missing(self) -> bool:
        return self.kind in ("nosuch", "end", "null")


# ---------------------------------------------------------------- plain values (pure)


def oid_text(oid: Iterable[int]) -> str:
    return ".".join(str(part) for part in oid)


def parse_oid(text: str) -> Oid:
    """``1.3.6.1`` (a leading dot allowed) as a tuple; ValueError if it is not one."""
    parts = text.strip().lstrip(".").split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not an OID: {text!r}")
    return tuple(int(p) for p in parts)


def plain(oid: Any, value: Any) -> Varbind:
    """A pysnmp (pyasn1) name and value as a :class:`Varbind`."""
    if hasattr(oid, "get_oid"):  # an ObjectIdentity when MIB lookup is on
        oid = oid.get_oid()
    name = tuple(int(part) for part in oid)
    if isinstance(value, rfc1905.EndOfMibView):
        return Varbind(name, "end", None)
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance):
        return Varbind(name, "nosuch", None)
    if isinstance(value, rfc1902.IpAddress):
        return Varbind(name, "ipaddress", bytes(value.asOctets()))
    if isinstance(value, univ.OctetString):
        return Varbind(name, "octets", bytes(value.asOctets()))
    if isinstance(value, univ.ObjectIdentifier):
        return Varbind(name, "oid", tuple(int(part) for part in value))
    if isinstance(value, univ.Integer):
        return Varbind(name, "int", int(value))
    if isinstance(value, univ.Null):
        return Varbind(name, "null", None)
    return Varbind(name, "other", repr(value)[:MAX_TEXT])


def text_of(vb: Varbind) -> str | None:
    """A varbind as evidence text: strings decoded (UTF-8, else Latin-1), NULs dropped,
    clipped; OIDs dotted; numbers as digits; None when the agent has no such object."""
    if vb.kind == "octets" and isinstance(vb.value, bytes):
        raw = vb.value.replace(b"\x00", b"")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        text = text.strip()
    elif vb.kind == "oid" and isinstance(vb.value, tuple):
        text = oid_text(vb.value)
    elif vb.kind == "ipaddress" and isinstance(vb.value, bytes) and len(vb.value) == 4:
        text = str(ipaddress.IPv4Address(vb.value))
    elif vb.kind in ("int", "other"):
        text = str(vb.value)
    else:
        return None
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"... (+{len(text) - MAX_TEXT} chars)"
    return text


def system_fields(varbinds: Iterable[Varbind]) -> dict[str, str]:
    """Evidence fields from a system-group reply (empty values and missing objects left out)."""
    fields: dict[str, str] = {}
    for vb in varbinds:
        name = SYSTEM.get(vb.oid)
        text = text_of(vb) if name else None
        if name and text:
            fields[name] = text
    return fields


# ---------------------------------------------------------------- the client (pysnmp)


def _auth_data(cred: SnmpCredential) -> CommunityData | UsmUserData:
    if cred.version in ("1", "2c"):
        return CommunityData(cred.community, mpModel=0 if cred.version == "1" else 1)
    return UsmUserData(
        cred.username,
        authKey=cred.auth_password or None,
        privKey=cred.priv_password or None,
        authProtocol=_AUTH.get(cred.auth_protocol, usm.USM_AUTH_NONE),
        privProtocol=_PRIV.get(cred.priv_protocol, usm.USM_PRIV_NONE),
    )


def _counting_targets(seen: collections.Counter[str]) -> tuple[type[Any], type[Any]]:
    """Transport targets whose sockets count each datagram's source (see module docstring)."""

    class Counting4(udp.UdpAsyncioTransport):  # type: ignore[misc]
        def datagram_received(self, datagram: bytes, address: Any) -> None:
            seen[str(address[0])] += 1
            super().datagram_received(datagram, address)

    class Counting6(udp6.Udp6AsyncioTransport):  # type: ignore[misc]
        def datagram_received(self, datagram: bytes, address: Any) -> None:
            seen[str(address[0]).partition("%")[0]] += 1
            super().datagram_received(datagram, address)

    class Target4(UdpTransportTarget):  # type: ignore[misc]
        PROTO_TRANSPORT = Counting4

    class Target6(Udp6TransportTarget):  # type: ignore[misc]
        PROTO_TRANSPORT = Counting6

    return Target4, Target6


class SnmpClient:
    """GET / GETNEXT / GETBULK to many agents over one pysnmp engine (one UDP socket).

    Use as ``async with SnmpClient(timeout) as client``; every method raises
    :class:`SnmpError` and returns within ``timeout * (RETRIES + 1) + SLACK_S`` seconds.
    """

    def __init__(self, timeout: float, retries: int = RETRIES) -> None:
        self.timeout = max(0.1, timeout)
        self.retries = retries
        self.seen: collections.Counter[str] = collections.Counter()
        self._targets = _counting_targets(self.seen)
        self._engine: SnmpEngine | None = None

    async def __aenter__(self) -> SnmpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._engine is not None:
            with contextlib.suppress(Exception):  # closing must never mask the real error
                self._engine.close_dispatcher()
            self._engine = None

    @property
    def deadline(self) -> float:
        """The most one request may take, retries included."""
        return self.timeout * (self.retries + 1) + SLACK_S

    def _engine_now(self) -> SnmpEngine:
        if self._engine is None:
            self._engine = SnmpEngine()
        return self._engine

    async def _target(self, ip: str, port: int) -> Any:
        family6 = ":" in ip
        cls = self._targets[1] if family6 else self._targets[0]
        return await cls.create((ip, port), timeout=self.timeout, retries=self.retries)

    async def get(self, ip: str, cred: SnmpCredential, oids: Sequence[Oid]) -> list[Varbind]:
        return await self._call("GET", ip, cred, oids)

    async def next(self, ip: str, cred: SnmpCredential, oids: Sequence[Oid]) -> list[Varbind]:
        return await self._call("GETNEXT", ip, cred, oids)

    async def bulk(
        self, ip: str, cred: SnmpCredential, oids: Sequence[Oid], repetitions: int
    ) -> list[Varbind]:
        return await self._call("GETBULK", ip, cred, oids, repetitions)

    async def _call(
        self, op: str, ip: str, cred: SnmpCredential, oids: Sequence[Oid], repetitions: int = 0
    ) -> list[Varbind]:
        guard_send("SNMP requests", [ip])
        before = self.seen[ip.partition("%")[0]]
        try:
            async with asyncio.timeout(self.deadline):
                result = await self._send(op, ip, cred, oids, repetitions)
        except TimeoutError:
            raise self._silence(ip, before) from None
        except OSError as exc:
            raise SnmpError("unreachable", f"{ip}: {type(exc).__name__}: {exc}") from None
        except SnmpError:
            raise
        except Exception as exc:  # pysnmp raises plain exceptions on odd input
            raise SnmpError("protocol", f"{ip}: SNMP library error {type(exc).__name__}") from exc
        indication, status, index, varbinds = result
        if indication:
            raise self._indication(ip, indication, before)
        if status and int(status):
            raise SnmpError(
                "refused",
                f"{ip}: the agent answered {_status_name(status)} "
                f"(for object #{int(index)} of {len(oids)})",
                int(index),
                int(status),
            )
        try:
            return [plain(name, value) for name, value in varbinds]
        except (TypeError, ValueError) as exc:
            raise SnmpError("parse", f"{ip}: unusable object in the reply: {exc}") from None

    async def _send(
        self, op: str, ip: str, cred: SnmpCredential, oids: Sequence[Oid], repetitions: int
    ) -> tuple[Any, Any, Any, Any]:
        engine, target = self._engine_now(), await self._target(ip, cred.port)
        auth, context = _auth_data(cred), ContextData()
        objects = [ObjectType(ObjectIdentity(oid_text(oid))) for oid in oids]
        result: tuple[Any, Any, Any, Any]
        if op == "GET":
            result = await get_cmd(engine, auth, target, context, *objects, lookupMib=False)
        elif op == "GETNEXT":
            result = await next_cmd(engine, auth, target, context, *objects, lookupMib=False)
        else:
            result = await bulk_cmd(
                engine, auth, target, context, 0, repetitions, *objects, lookupMib=False
            )
        return result

    def _silence(self, ip: str, before: int) -> SnmpError:
        tries = self.retries + 1
        arrived = self.seen[ip.partition("%")[0]] - before
        if arrived:
            return SnmpError(
                "parse",
                f"{ip}: {arrived} SNMP repl{'y' if arrived == 1 else 'ies'} arrived but none "
                "could be used (malformed, or not an answer to our request)",
            )
        return SnmpError(
            "timeout",
            f"{ip}: no SNMP answer in {self.timeout:g} s x {tries} tries (wrong community, "
            "SNMP off, or UDP filtered: agents stay silent on a wrong community)",
        )

    def _indication(self, ip: str, indication: Any, before: int) -> SnmpError:
        if isinstance(indication, errind.RequestTimedOut):
            return self._silence(ip, before)
        if isinstance(indication, _CREDENTIAL_ERRORS):
            return SnmpError(
                "bad_credentials", f"{ip}: the agent refused our SNMPv3 user: {indication}"
            )
        if isinstance(indication, errind.DeserializationError):
            return SnmpError("parse", f"{ip}: SNMP reply could not be decoded: {indication}")
        return SnmpError("protocol", f"{ip}: SNMP error: {indication}")


def _status_name(status: Any) -> str:
    with contextlib.suppress(Exception):
        text = str(status.prettyPrint())
        if text and not text.isdigit():
            return text
    return f"error-status {int(status)}"


# ---------------------------------------------------------------- the probe


async def read_system(client: SnmpClient, ip: str, cred: SnmpCredential) -> dict[str, str]:
    """The system group of one agent.  A v1 agent fails a whole GET for one unknown object
    (noSuchName with its index): that object is dropped and the rest asked again."""
    oids = list(SYSTEM)
    while oids:
        try:
            return system_fields(await client.get(ip, cred, oids))
        except SnmpError as exc:
            if exc.kind != "refused" or not 0 < exc.error_index <= len(oids):
                raise
            del oids[exc.error_index - 1]
    return {}


def observation(ip: str, fields: Mapping[str, str]) -> Observation:
    return Observation(source="snmp", fields={"ip": ip, **fields}, method="snmp-get")


async def query(client: SnmpClient, ip: str, cred: SnmpCredential) -> Observation | Problem:
    try:
        fields = await read_system(client, ip, cred)
    except SnmpError as exc:
        return Problem("snmp", exc.kind, str(exc), ip=ip)
    if not fields:
        return Problem("snmp", "empty", f"{ip}: the agent holds no system-group object", ip=ip)
    return observation(ip, fields)


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """sysDescr, sysObjectID, sysName (and contact, location) of every host for which the
    user gave SNMP credentials; hosts without any are not asked."""
    plan = {ip: cred for ip in ctx.hosts if (cred := ctx.snmp_credentials(ip)) is not None}
    if not plan:
        return
    guard_send("SNMP requests", plan)
    done = progress_callback(ctx)
    async with SnmpClient(ctx.timeout) as client:

        async def one(ip: str) -> list[Observation | Problem]:
            result = await query(client, ip, plan[ip])
            done(ip)
            return [result]

        async for item in per_host(list(plan), one, max(1, ctx.concurrency // 4)):
            yield item
