"""An in-process ONVIF device service for the real onvif-zeep-async client, on loopback.

It checks what a strict camera checks, for real: every WS-Security UsernameToken's
PasswordDigest is recomputed (Base64(SHA1(nonce + created + password)), the WS-Security
UsernameToken Profile 1.0 formula), optionally its Created time against the device's own
clock, and optionally an HTTP Digest ``Authorization`` (RFC 7616, MD5, qop=auth).  A refused
call gets HTTP 400 with the SOAP fault ONVIF devices send ("Sender not authorized",
``ter:NotAuthorized``).  Replies to the other operations come from the interop corpus.
Every request's verdict is kept in ``verdicts`` so tests can say *why* a call failed.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from discovery import http, xmlsafe
from tests.discovery.tcp_fakes import Server

NOT_AUTHORIZED = b"""<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>
<env:Code><env:Value>env:Sender</env:Value>
<env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>
<env:Reason><env:Text xml:lang="en">Sender not authorized</env:Text></env:Reason>
</env:Fault></env:Body></env:Envelope>"""

_CLOCK_REPLY = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">
<env:Body><tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>
<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>
<tt:UTCDateTime><tt:Time><tt:Hour>{t.hour}</tt:Hour><tt:Minute>{t.minute}</tt:Minute>
<tt:Second>{t.second}</tt:Second></tt:Time><tt:Date><tt:Year>{t.year}</tt:Year>
<tt:Month>{t.month}</tt:Month><tt:Day>{t.day}</tt:Day></tt:Date></tt:UTCDateTime>
</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></env:Body></env:Envelope>"""

REALM = "IP Camera(fake)"
NONCE = "4e6f6e6365466f7254657374"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """The UsernameToken Profile's PasswordDigest."""
    raw = nonce + created.encode() + password.encode()
    return base64.b64encode(hashlib.sha1(raw, usedforsecurity=False).digest()).decode()


@dataclass
class FakeOnvifDevice:
    """One device service at ``path``; see the module docstring."""

    users: dict[str, str]
    replies: dict[str, bytes]  # operation -> SOAP reply
    path: str = "/onvif/device_service"
    anonymous: frozenset[str] = frozenset()  # operations answered without a token
    clock: dt.timedelta = dt.timedelta(0)  # the device's clock minus ours
    max_skew: dt.timedelta | None = None  # refuse tokens created further from the device clock
    http_digest: bool = False  # also demand HTTP Digest
    http_basic: bool = False  # also demand HTTP Basic (and offer nothing else)
    authorizations: list[str] = field(default_factory=list)  # Authorization schemes received
    refusal: bytes = NOT_AUTHORIZED  # the fault a refused call gets (another server's spelling)
    verdicts: list[tuple[str, str]] = field(default_factory=list)  # (operation, verdict)
    paths: list[str] = field(default_factory=list)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.clock

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = Request.parse(await reader.readuntil(b"\r\n\r\n"))
        body = await reader.readexactly(int(head.headers.get("content-length", "0")))
        status, reply, extra = self.answer(head, body)
        lines = [f"HTTP/1.1 {status}", "Content-Type: application/soap+xml; charset=utf-8"]
        lines += [*extra, f"Content-Length: {len(reply)}", "Connection: close", "", ""]
        writer.write("\r\n".join(lines).encode() + reply)
        await writer.drain()

    def answer(self, head: Request, body: bytes) -> tuple[str, bytes, list[str]]:
        self.paths.append(head.path)
        if head.path != self.path:
            return "404 Not Found", b"", []
        if auth := head.headers.get("authorization", ""):
            self.authorizations.append(auth.partition(" ")[0].lower())
        if self.http_basic and not self.basic_ok(head):
            self.verdicts.append(("?", "no http basic"))
            return "401 Unauthorized", b"", [f'WWW-Authenticate: Basic realm="{REALM}"']
        if self.http_digest and not self.digest_ok(head):
            self.verdicts.append(("?", "no http digest"))
            challenge = f'WWW-Authenticate: Digest realm="{REALM}", nonce="{NONCE}", qop="auth"'
            return "401 Unauthorized", b"", [challenge]
        root = xmlsafe.parse(body)
        operation = operation_of(root)
        verdict = self.token_verdict(root)
        self.verdicts.append((operation, verdict))
        if verdict != "ok" and operation not in self.anonymous:
            return "400 Bad Request", self.refusal, []
        if operation == "GetSystemDateAndTime":
            return "200 OK", _CLOCK_REPLY.format(t=self.now()).encode(), []
        return "200 OK", self.replies[operation], []

    def token_verdict(self, root: xmlsafe.Element) -> str:
        token = xmlsafe.find_local(root, "UsernameToken")
        if token is None:
            return "no token"
        fields = xmlsafe.children_text(token)
        password_type = next(
            (e.get("Type", "") for e in token if xmlsafe.localname(e.tag) == "Password"), ""
        )
        secret = self.users.get(fields.get("Username", ""))
        if secret is None:
            return "unknown user"
        if not password_type.endswith("#PasswordDigest"):
            return "not a digest"
        nonce = base64.b64decode(fields.get("Nonce", ""))
        created = fields.get("Created", "")
        if password_digest(nonce, created, secret) != fields.get("Password"):
            return "bad digest"
        stamp = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        if self.max_skew is not None and abs(stamp - self.now()) > self.max_skew:
            return "stale created"
        return "ok"

    def basic_ok(self, head: Request) -> bool:
        scheme, _, value = head.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        user, _, password = base64.b64decode(value).decode().partition(":")
        return self.users.get(user) == password

    def digest_ok(self, head: Request) -> bool:
        scheme, p = http.parse_challenge(head.headers.get("authorization", ""))
        secret = self.users.get(p.get("username", ""))
        if scheme != "digest" or secret is None or p.get("nonce") != NONCE:
            return False

        def md5(text: str) -> str:
            return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

        ha1 = md5(f"{p['username']}:{REALM}:{secret}")
        ha2 = md5(f"POST:{p.get('uri', '')}")
        expected = md5(f"{ha1}:{NONCE}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
        return p.get("response") == expected

    def server(self) -> Server:
        return Server(self.serve)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names

    @classmethod
    def parse(cls, raw: bytes) -> Request:
        line, *rest = raw.decode("iso-8859-1").split("\r\n")
        method, path, _ = line.split(" ", 2)
        pairs = (h.split(":", 1) for h in rest if ":" in h)
        return cls(method, path, {k.strip().lower(): v.strip() for k, v in pairs})


def operation_of(root: xmlsafe.Element) -> str:
    body = xmlsafe.find_local(root, "Body")
    return xmlsafe.localname(body[0].tag) if body is not None and len(body) else ""
