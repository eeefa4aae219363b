"""The device's web server: banner, title, auth realm, favicon and vendor identity endpoints.

``[services.http]`` keys (all optional):

* ``port`` (80), ``server`` (the ``Server:`` banner), ``title`` (HTML title of ``/``),
  ``auth`` (``digest`` | ``basic``), ``realm``, ``protected`` (path prefixes behind auth;
  defaults to the vendor paths below), ``favicon`` (a seed: the device serves a small
  deterministic ICO so a favicon hash tells device families apart; real vendor icons are
  not redistributable), ``redirect`` (``/`` answers 302 to it, as Hikvision's UI does).
* ``login_page`` (path, e.g. Hikvision ``/doc/page/login.asp``).
* ``[services.http.isapi]``: element -> value of Hikvision ``GET /ISAPI/System/deviceInfo``.
* ``[services.http.magicbox.<action>]``: key -> value of Dahua
  ``GET /cgi-bin/magicBox.cgi?action=<action>`` (``key=value\\r\\n`` lines).
* ``rpc2_login = true``: Dahua ``POST /RPC2_Login`` answers the unauthenticated login
  challenge (mac, random, realm ``Login to <serial>``, code 268632079).
* ``https_port``: the same pages over TLS with a self-signed certificate made at start
  (subject CN = the device IP, O = ``tls_org``).
* ``huge_mb``: ``/`` streams this many MB (hostile).
* ``[[services.http.routes]]``: ``path``, ``status``, ``content_type``, ``body`` served as
  given (hostile bodies, UPnP XML with entity bombs ...).

Every request is recorded as ``"<METHOD> <path>"`` with the query, the peer, whether
credentials were presented (and for which user) and ``write``: PUT/PATCH/DELETE, a POST to a
vendor API path, or a CGI ``action=set...``.  Writes are refused with 403 (after the auth
challenge, as a real device would); other POSTs to unknown paths get 404 (an ONVIF request
to a camera with ONVIF off, for instance); the RPC2 login challenge is a read.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import struct
from collections.abc import Mapping
from typing import Any

from lab.services import _httpd
from lab.services._httpd import HttpSite, Request, Response
from lab.services._util import ident, runtime, seeded_bytes, x
from lab.services.base import DeviceContext

ISAPI_PATH = "/ISAPI/System/deviceInfo"
MAGICBOX_PATH = "/cgi-bin/magicBox.cgi"
RPC2_LOGIN_PATH = "/RPC2_Login"
READ_METHODS = frozenset({"GET", "HEAD"})
DAHUA_LOGIN_CHALLENGE = 268632079  # "Component error: login challenge!"


class WebServer:
    def __init__(self, ctx: DeviceContext, site: HttpSite) -> None:
        self.ctx = ctx
        self.site = site
        self.conf = ctx.service("http")

    @property
    def realm(self) -> str:
        return str(runtime(self.ctx, self.conf.get("realm", ident(self.ctx, "model", "Login"))))

    def protected_prefixes(self) -> list[str]:
        default = ["/ISAPI/", "/cgi-bin/", "/PSIA/"]
        return [str(p) for p in self.conf.get("protected", default)]

    def install(self) -> None:
        site = self.site
        for route in self.conf.get("routes", []):
            if isinstance(route, Mapping) and isinstance(route.get("path"), str):
                site.route(route["path"], self._raw(route))
        if isinstance(self.conf.get("isapi"), Mapping):
            site.route(ISAPI_PATH, self._guarded(self._isapi))
        if isinstance(self.conf.get("magicbox"), Mapping):
            site.route(MAGICBOX_PATH, self._guarded(self._magicbox))
        if self.conf.get("rpc2_login"):
            site.route(RPC2_LOGIN_PATH, self._rpc2_login)
        if isinstance(self.conf.get("login_page"), str):
            site.route(self.conf["login_page"], self._recorded(self._index))
        if isinstance(self.conf.get("favicon"), str):
            site.route("/favicon.ico", self._recorded(self._favicon))
        site.route("/", self._guarded(self._index), prefix=True)

    # -- wrappers ---------------------------------------------------------------------------

    def _record(self, request: Request, creds: _httpd.Credentials, **extra: Any) -> None:
        detail = {"peer": request.peer, "query": request.query, **creds.detail(), **extra}
        self.ctx.record("http", f"{request.method} {request.path}", detail)

    def _recorded(self, handler: _httpd.Handler) -> _httpd.Handler:
        async def wrapped(request: Request) -> Response:
            creds = self.site.check(request, self.realm)
            self._record(request, creds, write=self.is_write(request))
            if request.method not in READ_METHODS:
                return Response(405, b"<html><body>405 Method Not Allowed</body></html>\n")
            return await handler(request)

        return wrapped

    def is_write(self, request: Request) -> bool:
        """A request that would change the device: PUT/PATCH/DELETE anywhere, a POST to a
        vendor API (ISAPI, CGI), or a CGI ``action=set...`` (Dahua configManager)."""
        if request.method in ("PUT", "PATCH", "DELETE"):
            return True
        if request.query.get("action", "").lower().startswith("set"):
            return True
        return request.method == "POST" and any(
            request.path.startswith(prefix) for prefix in self.protected_prefixes()
        )

    def _guarded(self, handler: _httpd.Handler) -> _httpd.Handler:
        async def wrapped(request: Request) -> Response:
            creds = self.site.check(request, self.realm)
            write = self.is_write(request)
            self._record(request, creds, write=write)
            if request.method not in READ_METHODS and not write:
                return Response(404, b"<html><body>404 Not Found</body></html>\n")
            if not self._needs_auth(request.path):
                return Response(403, b"forbidden\n") if write else await handler(request)
            if not creds.valid:
                scheme = str(self.conf.get("auth", "digest"))
                header = self.site.challenge(scheme, self.realm)
                return Response(
                    401, b"<html><body>401 Unauthorized</body></html>\n", headers=[header]
                )
            return Response(403, b"forbidden\n") if write else await handler(request)

        return wrapped

    def _needs_auth(self, path: str) -> bool:
        return self.conf.get("auth") is not None and any(
            path.startswith(prefix) for prefix in self.protected_prefixes()
        )

    # -- handlers ---------------------------------------------------------------------------

    async def _index(self, request: Request) -> Response:
        redirect = self.conf.get("redirect")
        if request.path == "/" and isinstance(redirect, str):
            return Response(302, b"", headers=[("Location", redirect)])
        huge = self.conf.get("huge_mb")
        if request.path == "/" and isinstance(huge, int) and huge > 0:
            return _huge_response(huge * 1024 * 1024)
        if request.path not in ("/", "/index.html", self.conf.get("login_page")):
            return Response(404, b"<html><body>404 Not Found</body></html>\n")
        title = x(runtime(self.ctx, self.conf.get("title", "")))
        script = self.conf.get("redirect_js") if request.path == "/" else None
        return Response(200, page(str(self.conf.get("layout", "default")), title, script))

    async def _favicon(self, request: Request) -> Response:
        return Response(200, favicon(str(self.conf["favicon"])), content_type="image/x-icon")

    async def _isapi(self, request: Request) -> Response:
        fields = runtime(self.ctx, self.conf["isapi"])
        lines = "".join(f"<{name}>{x(value)}</{name}>\n" for name, value in fields.items())
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">\n'
            f"{lines}</DeviceInfo>\n"
        )
        return Response(200, body.encode(), content_type='application/xml; charset="UTF-8"')

    async def _magicbox(self, request: Request) -> Response:
        action = request.query.get("action", "")
        table = self.conf["magicbox"].get(action)
        if not isinstance(table, Mapping):
            return Response(400, b"Error\r\nBad Request!\r\n", content_type="text/plain")
        values = runtime(self.ctx, table)
        body = "".join(f"{key}={value}\r\n" for key, value in values.items())
        return Response(200, body.encode(), content_type="text/plain;charset=utf-8")

    async def _rpc2_login(self, request: Request) -> Response:
        creds = _httpd.NO_CREDENTIALS
        user = _rpc2_user(request.body)
        self._record(request, creds, rpc2_user=user)
        if request.method != "POST":
            return Response(405, b"")
        challenge = {
            "error": {
                "code": DAHUA_LOGIN_CHALLENGE,
                "message": "Component error: login challenge!",
            },
            "id": 1,
            "params": {
                "encryption": "Default",
                "mac": self.ctx.mac.replace(":", "").upper(),
                "random": secrets.token_hex(4).upper(),
                "realm": f"Login to {ident(self.ctx, 'serial')}",
            },
            "result": False,
            "session": secrets.token_hex(16),
        }
        return Response(200, json.dumps(challenge).encode(), content_type="application/json")

    def _raw(self, route: Mapping[str, Any]) -> _httpd.Handler:
        async def handler(request: Request) -> Response:
            self._record(request, _httpd.NO_CREDENTIALS)
            body = str(runtime(self.ctx, route.get("body", ""))).encode()
            return Response(
                int(route.get("status", 200)),
                body,
                content_type=str(route.get("content_type", "text/html")),
            )

        return handler


def page(layout: str, title: str, redirect_js: str | None) -> bytes:
    """The HTML of ``/``: Dahua's XHTML page starts with a BOM (nmap l.10324), Hikvision's
    ``/`` sends the browser on to its login page by script."""
    if layout == "dahua":
        return (
            "\ufeff" + '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n<html> \r\n<head>\r\n'
            f"<title>{title}</title>\r\n</head>\r\n<body></body>\r\n</html>\r\n"
        ).encode()
    script = f'<script>window.location.href = "{x(redirect_js)}";</script>' if redirect_js else ""
    return (
        f"<!DOCTYPE html>\n<html>\n<head>\n<title>{title}</title>\n{script}\n</head>\n"
        "<body></body>\n</html>\n"
    ).encode()


def _rpc2_user(body: bytes) -> str | None:
    """The user name a client offered to RPC2_Login (recorded; no password is ever sent)."""
    try:
        params = json.loads(body[:4096] or b"{}").get("params", {})
    except (ValueError, AttributeError):
        return None
    user = params.get("userName") if isinstance(params, dict) else None
    return user if isinstance(user, str) else None


def _huge_response(size: int) -> Response:
    chunk = b"<p>" + b"A" * (64 * 1024 - 7) + b"</p>\n"

    async def stream(writer: asyncio.StreamWriter) -> None:
        sent = 0
        while sent < size:
            piece = chunk[: size - sent]
            writer.write(piece)
            sent += len(piece)
            await writer.drain()

    return Response(200, stream=stream, stream_length=size)


def favicon(seed: str) -> bytes:
    """A valid 1x1 32-bit ICO whose colour (and so MD5) comes from ``seed``."""
    blue, green, red = seeded_bytes(seed, 3)
    dib = struct.pack("<IiiHHIIiiII", 40, 1, 2, 1, 32, 0, 8, 0, 0, 0, 0)
    image = dib + bytes([blue, green, red, 0xFF]) + b"\x00\x00\x00\x00"
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 1, 1, 0, 0, 1, 32, len(image), 6 + 16)
    return header + entry + image


async def start(ctx: DeviceContext) -> None:
    site = await _httpd.site_for(ctx, _httpd.http_port(ctx))
    WebServer(ctx, site).install()
    https_port = ctx.service("http").get("https_port")
    if isinstance(https_port, int):
        secure = await _httpd.site_for(ctx, https_port, tls=True)
        WebServer(ctx, secure).install()
