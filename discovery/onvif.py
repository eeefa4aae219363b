"""ONVIF device service: read-only identity through onvif-zeep-async.

Home Assistant's habits (STYLE.md): :func:`make_client` is the only place that builds an
``ONVIFCamera`` (tests patch that seam); every capability fails on its own; errors are
sorted into ``bad_credentials``, ``not_onvif``, ``unreachable`` and ``protocol``.

Steps per device: ``GetSystemDateAndTime`` without auth (is there an ONVIF service on this
port?), then ``GetDeviceInformation``, ``GetNetworkInterfaces`` (the MAC, even across a
router) and ``GetScopes`` -- with the user's credentials for this device when given, else
anonymously (some OEM firmware answers GetDeviceInformation without auth; a refusal then
is not an error).  Only operations in :data:`READ_ONLY_OPERATIONS` can be called.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from core.model import Observation, Problem, normalize_mac
from discovery.base import Credential, ProbeContext
from discovery.ports import guard_send, per_host, progress_callback

READ_ONLY_OPERATIONS = frozenset(
    {"GetSystemDateAndTime", "GetDeviceInformation", "GetNetworkInterfaces", "GetScopes"}
)
# Fault texts devices use for "your credentials are wrong / missing".
_AUTH_MARKERS = ("notauthorized", "not authorized", "unauthorized", "authority failure")


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


def make_client(host: str, port: int, credential: Credential | None) -> Any:
    """The one place that builds an ONVIF client (no WSDL cache on disk, no clock games)."""
    onvif = _import_onvif()
    user = credential.username if credential else None
    password = credential.password if credential else None
    return onvif.ONVIFCamera(host, port, user, password, no_cache=True, adjust_time=False)


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
        isinstance(cause, zeep_errors.Fault | onvif_errors.ONVIFError) and _says_unauthorized(text)
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


def _says_unauthorized(text: str) -> bool:
    return any(m in text.lower() for m in _AUTH_MARKERS)


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
        value = info.get(attr) if isinstance(info, Mapping) else getattr(info, attr, None)
        if text := _text(value):
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
        if operation == "GetDeviceInformation":
            fields.update(device_info_fields(result))
        elif operation == "GetNetworkInterfaces" and (macs := interface_macs(result)):
            fields["onvif.mac"] = macs[0]
        elif operation == "GetScopes" and (scopes := scope_values(result)):
            fields["onvif.scopes"] = scopes
    return fields, failures


async def probe_endpoint(
    ip: str, port: int, credential: Credential | None, timeout: float
) -> tuple[dict[str, Any], list[OnvifFailure]]:
    """Everything ONVIF on one ip:port; raises OnvifFailure if it is no ONVIF service."""
    cam = make_client(ip, port, credential)
    try:
        devicemgmt = await cam.create_devicemgmt_service()
        await _call(devicemgmt, "GetSystemDateAndTime", auth=False, timeout=timeout)
        fields: dict[str, Any] = {"onvif.xaddr": f"http://{ip}:{port}/onvif/device_service"}
        more, failures = await _identity(devicemgmt, credential is not None, timeout)
        fields.update(more)
        return fields, failures
    except OnvifFailure:
        raise
    except Exception as exc:
        raise classify(exc, authenticated=credential is not None) from None
    finally:
        # Shielded: a cancelled scan still closes the client's HTTP sessions.
        closing = asyncio.ensure_future(cam.close())
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(closing)


async def warm_up() -> None:
    """Import the library and parse its device-management WSDL once, in a worker thread.

    Without this, the first N devices would each parse the WSDL at the same time: N threads
    fighting over the GIL for about a second, during which the event loop (and a user's
    Ctrl-C) waits.  Building a service sends nothing.
    """
    await asyncio.to_thread(_import_onvif)
    cam = make_client("127.0.0.1", 9, None)
    try:
        await cam.create_devicemgmt_service()
    finally:
        await cam.close()


def candidate_ports(
    open_ports: Iterable[int], xaddrs: Iterable[str], wanted: Iterable[int]
) -> list[int]:
    """Ports to try: those in WS-Discovery XAddrs for this host first, then open ONVIF ports."""
    order: list[int] = []
    for url in xaddrs:
        parsed = urllib.parse.urlsplit(url)
        with contextlib.suppress(ValueError):
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            if parsed.scheme == "http" and port not in order:
                order.append(port)
    opened = set(open_ports)
    order += [p for p in wanted if p in opened and p not in order]
    return order


async def probe_host(
    ip: str, ports: list[int], advertised: bool, ctx: ProbeContext
) -> list[Observation | Problem]:
    credential = ctx.credentials(ip)
    last: OnvifFailure | None = None
    for port in ports:
        try:
            fields, failures = await probe_endpoint(ip, port, credential, ctx.timeout)
        except OnvifFailure as failure:
            last = failure
            if failure.kind == "bad_credentials":
                break
            continue
        out: list[Observation | Problem] = [
            Observation(source="onvif", fields={"ip": ip, **fields})
        ]
        for f in failures:
            if f.kind != "needs_credentials":  # anonymous refusal: expected, not an error
                out.append(Problem("onvif", f.kind, f"{ip}:{port} {f}", ip=ip))
        return out
    if last is None or (last.kind == "not_onvif" and not advertised):
        return []  # a web server that is not ONVIF, on a device that never claimed to be
    return [Problem("onvif", last.kind, f"{ip}: {last}", ip=ip)]


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """ONVIF identity for hosts with a candidate port or a WS-Discovery XAddr."""
    open_ports, xaddrs = ctx.hints.open_ports, ctx.hints.onvif_xaddrs
    wanted = ctx.service_ports.onvif
    plan = {
        ip: candidate_ports(open_ports.get(ip, ()), xaddrs.get(ip, ()), wanted) for ip in ctx.hosts
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
