"""SSDP responder (UDP 1900, 239.255.255.250) and the UPnP device description it points to.

Answers M-SEARCH for ``ssdp:all``, ``upnp:rootdevice``, the device type or its UUID with
unicast ``HTTP/1.1 200 OK`` replies whose LOCATION is the description XML, served on the
device's HTTP port (``manufacturer``, ``modelName``, ``friendlyName``, ``modelNumber``,
``serialNumber``, ``UDN``).  Sends one NOTIFY ssdp:alive on start when ``ctx.announce``.

``[services.ssdp]``: ``server`` (SERVER header), ``device_type``, ``friendly_name``,
``manufacturer``, ``manufacturer_url``, ``model_name``, ``model_number``,
``model_description``, ``serial`` (default: identity serial), ``description_path``
(default ``/upnp/description.xml``), ``raw_description`` (hostile: served as given).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from lab.services import _httpd
from lab.services._httpd import Request, Response
from lab.services._util import MAX_DATAGRAM, device_uuid, ident, runtime, x
from lab.services.base import DeviceContext, udp_endpoint

PORT = 1900
GROUP = "239.255.255.250"
DEFAULT_TYPE = "urn:schemas-upnp-org:device:Basic:1"
DEFAULT_PATH = "/upnp/description.xml"


def parse_msearch(data: bytes) -> dict[str, str] | None:
    """Headers (lower-cased) of an M-SEARCH request, or None for anything else."""
    text = data.decode("latin-1")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    if not lines[0].upper().startswith("M-SEARCH * HTTP/1."):
        return None
    return _httpd.parse_headers(lines[1:])


class Upnp:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.conf: Mapping[str, Any] = runtime(ctx, dict(ctx.service("ssdp")))
        self.udn = f"uuid:{device_uuid(ctx)}"

    @property
    def device_type(self) -> str:
        return str(self.conf.get("device_type", DEFAULT_TYPE))

    @property
    def location(self) -> str:
        return _httpd.base_url(self.ctx) + str(self.conf.get("description_path", DEFAULT_PATH))

    def targets(self, st: str) -> list[str]:
        every = ["upnp:rootdevice", self.udn, self.device_type]
        if st == "ssdp:all":
            return every
        return [st] if st in every else []

    def on_datagram(
        self, data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        headers = parse_msearch(data[:MAX_DATAGRAM])
        if headers is None:
            self.ctx.record("ssdp", "other", {"peer": addr[0], "bytes": len(data)})
            return
        st = headers.get("st", "")
        self.ctx.record("ssdp", "M-SEARCH", {"peer": addr[0], "st": st})
        for target in self.targets(st):
            transport.sendto(self.message("HTTP/1.1 200 OK", [("ST", target)], target), addr)

    def message(self, first_line: str, extra: list[tuple[str, str]], target: str) -> bytes:
        usn = self.udn if target == self.udn else f"{self.udn}::{target}"
        headers = [
            ("CACHE-CONTROL", "max-age=1800"),
            ("EXT", ""),
            ("LOCATION", self.location),
            ("SERVER", str(self.conf.get("server", "Linux/3.10 UPnP/1.0 camaudit-lab/1.0"))),
            *extra,
            ("USN", usn),
        ]
        return (
            first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        ).encode()

    def notify(self) -> bytes:
        extra = [("HOST", f"{GROUP}:{PORT}"), ("NT", "upnp:rootdevice"), ("NTS", "ssdp:alive")]
        return self.message("NOTIFY * HTTP/1.1", extra, "upnp:rootdevice")

    def description(self) -> bytes:
        raw = self.conf.get("raw_description")
        if isinstance(raw, str):
            return raw.encode()
        fields = [
            ("deviceType", self.device_type),
            ("friendlyName", self.conf.get("friendly_name", ident(self.ctx, "model"))),
            ("manufacturer", self.conf.get("manufacturer", ident(self.ctx, "manufacturer"))),
            ("manufacturerURL", self.conf.get("manufacturer_url", "")),
            ("modelDescription", self.conf.get("model_description", "")),
            ("modelName", self.conf.get("model_name", ident(self.ctx, "model"))),
            ("modelNumber", self.conf.get("model_number", ident(self.ctx, "model"))),
            ("serialNumber", self.conf.get("serial", ident(self.ctx, "serial"))),
            ("UDN", self.udn),
            ("presentationURL", _httpd.base_url(self.ctx) + "/"),
        ]
        inner = "".join(f"<{name}>{x(value)}</{name}>" for name, value in fields)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<root xmlns="urn:schemas-upnp-org:device-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            f"<device>{inner}</device></root>\n"
        ).encode()

    async def serve_description(self, request: Request) -> Response:
        self.ctx.record("http", f"{request.method} {request.path}", {"peer": request.peer})
        return Response(200, self.description(), content_type='text/xml; charset="utf-8"')


async def start(ctx: DeviceContext) -> None:
    upnp = Upnp(ctx)
    site = await _httpd.site_for(ctx, _httpd.http_port(ctx))
    site.route(str(upnp.conf.get("description_path", DEFAULT_PATH)), upnp.serve_description)
    sock = ctx.udp_socket(PORT, GROUP)
    transport, _ = await udp_endpoint(asyncio.get_running_loop(), sock, upnp.on_datagram)
    ctx.closers.append(transport)
    if ctx.announce:
        transport.sendto(upnp.notify(), (GROUP, PORT))
