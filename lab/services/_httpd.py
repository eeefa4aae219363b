"""A small HTTP/1.1 server on asyncio streams, shared by the http, onvif and ssdp services.

Written by hand rather than on aiohttp's server because the lab must control every byte a
device sends (header spelling and order, the Server banner, a 20 MB body, broken replies).
One :class:`HttpSite` serves one (device, port); services add routes to it, whichever of
them starts first opens the socket.  Reads are bounded: 16 KiB of request head, 1 MiB of
body, 30 s idle per connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from lab.services import _tls
from lab.services.base import DeviceContext

MAX_HEAD = 16 * 1024
MAX_BODY = 1024 * 1024
IDLE_TIMEOUT = 30.0
MAX_REQUESTS_PER_CONNECTION = 200
REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass
class Request:
    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    peer: str
    version: str = "HTTP/1.1"


Streamer = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html"
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Streamer | None = None  # writes the body itself (huge replies)
    stream_length: int | None = None


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Credentials:
    """What a request presented: never the password, only who and whether it was right."""

    scheme: str | None  # "digest", "basic", "wsse" or None
    user: str | None
    valid: bool

    @property
    def presented(self) -> bool:
        return self.scheme is not None

    def detail(self) -> dict[str, Any]:
        return {"credentials": self.presented, "user": self.user, "auth_ok": self.valid}


NO_CREDENTIALS = Credentials(None, None, valid=False)


class HttpSite:
    """The routes of one device's HTTP port."""

    def __init__(self, ctx: DeviceContext, port: int, tls: bool = False) -> None:
        self.ctx = ctx
        self.port = port
        self.tls = tls
        self.routes: list[tuple[str, bool, Handler]] = []  # (path, prefix?, handler)
        self.nonces: OrderedDict[str, None] = OrderedDict()
        self.server: asyncio.AbstractServer | None = None

    # -- routing --------------------------------------------------------------------------

    def route(self, path: str, handler: Handler, *, prefix: bool = False) -> None:
        self.routes.append((path, prefix, handler))

    def find(self, path: str) -> Handler | None:
        """Exact routes first, then the longest matching prefix (start order must not matter)."""
        for route_path, _, handler in self.routes:
            if path == route_path:
                return handler
        candidates = [(len(p), h) for p, prefix, h in self.routes if prefix and path.startswith(p)]
        return max(candidates, key=lambda item: item[0])[1] if candidates else None

    @property
    def style(self) -> HeaderStyle:
        return header_style(self.ctx)

    # -- auth -------------------------------------------------------------------------------

    def new_nonce(self) -> str:
        nonce = secrets.token_hex(16)
        self.nonces[nonce] = None
        while len(self.nonces) > 512:
            self.nonces.popitem(last=False)
        return nonce

    def challenge(self, scheme: str, realm: str) -> tuple[str, str]:
        if scheme == "basic":
            return ("WWW-Authenticate", f'Basic realm="{realm}"')
        return (
            "WWW-Authenticate",
            f'Digest qop="auth", realm="{realm}", nonce="{self.new_nonce()}", '
            'algorithm="MD5", stale="FALSE"',
        )

    def check(self, request: Request, realm: str) -> Credentials:
        """Check the Authorization header against the profile's credentials."""
        return check_authorization(
            self.ctx, request.headers.get("authorization", ""), request.method, realm, self.nonces
        )

    # -- serving --------------------------------------------------------------------------

    async def start(self) -> None:
        sock = self.ctx.tcp_socket(self.port)
        context = _tls.server_context(self.ctx) if self.tls else None
        self.server = await asyncio.start_server(
            self._connection, sock=sock, limit=MAX_HEAD, ssl=context
        )

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        _SITES.pop(_key(self.ctx, self.port), None)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else "?"
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                request = await asyncio.wait_for(read_request(reader, host), IDLE_TIMEOUT)
                if request is None:
                    break
                response = await self._answer(request)
                await write_response(writer, response, self.style, request.method)
                if self.style.closes or _client_closes(request):
                    break
        except (TimeoutError, OSError, asyncio.IncompleteReadError, BadRequest) as exc:
            if isinstance(exc, BadRequest):
                with contextlib.suppress(ConnectionError):
                    await write_response(writer, Response(400, b"bad request\n"), self.style, "GET")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _answer(self, request: Request) -> Response:
        handler = self.find(request.path)
        if handler is None:
            self.ctx.record("http", f"{request.method} {request.path}", {"peer": request.peer})
            return Response(404, b"<html><body>404 Not Found</body></html>\n")
        try:
            return await handler(request)
        except Exception as exc:  # a bug in one handler must not take the device down
            self.ctx.record("http", "handler-error", {"path": request.path, "error": repr(exc)})
            return Response(500, b"internal error\n")


def _client_closes(request: Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    return connection == "close" or (request.version == "HTTP/1.0" and connection != "keep-alive")


class BadRequest(Exception):
    """The peer sent something that is not HTTP/1.x within our limits."""


async def read_request(reader: asyncio.StreamReader, peer: str) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise BadRequest("truncated request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("request head too long") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest(f"bad request line {lines[0][:80]!r}")
    headers = parse_headers(lines[1:])
    body = await _read_body(reader, headers)
    method, target = parts[0].upper(), parts[1]
    split = urlsplit(target)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    return Request(method, target, unquote(split.path), query, headers, body, peer, parts[2])


def parse_headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip().lower()] = value.strip()
    return headers


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise BadRequest("chunked request bodies are not supported")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError as exc:
        raise BadRequest("bad Content-Length") from exc
    if length < 0 or length > MAX_BODY:
        raise BadRequest(f"body of {length} bytes refused")
    return await reader.readexactly(length) if length else b""


@dataclass(frozen=True)
class HeaderStyle:
    """How a device's web server lays out its reply head: a fingerprint in itself.

    Layouts, each as nmap 7.93's nmap-service-probes matches it:
    ``hikvision``: HTTP/1.0, Date then Server, optional ETag "hex-hex", Connection: close
    (l.9679 App-webs/, l.10164 DNVRS-Webs); ``dahua``: HTTP/1.1 with uppercase CONNECTION /
    CONTENT-LENGTH / CONTENT-TYPE and no Server (l.10322-10326, Amcrest/Dahua/ADT);
    ``http10``: HTTP/1.0 with the Server banner (uc-httpd, l.10596); ``default``: HTTP/1.1.
    """

    server: str | None = None
    layout: str = "default"
    etag: bool = False

    @property
    def closes(self) -> bool:
        return self.layout in ("hikvision", "dahua", "http10")


def header_style(ctx: DeviceContext) -> HeaderStyle:
    http, onvif = ctx.service("http"), ctx.service("onvif")
    server = http.get("server", onvif.get("server"))
    return HeaderStyle(
        server=str(server) if isinstance(server, str) else None,
        layout=str(http.get("layout", "default")),
        etag=bool(http.get("etag", False)),
    )


def head(response: Response, style: HeaderStyle) -> bytes:
    """Status line and headers in the device's layout."""
    length = str(response.stream_length if response.stream else len(response.body))
    ctype = [("Content-Type", response.content_type)] if response.content_type else []
    server = [("Server", style.server)] if style.server else []
    if style.layout == "dahua":
        upper = [(k.upper(), v) for k, v in ctype]
        headers = [("CONNECTION", "close"), *response.headers, ("CONTENT-LENGTH", length), *upper]
    elif style.layout == "hikvision":
        date = [("Date", formatdate(usegmt=True))]
        etag = [("ETag", f'"{int(length):x}-{_digest8(response.body)}"')] if style.etag else []
        modified = [("Last-Modified", date[0][1])] if style.etag else []
        tail = [("Content-Length", length), *ctype, ("Connection", "close"), *modified]
        headers = [*date, *server, *etag, *response.headers, *tail]
    else:
        headers = [*server, *response.headers, *ctype, ("Content-Length", length)]
        if style.closes:
            headers.append(("Connection", "close"))
    version = "HTTP/1.0" if style.layout in ("hikvision", "http10") else "HTTP/1.1"
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    reason = REASONS.get(response.status, "Unknown")
    return f"{version} {response.status} {reason}\r\n{lines}\r\n".encode("latin-1", "replace")


def _digest8(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()[:8]


async def write_response(
    writer: asyncio.StreamWriter, response: Response, style: HeaderStyle, method: str
) -> None:
    writer.write(head(response, style))
    if method != "HEAD":
        if response.stream is not None:
            await response.stream(writer)
        else:
            writer.write(response.body)
    await writer.drain()


# --- credentials ------------------------------------------------------------------------------


def expected_password(ctx: DeviceContext, user: str | None) -> str | None:
    creds = ctx.profile.get("credentials", {})
    if not isinstance(creds, Mapping) or user is None or creds.get("user") != user:
        return None
    password = creds.get("password")
    return password if isinstance(password, str) else None


def password_ok(ctx: DeviceContext, user: str, password: str) -> bool:
    expected = expected_password(ctx, user)
    return expected is not None and secrets.compare_digest(expected, password)


def check_authorization(
    ctx: DeviceContext, header: str, method: str, realm: str, nonces: Mapping[str, None]
) -> Credentials:
    """Basic or Digest (MD5, qop=auth or none) credentials in an Authorization header."""
    scheme, _, rest = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return Credentials("basic", None, valid=False)
        user, _, password = decoded.partition(":")
        return Credentials("basic", user, valid=password_ok(ctx, user, password))
    if scheme != "digest":
        return NO_CREDENTIALS
    fields = parse_auth_params(rest)
    name = fields.get("username")
    secret = expected_password(ctx, name)
    if name is None or secret is None or fields.get("nonce") not in nonces:
        return Credentials("digest", name, valid=False)
    expected = digest_response(fields, method, realm, name, secret)
    return Credentials(
        "digest", name, valid=secrets.compare_digest(expected, fields.get("response", ""))
    )


def parse_auth_params(text: str) -> dict[str, str]:
    """``a="x", b=y`` (RFC 7616 auth-params; quoted values may contain commas)."""
    params: dict[str, str] = {}
    rest = text.strip()
    while rest:
        name, sep, rest = rest.partition("=")
        if not sep:
            break
        rest = rest.lstrip()
        if rest.startswith('"'):
            value, _, rest = rest[1:].partition('"')
        else:
            value, _, rest = rest.partition(",")
        params[name.strip().strip(",").strip().lower()] = value.strip()
        rest = rest.lstrip(", ")
    return params


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_response(
    fields: Mapping[str, str], method: str, realm: str, user: str, password: str
) -> str:
    """RFC 2617 / 7616 MD5 response value (qop=auth, or none for old clients)."""
    ha1 = md5_hex(f"{user}:{realm}:{password}")
    ha2 = md5_hex(f"{method}:{fields.get('uri', '')}")
    nonce = fields.get("nonce", "")
    if fields.get("qop"):
        return md5_hex(
            f"{ha1}:{nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:{fields['qop']}:{ha2}"
        )
    return md5_hex(f"{ha1}:{nonce}:{ha2}")


# --- one site per device and port --------------------------------------------------------------

_SITES: dict[tuple[str, str, int], HttpSite] = {}


def _key(ctx: DeviceContext, port: int) -> tuple[str, str, int]:
    return (ctx.netns, ctx.name, port)


async def site_for(ctx: DeviceContext, port: int, tls: bool = False) -> HttpSite:
    """The device's HTTP site on ``port``, opening the socket the first time it is asked for."""
    key = _key(ctx, port)
    site = _SITES.get(key)
    if site is None:
        site = HttpSite(ctx, port, tls)
        _SITES[key] = site
        try:
            await site.start()
        except BaseException:
            _SITES.pop(key, None)
            raise
        ctx.closers.append(site)
    return site


def http_port(ctx: DeviceContext) -> int:
    """The port the device serves HTTP (and ONVIF) on: ``[services.http] port``, else 80."""
    for name in ("http", "onvif"):
        port = ctx.service(name).get("port")
        if isinstance(port, int):
            return port
    return 80


def base_url(ctx: DeviceContext) -> str:
    port = http_port(ctx)
    host = ctx.ip or f"[{ctx.ip6}]"  # an IPv6-only device names its ULA address
    return f"http://{host}" if port == 80 else f"http://{host}:{port}"
