"""ONVIF device service: read-only identity through onvif-zeep-async.

The habits of Home Assistant's ONVIF integration: :func:`make_client` is the only place that
builds the library's client (tests patch that seam); every capability fails on its own; errors
are sorted into ``needs_credentials``, ``bad_credentials``, ``not_onvif``, ``unreachable`` and
``protocol``.

Steps per device service URL (the XAddrs the device advertised by WS-Discovery first, with
their real scheme, port and path; then ``/onvif/device_service`` on open ONVIF ports):

1. ``GetSystemDateAndTime`` without auth: is there an ONVIF service here, and what is the
   device's clock?  The ONVIF Core spec lets anyone read the clock, but some firmware refuses
   every call without a WS-Security UsernameToken ("Sender not authorized"); when the user
   gave credentials for this device the call is repeated with them.
2. With credentials, the client is rebuilt with the device's clock offset: a UsernameToken
   carries its creation time, and devices refuse one whose time is far from their own clock.
3. ``GetDeviceInformation``, ``GetNetworkInterfaces`` (the MAC, even across a router) and
   ``GetScopes``: with the credentials when given, else anonymously (some OEM firmware
   answers GetDeviceInformation without auth; a refusal then is not an error).

Authentication: the library puts a WS-Security UsernameToken (PasswordDigest) on every call
made with credentials; a device that also asks for HTTP Digest (a 401 challenge) gets it
from aiohttp's ``DigestAuthMiddleware``.  A challenge offering only HTTP Basic is answered
over TLS, or over plain HTTP only where the user's credentials entry says
``allow_basic_over_http``; otherwise the refusal is ``basic_over_http_refused`` (policy, with
how to allow it), never ``bad_credentials``.  Errors:
``bad_credentials`` only when credentials were sent and refused, ``needs_credentials`` when
none were given and the device refuses.  Only :data:`READ_ONLY_OPERATIONS` can be called.

The device service URL: the library's ``ONVIFCamera`` always addresses
``http://host:port/onvif/device_service`` (its ``get_definition`` fixes the path), so
:class:`DeviceClient` builds the library's exported ``ONVIFService`` directly on the XAddr.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import importlib
import ipaddress
import logging
import urllib.parse
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

from core.model import Observation, Problem, normalize_mac
from discovery.base import Credential, ProbeContext
from discovery.http import (
    BASIC_REFUSED,
    basic_allowed,
    basic_refusal,
    parse_challenge,
    url_host,
)
from discovery.ports import guard_send, per_host, progress_callback

READ_ONLY_OPERATIONS = frozenset(
    {"GetSystemDateAndTime", "GetDeviceInformation", "GetNetworkInterfaces", "GetScopes"}
)
DEVICE_PATH = "/onvif/device_service"
# Fault texts and subcodes devices use for "your credentials are wrong / missing"
# (ONVIF ter:NotAuthorized, WS-Security wsse:FailedAuthentication / InvalidSecurity[Token]).
_AUTH_MARKERS = (
    "notauthorized",
    "not authorized",
    "unauthorized",
    "authority failure",
    "failedauthentication",
    "invalidsecurity",
)


class OnvifFailure(Exception):
    """One ONVIF step failed; ``kind`` is the Problem kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _import_onvif() -> Any:
    # onvif/client.py calls logging.basicConfig(level=INFO) on import, which would take
    # over the root logger; a placeholder handler makes that call a no-op.
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    root.addHandler(placeholder)
    try:
        import onvif  # noqa: PLC0415  (heavy: zeep, lxml; only when ONVIF runs)
        import onvif.settings  # noqa: PLC0415
    finally:
        root.removeHandler(placeholder)
    # Defused parsing for device replies: the package turns libxml2's limits off.
    onvif.settings.DEFAULT_SETTINGS.xml_huge_tree = False
    onvif.settings.DEFAULT_SETTINGS.forbid_dtd = True
    onvif.settings.DEFAULT_SETTINGS.forbid_entities = True
    onvif.settings.DEFAULT_SETTINGS.forbid_external = True
    return onvif


class DeviceClient:
    """The library's device-management service at one URL, for one credential (or none).

    :meth:`service` (re)builds it, with the device's clock offset once that is known; each
    build closes the previous one.  No WSDL cache on disk.
    """

    def __init__(
        self, url: str, credential: Credential | None, *, basic_over_http: bool = False
    ) -> None:
        self.url, self.credential = url, credential
        self.basic_over_http = basic_over_http  # the user's per-device opt-in
        self.basic_refused = False  # a Basic-only challenge was left unanswered (policy)
        self._current: Any = None
        self._digest_session: Any = None

    async def service(self, clock_offset: dt.timedelta | None = None) -> Any:
        await self.close()
        onvif = _import_onvif()
        definition = onvif.SERVICES["devicemgmt"]
        user = self.credential.username if self.credential else None
        password = self.credential.password if self.credential else None
        self._current = onvif.ONVIFService(
            self.url,
            user,
            password,
            str(Path(onvif.__file__).parent / "wsdl" / definition["wsdl"]),
            encrypt=True,  # PasswordDigest, never the password in clear text
            no_cache=True,
            dt_diff=clock_offset,
            binding_name=f"{{{definition['ns']}}}{definition['binding']}",
        )
        await self._current.setup()
        for client in (self._current.zeep_client, self._current.zeep_client_authless):
            client.plugins.append(lenient_faults())
        if self.credential is not None:
            self._answer_challenges(self.credential)
        return self._current

    def _answer_challenges(self, credential: Credential) -> None:
        """Give the service's HTTP session Digest (the library has none) and the Basic rule."""
        import aiohttp  # noqa: PLC0415

        transport = self._current.transport
        digest = aiohttp.DigestAuthMiddleware(credential.username, credential.password)
        self._digest_session = aiohttp.ClientSession(
            connector=transport.session.connector,
            connector_owner=False,
            timeout=transport.session.timeout,
            middlewares=(self._basic, digest),  # the first one sees the final answer
        )
        transport.session = self._digest_session

    async def _basic(self, request: Any, handler: Any) -> Any:
        """A challenge that offers only HTTP Basic: answered over TLS, or over plain HTTP
        when the user allowed it for this device; otherwise left unanswered and noted, so
        the refusal is reported as policy, not as a wrong password."""
        response = await handler(request)
        if response.status != 401 or self.credential is None:
            return response
        offered = {parse_challenge(v)[0] for v in response.headers.getall("WWW-Authenticate", [])}
        if "basic" not in offered or "digest" in offered:
            return response
        if request.url.scheme != "https" and not self.basic_over_http:
            self.basic_refused = True
            return response
        response.release()
        pair = f"{self.credential.username}:{self.credential.password}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return await handler(request)

    async def close(self) -> None:
        current, session = self._current, self._digest_session
        self._current = self._digest_session = None
        if session is not None:
            await session.close()
        if current is not None:
            await current.close()


SOAP12_ENVELOPE = "http://www.w3.org/2003/05/soap-envelope"


def lenient_faults() -> Any:
    """A zeep plugin that reads a SOAP 1.2 fault the way devices write it.

    node-soap (npm ``soap`` 1.13) writes the subcode as ``<soap:value>ter:NotAuthorized
    </soap:value>``, lower case and without declaring ``ter``; zeep then fails inside its
    fault reader (AttributeError, then "No namespace defined for 'ter'"), which hid a
    "Sender not authorized" as a protocol error.  So element names are matched whatever
    their case, and a code whose prefix is undeclared keeps its local name (the
    refusal markers are local names: ``NotAuthorized``)."""
    import zeep  # noqa: PLC0415  (with the library, lazily)

    names = {"code", "subcode", "value", "reason", "text", "detail"}
    soap12 = f"{{{SOAP12_ENVELOPE}}}"

    class LenientFaults(zeep.Plugin):
        def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
            for fault in envelope.iter(f"{soap12}Fault"):
                for element in fault.iter():
                    tag = str(element.tag)
                    local = tag.rpartition("}")[2]
                    if local in names and tag.startswith(soap12):
                        element.tag = f"{soap12}{local.capitalize()}"
                    prefix, colon, name = (element.text or "").strip().partition(":")
                    if local.lower() == "value" and colon and prefix not in element.nsmap:
                        element.text = name
            return envelope, http_headers

    return LenientFaults()


_OFFLINE: list[Any] = []  # (zeep client, binding), built once


def decode_reply(operation: str, body: bytes, status: int = 200) -> Any:
    """A captured device-service reply decoded as a live call decodes it (the library's
    device-management WSDL, zeep's SOAP binding, :func:`lenient_faults`); a fault raises
    what a live call raises, for :func:`classify`.  Sends nothing: tests and the interop
    corpus use it."""
    if operation not in READ_ONLY_OPERATIONS:
        raise ValueError(f"not a read-only ONVIF operation: {operation}")
    if not _OFFLINE:
        onvif = _import_onvif()
        zeep: Any = importlib.import_module("zeep")
        definition = onvif.SERVICES["devicemgmt"]
        client = zeep.Client(
            wsdl=str(Path(onvif.__file__).parent / "wsdl" / definition["wsdl"]),
            settings=onvif.settings.DEFAULT_SETTINGS,
            plugins=[lenient_faults()],
        )
        binding_name = f"{{{definition['ns']}}}{definition['binding']}"
        proxy = client.create_service(binding_name, f"http://127.0.0.1:9{DEVICE_PATH}")
        _OFFLINE.append((client, proxy._binding))
    client, binding = _OFFLINE[0]
    reply = _Reply(status, body)
    try:
        return binding.process_reply(client, binding.get(operation), reply)
    except Exception as exc:
        raise classify(exc, authenticated=False) from exc


class _Reply:
    """What zeep's binding reads of an HTTP response."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.content, self.encoding = status, body, "utf-8"
        self.headers = {"Content-Type": "application/soap+xml; charset=utf-8"}


def reply_fields(operation: str, result: Any) -> dict[str, Any]:
    """The evidence one decoded reply gives (GetDeviceInformation, GetNetworkInterfaces,
    GetScopes; GetSystemDateAndTime gives none: its clock only signs tokens)."""
    if operation == "GetDeviceInformation":
        return dict(device_info_fields(result))
    if operation == "GetNetworkInterfaces" and (macs := interface_macs(result)):
        return {"onvif.mac": macs[0]}
    if operation == "GetScopes" and (scopes := scope_values(result)):
        return {"onvif.scopes": scopes}
    return {}


def make_client(
    url: str, credential: Credential | None, *, basic_over_http: bool = False
) -> DeviceClient:
    """The one place that builds an ONVIF client (tests patch this seam)."""
    return DeviceClient(url, credential, basic_over_http=basic_over_http)


def explain(client: Any, failure: OnvifFailure) -> OnvifFailure:
    """A refusal after a Basic-only challenge we did not answer is the Basic rule at work
    (``basic_over_http_refused``), not a wrong or missing password."""
    refused = failure.kind in ("bad_credentials", "needs_credentials")
    if refused and getattr(client, "basic_refused", False):
        return OnvifFailure(BASIC_REFUSED, basic_refusal("the ONVIF device service"))
    return failure


def _library_errors() -> Any:
    """The exception classes of the libraries under ONVIF (imported with them, lazily)."""
    import aiohttp  # noqa: PLC0415
    import onvif.exceptions  # noqa: PLC0415
    import zeep.exceptions  # noqa: PLC0415

    return onvif.exceptions, zeep.exceptions, aiohttp


def _unwrap(exc: BaseException, wrapper: type[BaseException]) -> BaseException:
    """onvif-zeep-async wraps the real cause in ONVIFError; look through the wrapping."""
    while isinstance(exc, wrapper) and type(exc) is wrapper and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, wrapper) and type(exc) is wrapper and exc.args:
        inner = exc.args[0]
        if isinstance(inner, BaseException):
            return inner
    return exc


def classify(exc: BaseException, *, authenticated: bool) -> OnvifFailure:
    """Sort any library exception into one of the user-meaningful kinds, by its class."""
    if isinstance(exc, OnvifFailure):
        return exc
    onvif_errors, zeep_errors, aiohttp = _library_errors()
    cause = _unwrap(exc, onvif_errors.ONVIFError)
    text = str(cause)[:300]
    refused = "bad_credentials" if authenticated else "needs_credentials"
    if isinstance(cause, TimeoutError | onvif_errors.ONVIFTimeoutError):
        return OnvifFailure("unreachable", "no answer in time")
    if isinstance(cause, onvif_errors.ONVIFAuthError) or (
        isinstance(cause, zeep_errors.Fault | onvif_errors.ONVIFError) and _refusal(cause, text)
    ):
        return OnvifFailure(refused, f"device refused: {text}")
    if isinstance(cause, AttributeError) and "getroottree" in text:
        # zeep on an empty body: a web server without the path (Hikvision >= V5.5, ONVIF off)
        return OnvifFailure("not_onvif", "empty reply: not an ONVIF device service")
    if isinstance(cause, zeep_errors.Fault):
        if getattr(cause, "code", None) is None and "unknown fault" in text.lower():
            # zeep's reading of a non-SOAP page (an HTML 404 parses as XML but has no Fault)
            return OnvifFailure("not_onvif", "the reply is not SOAP: not an ONVIF device service")
        return OnvifFailure("protocol", f"SOAP fault: {text}")
    if isinstance(cause, zeep_errors.TransportError):
        return _transport(cause, text, refused)
    if isinstance(cause, OSError | aiohttp.ClientConnectionError):
        return OnvifFailure("unreachable", f"{type(cause).__name__}: {text}")
    return OnvifFailure("protocol", f"{type(cause).__name__}: {text}")


def _refusal(fault: BaseException, text: str) -> bool:
    """A fault whose reason or subcodes (``ter:NotAuthorized``...) say "not authorized"."""
    subcodes = getattr(fault, "subcodes", None) or []
    words = [text, *(getattr(code, "localname", str(code)) for code in subcodes)]
    return any(m in word.lower() for word in words for m in _AUTH_MARKERS)


def _transport(cause: BaseException, text: str, refused: str) -> OnvifFailure:
    status = getattr(cause, "status_code", 0)
    if status == 401:
        return OnvifFailure(refused, "HTTP 401")
    if status in (400, 404, 405, 501) or "html" in text.lower():
        return OnvifFailure("not_onvif", f"HTTP {status}: not an ONVIF device service")
    return OnvifFailure("protocol", f"HTTP {status}: {text}")


async def _call(service: Any, operation: str, *, auth: bool, timeout: float) -> Any:
    if operation not in READ_ONLY_OPERATIONS:  # the read-only rule, enforced where calls go out
        raise ValueError(f"refusing to call ONVIF {operation}: not a read-only operation")
    method = getattr(service, operation if auth else f"authless_{operation}")
    try:
        async with asyncio.timeout(timeout):
            return await method()
    except Exception as exc:
        raise classify(exc, authenticated=auth) from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:200] or None


def device_info_fields(info: Any) -> dict[str, str]:
    """GetDeviceInformation -> onvif.manufacturer / model / firmware / serial / hardware_id."""
    names = {
        "Manufacturer": "onvif.manufacturer",
        "Model": "onvif.model",
        "FirmwareVersion": "onvif.firmware",
        "SerialNumber": "onvif.serial",
        "HardwareId": "onvif.hardware_id",
    }
    out: dict[str, str] = {}
    for attr, name in names.items():
        if text := _text(_get(info, attr)):
            out[name] = text
    return out


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
        if obj is None:
            return None
    return obj


def interface_macs(interfaces: Any) -> list[str]:
    """MACs from GetNetworkInterfaces (``Info.HwAddress`` of each interface)."""
    out: list[str] = []
    for iface in interfaces or []:
        raw = _get(iface, "Info", "HwAddress")
        if isinstance(raw, str) and (mac := normalize_mac(raw)) and mac not in out:
            out.append(mac)
    return out


def scope_values(scopes: Any) -> tuple[str, ...]:
    """GetScopes -> percent-decoded scope URIs."""
    out: list[str] = []
    for scope in scopes or []:
        item = _get(scope, "ScopeItem")
        if isinstance(item, str) and item.strip():
            out.append(urllib.parse.unquote(item.strip())[:300])
    return tuple(out)


def clock_offset(system_date: Any, now: dt.datetime) -> dt.timedelta | None:
    """The device's UTC clock minus ``now``, from GetSystemDateAndTime; None when the reply
    has no usable ``UTCDateTime`` (local time alone would be off by the time zone)."""
    utc = _get(system_date, "UTCDateTime")
    parts = [_get(utc, "Date", k) for k in ("Year", "Month", "Day")]
    parts += [_get(utc, "Time", k) for k in ("Hour", "Minute", "Second")]
    try:
        year, month, day, hour, minute, second = (int(p) for p in parts)
        device = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return device - now


async def _identity(
    devicemgmt: Any, auth: bool, timeout: float
) -> tuple[dict[str, Any], list[OnvifFailure]]:
    fields: dict[str, Any] = {}
    failures: list[OnvifFailure] = []
    for operation in ("GetDeviceInformation", "GetNetworkInterfaces", "GetScopes"):
        try:
            result = await _call(devicemgmt, operation, auth=auth, timeout=timeout)
        except OnvifFailure as failure:
            failures.append(OnvifFailure(failure.kind, f"{operation}: {failure}"))
            if failure.kind in ("bad_credentials", "unreachable"):
                break  # do not repeat a refused password, nor wait on a dead device
            continue
        fields.update(reply_fields(operation, result))
    return fields, failures


async def _device_time(devicemgmt: Any, credential: Credential | None, timeout: float) -> Any:
    """GetSystemDateAndTime anonymously; if refused and credentials exist, with them."""
    try:
        return await _call(devicemgmt, "GetSystemDateAndTime", auth=False, timeout=timeout)
    except OnvifFailure as failure:
        if failure.kind != "needs_credentials" or credential is None:
            raise
    try:
        return await _call(devicemgmt, "GetSystemDateAndTime", auth=True, timeout=timeout)
    except OnvifFailure as failure:
        if failure.kind != "bad_credentials":
            raise
        raise OnvifFailure(
            "bad_credentials",
            f"GetSystemDateAndTime: {failure} (the device tells its time only to "
            "authenticated clients, so a clock difference cannot be ruled out)",
        ) from None


async def probe_endpoint(
    url: str, credential: Credential | None, timeout: float, *, basic_over_http: bool = False
) -> tuple[dict[str, Any], list[OnvifFailure]]:
    """Everything ONVIF at one device service URL; raises OnvifFailure if there is none.
    ``basic_over_http``: the user allowed HTTP Basic without TLS for this device."""
    client = make_client(url, credential, basic_over_http=basic_over_http)
    try:
        devicemgmt = await client.service()
        system_date = await _device_time(devicemgmt, credential, timeout)
        offset = clock_offset(system_date, dt.datetime.now(dt.UTC))
        if credential is not None and offset is not None:
            devicemgmt = await client.service(offset)
        fields: dict[str, Any] = {"onvif.xaddr": url}
        more, failures = await _identity(devicemgmt, credential is not None, timeout)
        fields.update(more)
        return fields, [explain(client, f) for f in failures]
    except OnvifFailure as failure:
        raise explain(client, failure) from None
    except Exception as exc:
        raise explain(client, classify(exc, authenticated=credential is not None)) from None
    finally:
        # Shielded: a cancelled scan still closes the client's HTTP sessions.
        closing = asyncio.ensure_future(client.close())
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(closing)


async def warm_up() -> None:
    """Import the library and parse its device-management WSDL once, in a worker thread.

    Without this, the first N devices would each parse the WSDL at the same time: N threads
    fighting over the GIL for about a second, during which the event loop (and a user's
    Ctrl-C) waits.  Building a service sends nothing.
    """
    await asyncio.to_thread(_import_onvif)
    client = make_client(f"http://127.0.0.1:9{DEVICE_PATH}", None)
    try:
        await client.service()
    finally:
        await client.close()


def device_url(xaddr: str, ip: str) -> str | None:
    """An advertised XAddr rebuilt from its parts when it is an http(s) URL on ``ip`` itself.

    XAddrs are device-controlled text: ``http://198.18.0.5:80@elsewhere/`` names another
    host, and credentials must go only to the device they were given for.
    """
    try:
        parts = urllib.parse.urlsplit(xaddr.strip())
        host, port = urllib.parse.unquote(parts.hostname or ""), parts.port
        same = _address(host) == _address(ip)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not same or parts.username is not None:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{url_host(ip)}:{port}{parts.path or DEVICE_PATH}{query}"[:500]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address without its zone: a device writes ``[fe80::1]``, we know it as
    ``fe80::1%eth0`` (the zone is ours, the interface we heard it on)."""
    return ipaddress.ip_address(text.partition("%")[0])


def candidate_urls(
    ip: str, open_ports: Iterable[int], xaddrs: Iterable[str], wanted: Iterable[int]
) -> list[str]:
    """Device service URLs to try: this host's advertised XAddrs first (their real scheme,
    port and path), then ``/onvif/device_service`` on open ONVIF ports no XAddr named."""
    urls: list[str] = []
    for xaddr in xaddrs:
        if (url := device_url(xaddr, ip)) and url not in urls:
            urls.append(url)
    named = {urllib.parse.urlsplit(u).port for u in urls}
    opened = set(open_ports)
    host = url_host(ip)
    urls += [f"http://{host}:{p}{DEVICE_PATH}" for p in wanted if p in opened and p not in named]
    return urls


async def probe_host(
    ip: str, urls: list[str], advertised: bool, ctx: ProbeContext
) -> list[Observation | Problem]:
    credential = ctx.credentials(ip)
    basic = basic_allowed(ctx, ip)
    last: OnvifFailure | None = None
    for url in urls:
        try:
            fields, failures = await probe_endpoint(
                url, credential, ctx.timeout, basic_over_http=basic
            )
        except OnvifFailure as failure:
            last = OnvifFailure(failure.kind, f"{url} {failure}")
            if failure.kind in ("bad_credentials", BASIC_REFUSED):
                break  # the same answer waits at every URL of this device
            continue
        out: list[Observation | Problem] = [
            Observation(source="onvif", fields={"ip": ip, **fields})
        ]
        for f in failures:
            if f.kind != "needs_credentials":  # anonymous refusal: expected, not an error
                out.append(Problem("onvif", f.kind, f"{url} {f}", ip=ip))
        return out
    if last is None or (last.kind == "not_onvif" and not advertised):
        return []  # a web server that is not ONVIF, on a device that never claimed to be
    return [Problem("onvif", last.kind, f"{ip}: {last}", ip=ip)]


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """ONVIF identity for hosts with a candidate port or a WS-Discovery XAddr."""
    open_ports, xaddrs = ctx.hints.open_ports, ctx.hints.onvif_xaddrs
    wanted = ctx.service_ports.onvif
    plan = {
        ip: candidate_urls(ip, open_ports.get(ip, ()), xaddrs.get(ip, ()), wanted)
        for ip in ctx.hosts
    }
    plan = {ip: p for ip, p in plan.items() if p}
    if not plan:
        return
    guard_send("ONVIF requests", plan)
    await warm_up()
    done = progress_callback(ctx)

    async def one(ip: str) -> list[Observation | Problem]:
        result = await probe_host(ip, plan[ip], bool(xaddrs.get(ip)), ctx)
        done(ip)
        return result

    async for item in per_host(list(plan), one, max(1, min(16, ctx.concurrency // 4))):
        yield item
