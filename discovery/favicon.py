"""The web UI's icon, hashed: ``http.favicon_md5`` and ``http.favicon_mmh3``.

A camera's web UI ships its maker's icon, and OEM firmware keeps it (rapid7/recog
favicons.xml: Hikvision ``89b932fcc47cf4ca3faadb0cfdef89cf``).  Two hashes because the
field uses two: the MD5 of the bytes (nmap's http-favicon, recog) and Shodan's
``http.favicon.hash``: MurmurHash3 (x86, 32-bit, seed 0, signed) of the icon's base64
text with a newline after every 76 characters and at the end (what Python's
``base64.encodebytes`` writes).

The probe GETs ``/favicon.ico`` on each web port; when that is missing it reads ``/`` once
for a ``<link rel="icon" href="...">`` on the same host and GETs that.  Only GETs, only
on the device itself (an icon on another host is never fetched), each reply bounded:
an icon larger than ``MAX_ICON`` is recorded as oversize, not hashed.  The HTTP client is
discovery/http.py's.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

import mmh3

from core.model import Observation, Problem
from discovery.base import ProbeContext
from discovery.http import HttpError, Target, request, web_targets
from discovery.ports import each_host

MAX_ICON = 256 * 1024
MAX_PAGE = 256 * 1024
_LINK = re.compile(rb"<link\b[^>]*>", re.I)
_ATTR = re.compile(rb"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


# ---------------------------------------------------------------- pure


def shodan_mmh3(data: bytes) -> int:
    """Shodan's favicon hash: signed 32-bit MurmurHash3 of the MIME-style base64 text."""
    return int(mmh3.hash(base64.encodebytes(data)))


def favicon_fields(data: bytes) -> dict[str, str]:
    return {
        "http.favicon_md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "http.favicon_mmh3": str(shodan_mmh3(data)),
    }


def icon_links(page: bytes) -> list[str]:
    """``href`` of every ``<link rel="icon">`` / ``"shortcut icon"`` in a page, in order."""
    out: list[str] = []
    for tag in _LINK.findall(page[:MAX_PAGE]):
        attrs: dict[bytes, bytes] = {}
        for m in _ATTR.finditer(tag):
            attrs.setdefault(m.group(1).lower(), m.group(2) or m.group(3) or m.group(4) or b"")
        rel = attrs.get(b"rel", b"").lower().split()
        href = html.unescape(attrs.get(b"href", b"").decode("utf-8", "replace")).strip()
        if "icon" in (t.decode("ascii", "replace") for t in rel) and href:
            out.append(href)
    return out


def same_host_path(href: str, target: Target) -> str | None:
    """The path to GET for ``href`` if it points at the device itself, else None."""
    if href.startswith("data:") or len(href) > 500:
        return None
    base = f"{'https' if target.tls else 'http'}://{target.host_header}/"
    url = urlsplit(urljoin(base, href))
    if url.scheme not in ("http", "https") or url.netloc != target.host_header:
        return None  # another host (a CDN, the maker's site): never fetched
    return (url.path or "/") + (f"?{url.query}" if url.query else "")


def is_icon(status: int, content_type: str, body: bytes) -> bool:
    """A 200 reply with a body that is not an HTML error page."""
    head = body[:64].lstrip().lower()
    return (
        status == 200
        and bool(body)
        and "html" not in content_type.lower()
        and not head.startswith((b"<!doctype", b"<html"))
    )


# ---------------------------------------------------------------- I/O


async def fetch_icon(target: Target, timeout: float) -> tuple[bytes | None, str, bool]:
    """(icon bytes or None, the path it came from, cut off at MAX_ICON)."""
    resp = await request(target, "GET", "/favicon.ico", timeout=timeout, limit=MAX_ICON)
    if resp.truncated:
        return None, "/favicon.ico", True
    if is_icon(resp.status, resp.header("Content-Type") or "", resp.body):
        return resp.body, "/favicon.ico", False
    page = await request(target, "GET", "/", timeout=timeout, limit=MAX_PAGE)
    for href in icon_links(page.body):
        path = same_host_path(href, target)
        if path is None or path == "/favicon.ico":
            continue
        icon = await request(target, "GET", path, timeout=timeout, limit=MAX_ICON)
        if icon.truncated:
            return None, path, True
        if is_icon(icon.status, icon.header("Content-Type") or "", icon.body):
            return icon.body, path, False
        break  # one link is enough to try
    return None, "", False


async def probe_target(ip: str, target: Target, timeout: float) -> list[Observation | Problem]:
    where = f"{ip}:{target.port}"
    try:
        icon, path, oversize = await fetch_icon(target, timeout)
    except HttpError as exc:
        return [Problem("favicon", exc.kind, f"{where} favicon: {exc}", ip=ip)]
    if oversize:
        message = f"{where} {path}: icon larger than {MAX_ICON // 1024} KB, not hashed"
        return [Problem("favicon", "oversize", message, ip=ip)]
    if icon is None:
        return []
    fields = {"ip": ip, **favicon_fields(icon)}
    return [Observation(source="favicon", fields=fields, method=f"{target.port}{path}")]


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """The icon of each web port of each host (``ctx.hints.open_ports``)."""
    plan = {ip: web_targets(ip, ctx.hints.open_ports.get(ip, ()), ctx) for ip in ctx.hosts}

    async def one(ip: str, targets: list[Target]) -> list[Observation | Problem]:
        out: list[Observation | Problem] = []
        for target in targets:
            out += await probe_target(ip, target, ctx.timeout)
        return out

    async for item in each_host(ctx, plan, "HTTP requests for favicons", one):
        yield item
