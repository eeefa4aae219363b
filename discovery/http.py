"""HTTP(S) identity: banner, title, auth realm; ISAPI / magicBox with credentials;
the Dahua RPC2_Login challenge without them (as Greenbone's Dahua detection does).

Parsing (``parse_*``) takes bytes or text and never sees a socket.  The client is a small
HTTP/1.1 reader of our own so every reply is bounded: the head at 64 KB, the body at
512 KB, and each exchange by a deadline, so a 20 MB reply or a tarpit costs at most one
deadline and a little memory.  Only GET requests and the RPC2 login *challenge* are sent;
nothing that writes, configures or guesses a password.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import os
import re
import ssl
import warnings
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass

from core.jsonlimits import JsonLimitError, load_json
from core.model import Observation, Problem, normalize_mac
from discovery import xmlsafe
from discovery.base import Credential, ParseError, ProbeContext
from discovery.ports import close_quietly, each_host

MAX_HEAD = 64 * 1024


async def read_head(reader: asyncio.StreamReader, what: str) -> bytes:
    """The bytes up to the blank line ending an HTTP or RTSP head (bounded by the reader's
    limit); a peer that closes early yields what it sent, one that sends nothing is an error."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise ParseError(f"{what} head larger than {MAX_HEAD} bytes") from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise ParseError(f"connection closed without {what}") from None
        return exc.partial


MAX_BODY = 512 * 1024
USER_AGENT = "camaudit/0.1 (read-only inventory)"

# Dahua answers this first login step with a challenge carrying its MAC and
# "Login to <serial>" realm, before any password is checked (Greenbone's detection uses it).
RPC2_CHALLENGE_BODY = (
    b'{"method":"global.login","params":{"userName":"admin","password":"",'
    b'"clientType":"Web3.0","loginType":"Direct"},"id":1}'
)
RPC2_CHALLENGE_CODE = 268632079
MAGICBOX_ACTIONS = (
    "getSystemInfo",
    "getVendor",
    "getSoftwareVersion",
    "getSerialNo",
    "getDeviceType",
    "getMachineName",
)
ISAPI_DEVICE_INFO = "/ISAPI/System/deviceInfo"


@dataclass(frozen=True)
class Response:
    """A bounded HTTP (or RTSP) response."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    truncated: bool = False
    certificate: bytes = b""  # the peer's DER certificate (HTTPS only; never verified)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def headers_named(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if k.lower() == wanted]


class HttpError(Exception):
    """A request failed; ``kind`` is the Problem kind to record."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------- pure parsing

_STATUS_RE = re.compile(r"^(HTTP|RTSP)/(\d)\.(\d)\s+(\d{3})(?:\s+(.*))?$")


def parse_head(data: bytes, protocol: str = "HTTP") -> Response:
    """Parse a status line and headers (``data`` ends at the blank line or before it)."""
    text = data.decode("iso-8859-1")
    lines = re.split(r"\r?\n", text.strip("\r\n"))
    match = _STATUS_RE.match(lines[0].strip()) if lines else None
    if not match or match.group(1) != protocol:
        raise ParseError(f"not an {protocol} response: {lines[0][:80]!r}" if lines else "empty")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # obsolete line folding
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        elif ":" in line:
            name, _, value = line.partition(":")
            if name.strip():
                headers.append((name.strip(), value.strip()))
    return Response(int(match.group(4)), (match.group(5) or "").strip(), tuple(headers))


def parse_challenge(value: str) -> tuple[str, dict[str, str]]:
    """``Digest realm="x", nonce="y"`` -> ("digest", {"realm": "x", "nonce": "y"})."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', rest):
        params[m.group(1).lower()] = (
            m.group(3).replace('\\"', '"') if m.group(3) is not None else m.group(2)
        )
    return scheme.lower(), params


def realm_of(headers: Iterable[str]) -> str | None:
    """The first realm in a set of WWW-Authenticate values."""
    for value in headers:
        realm = parse_challenge(value)[1].get("realm")
        if realm:
            return realm
    return None


def parse_title(body: bytes) -> str | None:
    """The page's ``<title>``, unescaped and whitespace-collapsed (first 200 characters)."""
    m = re.search(rb"<title[^>]*>(.*?)</title\s*>", body[:MAX_BODY], re.I | re.S)
    if not m:
        return None
    raw = m.group(1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    title = " ".join(html.unescape(text).split())[:200]
    return title or None


def decode_chunked(data: bytes) -> bytes:
    """Decode a chunked body; a truncated one yields what arrived (tolerant on purpose)."""
    out, pos = bytearray(), 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        if end < 0:
            break
        size_text = data[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ParseError(f"bad chunk size {size_text[:20]!r}") from None
        if size == 0:
            break
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


def banner_fields(resp: Response) -> dict[str, str]:
    """http.server / http.title / http.realm from one response."""
    fields: dict[str, str] = {}
    if server := (resp.header("Server") or "").strip():
        fields["http.server"] = server[:200]
    if realm := realm_of(resp.headers_named("WWW-Authenticate")):
        fields["http.realm"] = realm[:200]
    content_type = (resp.header("Content-Type") or "").lower()
    if "html" in content_type or not content_type:
        title = parse_title(resp.body)
        if title:
            fields["http.title"] = title
    return fields


def certificate_fields(der: bytes) -> dict[str, str]:
    """http.tls_subject / http.tls_issuer from a DER certificate (camera firmware puts the
    maker in the subject of the certificate it generates: ``O=Hikvision``)."""
    from cryptography import x509  # noqa: PLC0415  (only for HTTPS devices)

    try:
        cert = x509.load_der_x509_certificate(der)
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
    except (ValueError, TypeError) as exc:
        raise ParseError(f"unreadable TLS certificate: {exc}") from None
    fields = {"http.tls_subject": subject[:300]}
    if issuer and issuer != subject:
        fields["http.tls_issuer"] = issuer[:300]
    return fields


def _xml_fields(data: bytes) -> dict[str, str]:
    """Leaf elements of a small XML document as {localname: text} (first occurrence wins)."""
    root = xmlsafe.parse(data)
    out: dict[str, str] = {}
    for element in root.iter():
        if len(element) == 0 and element.text and element.text.strip():
            out.setdefault(xmlsafe.localname(element.tag), element.text.strip()[:200])
    return out


def parse_isapi_device_info(data: bytes) -> dict[str, str]:
    """``/ISAPI/System/deviceInfo`` XML -> ``isapi.<element>`` fields."""
    fields = _xml_fields(data)
    if not fields:
        raise ParseError("ISAPI deviceInfo has no elements")
    if "model" not in fields and "deviceName" not in fields and "serialNumber" not in fields:
        raise ParseError("not an ISAPI DeviceInfo document")
    return {f"isapi.{k}": v for k, v in fields.items()}


def parse_magicbox(text: str) -> dict[str, str]:
    """A magicBox.cgi body (``key=value`` lines) -> ``dahua.<key>`` fields."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\[\]]{0,63}", key) and value:
            fields[f"dahua.{key}"] = value[:200]
    if not fields:
        raise ParseError("magicBox reply has no key=value lines")
    return fields


# getVendor and friends answer ``vendor=Dahua``; older firmware answers ``result=...``:
# normalise to the key the action names.
_MAGICBOX_RESULT_KEYS = {
    "getVendor": "vendor",
    "getSoftwareVersion": "softwareVersion",
    "getSerialNo": "serialNumber",
    "getDeviceType": "deviceType",
    "getMachineName": "machineName",
}


def magicbox_fields(action: str, text: str) -> dict[str, str]:
    fields = parse_magicbox(text)
    if "dahua.result" in fields and action in _MAGICBOX_RESULT_KEYS:
        fields[f"dahua.{_MAGICBOX_RESULT_KEYS[action]}"] = fields.pop("dahua.result")
    if "dahua.sn" in fields:
        fields.setdefault("dahua.serialNumber", fields["dahua.sn"])
    if "dahua.type" in fields:
        fields.setdefault("dahua.deviceType", fields["dahua.type"])
    if "dahua.version" in fields:
        fields.setdefault("dahua.softwareVersion", fields["dahua.version"])
    return fields


_SERIAL_IN_REALM = re.compile(r"^Login to ([A-Z0-9]{8,24})$")


def parse_rpc2_challenge(data: bytes) -> dict[str, str]:
    """The RPC2_Login challenge JSON -> dahua.mac / dahua.realm / dahua.serialNumber."""
    try:
        doc = load_json(data.decode("utf-8", "replace"))
    except JsonLimitError as exc:  # bad JSON, too deep, a huge number or a lone surrogate
        raise ParseError(f"RPC2_Login reply is not JSON we can use: {exc}") from None
    params = doc.get("params") if isinstance(doc, dict) else None
    if not isinstance(params, dict) or not any(k in params for k in ("realm", "random")):
        raise ParseError("RPC2_Login reply carries no login challenge")
    fields: dict[str, str] = {}
    if isinstance(mac := params.get("mac"), str) and (norm := normalize_mac(mac)):
        fields["dahua.mac"] = norm
    if isinstance(realm := params.get("realm"), str) and realm.strip():
        fields["dahua.realm"] = realm.strip()[:200]
        m = _SERIAL_IN_REALM.match(realm.strip())
        # "Login to Intelbras" (an OEM rename) is a brand, not a serial: serials carry digits.
        if m and any(ch.isdigit() for ch in m.group(1)):
            fields["dahua.serialNumber"] = m.group(1)
    if isinstance(enc := params.get("encryption"), str) and enc:
        fields["dahua.encryption"] = enc[:40]
    return fields


def digest_authorization(
    params: Mapping[str, str],
    method: str,
    uri: str,
    cred: Credential,
    cnonce: str,
    nc: int = 1,
) -> str:
    """An RFC 7616 Digest ``Authorization`` value (MD5, MD5-sess or SHA-256; qop auth)."""
    algorithm = params.get("algorithm", "MD5")
    base_algo = algorithm.upper().removesuffix("-SESS")
    if base_algo not in ("MD5", "SHA-256"):
        raise HttpError("protocol", f"unsupported digest algorithm {algorithm!r}")

    def h(text: str) -> str:
        name = "md5" if base_algo == "MD5" else "sha256"
        return hashlib.new(name, text.encode("utf-8"), usedforsecurity=False).hexdigest()

    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    ha1 = h(f"{cred.username}:{realm}:{cred.password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    parts = [
        f'username="{cred.username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f"algorithm={algorithm}",
    ]
    if "auth" in qops:
        response = h(f"{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}")
        parts += ["qop=auth", f"nc={nc:08x}", f'cnonce="{cnonce}"']
    else:
        response = h(f"{ha1}:{nonce}:{ha2}")
    parts.append(f'response="{response}"')
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)


# ---------------------------------------------------------------- bounded client


def _tls_context() -> ssl.SSLContext:
    # Cameras ship self-signed certificates: we look, never trust (recorded as
    # http.tls_verified="false"), and send credentials only to the device they were given for.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # old camera firmware offers old ciphers
    # Cameras from before 2018 speak only TLS 1.0; Python warns that the version is
    # deprecated, which is the point: we only read a banner from them.
    with contextlib.suppress(ValueError, AttributeError), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    return ctx


async def _read_body(
    reader: asyncio.StreamReader, head: Response, method: str, limit: int
) -> tuple[bytes, bool]:
    if method == "HEAD" or head.status in (204, 304) or 100 <= head.status < 200:
        return b"", False
    if "chunked" in (head.header("Transfer-Encoding") or "").lower():
        return await _read_chunked(reader, limit)
    length_text = head.header("Content-Length")
    if length_text and length_text.strip().isdigit():
        length = int(length_text.strip())
        data = await reader.read(0) if length == 0 else b""
        while len(data) < min(length, limit):
            chunk = await reader.read(min(length, limit) - len(data))
            if not chunk:
                break
            data += chunk
        return data, length > limit
    data = b""
    while len(data) < limit:
        chunk = await reader.read(min(65536, limit - len(data)))
        if not chunk:
            return data, False
        data += chunk
    return data, True


async def _read_chunked(reader: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    out = bytearray()
    while len(out) < limit:
        line = await reader.readline()
        if not line:
            return bytes(out), False
        try:
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        except ValueError:
            raise ParseError(f"bad chunk size {line[:20]!r}") from None
        if size == 0:
            return bytes(out), False
        want = min(size, limit - len(out))
        out += await reader.readexactly(want)
        if want < size:
            return bytes(out), True
        await reader.readline()
    return bytes(out), True


def url_host(ip: str, *, zone: bool = True) -> str:
    """``ip`` as the host part of a URL or a Host header (RFC 3986 §3.2.2, RFC 6874).

    IPv4 as it is; an IPv6 literal in brackets, a link-local zone ``%eth0`` written ``%25eth0``
    (``zone=False`` leaves it out: the zone names *our* interface, and means nothing to the
    device that reads a Host header or an RTSP request line).  The one place URLs get their
    host: HTTP, RTSP and ONVIF all build theirs here.
    """
    if ":" not in ip:
        return ip
    address, sep, scope = ip.partition("%")
    return f"[{address}%25{scope}]" if sep and zone else f"[{address}]"


@dataclass(frozen=True)
class Target:
    ip: str
    port: int
    tls: bool = False

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = url_host(self.ip, zone=False)
        return host if self.port == default else f"{host}:{self.port}"


async def request(
    target: Target,
    method: str,
    path: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    limit: int = MAX_BODY,
) -> Response:
    """One bounded request on a fresh connection (``Connection: close``)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {target.host_header}",
        f"User-Agent: {USER_AGENT}",
        "Accept: */*",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(target, raw, method, limit)
    except TimeoutError:
        raise HttpError("timeout", f"no complete answer within {timeout:g} s") from None
    except ParseError as exc:
        raise HttpError("parse", str(exc)) from None
    except ssl.SSLError as exc:
        raise HttpError("protocol", f"TLS failed: {exc.reason or exc}") from None
    except (OSError, asyncio.IncompleteReadError) as exc:
        raise HttpError("unreachable", f"{type(exc).__name__}: {exc}") from None


async def _exchange(target: Target, raw: bytes, method: str, limit: int) -> Response:
    reader, writer = await asyncio.open_connection(
        target.ip, target.port, ssl=_tls_context() if target.tls else None, limit=MAX_HEAD
    )
    try:
        writer.write(raw)
        await writer.drain()
        head_bytes = await read_head(reader, "response")
        head = parse_head(head_bytes)
        body, truncated = await _read_body(reader, head, method, limit)
        cert = b""
        if target.tls and (tls := writer.get_extra_info("ssl_object")) is not None:
            cert = tls.getpeercert(binary_form=True) or b""
        return Response(head.status, head.reason, head.headers, body, truncated, cert)
    finally:
        await close_quietly(writer)


async def authed_get(
    target: Target, path: str, cred: Credential, timeout: float, *, basic_over_http: bool = False
) -> Response:
    """GET with the user's credential for this device: Digest, or Basic over TLS (or over
    plain HTTP when the user allowed it for this device: ``basic_over_http``)."""
    first = await request(target, "GET", path, timeout=timeout)
    if first.status != 401:
        return first
    challenges = [parse_challenge(v) for v in first.headers_named("WWW-Authenticate")]
    digest = next((p for s, p in challenges if s == "digest"), None)
    basic = any(s == "basic" for s, _ in challenges)
    if digest is not None:
        auth = digest_authorization(digest, "GET", path, cred, os.urandom(8).hex())
    elif basic and (target.tls or basic_over_http):
        auth = "Basic " + base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode()
    elif basic:
        raise HttpError(BASIC_REFUSED, basic_refusal(path))
    else:
        raise HttpError("auth_unsupported", _refusal(path, challenges))
    second = await request(target, "GET", path, timeout=timeout, headers={"Authorization": auth})
    if second.status == 401:
        raise HttpError("bad_credentials", f"{path}: the device rejected the credentials")
    return second


BASIC_REFUSED = "basic_over_http_refused"
"""The Problem kind of a password withheld because only HTTP Basic on plain HTTP was offered."""


def basic_refusal(what: str) -> str:
    """Why a password was not sent to ``what``, and how the user may allow it per device."""
    return (
        f"{what} asks for HTTP Basic on plain HTTP, which would send the password "
        "readable to anyone on the network, so camaudit did not send it; to allow it for "
        "this device, add 'allow_basic_over_http = true' to its [[credential]] entry "
        "in the credentials file"
    )


def _refusal(path: str, challenges: list[tuple[str, dict[str, str]]]) -> str:
    schemes = ", ".join(s for s, _ in challenges) or "no"
    return f"{path} asks for {schemes} authentication; camaudit sends passwords only by Digest"


# ---------------------------------------------------------------- the probe


def _error(ip: str, port: int, exc: HttpError | ParseError, what: str) -> Problem:
    kind = exc.kind if isinstance(exc, HttpError) else "parse"
    return Problem("http", kind, f"{ip}:{port} {what}: {exc}", ip=ip)


async def banner(target: Target, timeout: float) -> tuple[dict[str, str], bool]:
    """GET / (following up to two same-host redirects); (fields, cut off).  The icon is the
    favicon method's (discovery/favicon.py): asking for it here too fetched it twice."""
    resp = await request(target, "GET", "/", timeout=timeout)
    oversize = resp.truncated
    fields = banner_fields(resp)
    for _ in range(2):
        location = resp.header("Location") or ""
        if resp.status not in (301, 302, 303, 307, 308) or not location.startswith("/"):
            break
        resp = await request(target, "GET", location[:500], timeout=timeout)
        for k, value in banner_fields(resp).items():
            fields.setdefault(k, value)
    if target.tls:
        fields["http.tls_verified"] = "false"
        with contextlib.suppress(ParseError):
            fields.update(certificate_fields(resp.certificate))
    return fields, oversize


async def rpc2_challenge(target: Target, timeout: float) -> dict[str, str]:
    """POST the login-challenge request (empty password); never a second, hashed step."""
    resp = await request(
        target,
        "POST",
        "/RPC2_Login",
        timeout=timeout,
        headers={"Content-Type": "application/json"},
        body=RPC2_CHALLENGE_BODY,
        limit=16 * 1024,
    )
    if resp.status != 200:
        return {}
    try:
        return parse_rpc2_challenge(resp.body)
    except ParseError:
        return {}  # not a Dahua: nothing to record


async def isapi_info(
    target: Target, cred: Credential, timeout: float, basic: bool = False
) -> dict[str, str]:
    resp = await authed_get(target, ISAPI_DEVICE_INFO, cred, timeout, basic_over_http=basic)
    if resp.status != 200:
        return {}
    return parse_isapi_device_info(resp.body)


async def magicbox_info(
    target: Target, cred: Credential, timeout: float, basic: bool = False
) -> dict[str, str]:
    fields: dict[str, str] = {}
    for action in MAGICBOX_ACTIONS:
        path = f"/cgi-bin/magicBox.cgi?action={action}"
        resp = await authed_get(target, path, cred, timeout, basic_over_http=basic)
        if resp.status != 200:
            if action == MAGICBOX_ACTIONS[0]:
                return {}  # no magicBox here: do not knock on the other five doors
            continue
        with contextlib.suppress(ParseError):
            fields.update(magicbox_fields(action, resp.body.decode("utf-8", "replace")))
    return fields


def dahua_hint(ip: str, ctx: ProbeContext) -> bool:
    """Whether the RPC2 challenge is worth a POST: the orchestrator's Dahua hints
    (``ctx.hints.dahua_hosts``: DHIP replies, Dahua scopes) or the DVRIP port 37777."""
    return ip in ctx.hints.dahua_hosts or 37777 in ctx.hints.open_ports.get(ip, ())


def web_targets(ip: str, open_ports: Iterable[int], ctx: ProbeContext) -> list[Target]:
    web, tls = ctx.service_ports.web, ctx.service_ports.tls
    return [Target(ip, p, p in tls) for p in sorted(open_ports) if p in web]


async def probe_host(
    ip: str, targets: list[Target], ctx: ProbeContext
) -> list[Observation | Problem]:
    """Every HTTP step for one device; each step fails on its own."""
    out: list[Observation | Problem] = []
    answering: list[Target] = []
    for target in targets:
        try:
            fields, oversize = await banner(target, ctx.timeout)
        except (HttpError, ParseError) as exc:
            out.append(_error(ip, target.port, exc, "GET /"))
            continue
        if oversize:
            limit = f"{MAX_BODY // 1024} KB"
            message = f"{ip}:{target.port} GET /: reply larger than {limit}; kept the first {limit}"
            out.append(Problem("http", "oversize", message, ip=ip))
        answering.append(target)
        out.append(Observation(source="http", fields={"ip": ip, **fields}))
    if not answering:
        return out
    first = answering[0]
    if dahua_hint(ip, ctx):
        try:
            if challenge := await rpc2_challenge(first, ctx.timeout):
                fields = {"ip": ip, **challenge}
                out.append(Observation(source="http", fields=fields, method="rpc2"))
        except HttpError:
            pass  # a device that will not take a POST simply is not a Dahua
    cred = ctx.credentials(ip)
    if cred is not None:
        out += await _with_credentials(ip, first, cred, ctx.timeout, basic_allowed(ctx, ip))
    return out


def basic_allowed(ctx: ProbeContext, ip: str) -> bool:
    """The user's per-device opt-in to HTTP Basic without TLS (a ``CredentialStore``'s
    ``allows_basic_over_http``; any other credentials lookup never allows it)."""
    allows = getattr(ctx.credentials, "allows_basic_over_http", None)
    return bool(allows(ip)) if callable(allows) else False


async def _with_credentials(
    ip: str, target: Target, cred: Credential, timeout: float, basic: bool = False
) -> list[Observation | Problem]:
    out: list[Observation | Problem] = []
    for what, step in (("ISAPI deviceInfo", isapi_info), ("magicBox", magicbox_info)):
        try:
            fields = await step(target, cred, timeout, basic)
        except (HttpError, ParseError) as exc:
            out.append(_error(ip, target.port, exc, what))
            if isinstance(exc, HttpError) and exc.kind in (
                "bad_credentials",
                "auth_unsupported",
                BASIC_REFUSED,
            ):
                break  # one refusal is enough: never hammer a device, nor repeat the reason
            continue
        if fields:
            out.append(Observation(source="http", fields={"ip": ip, **fields}, method=what))
    return out


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """HTTP identity for each host with an open web port (``ctx.hints.open_ports``)."""
    open_ports = ctx.hints.open_ports
    plan = {ip: web_targets(ip, open_ports.get(ip, ()), ctx) for ip in ctx.hosts}

    async def one(ip: str, targets: list[Target]) -> list[Observation | Problem]:
        return await probe_host(ip, targets, ctx)

    async for item in each_host(ctx, plan, "HTTP requests", one):
        yield item
