"""ONVIF: error sorting, per-capability failure and the read-only rule.

Most tests patch the one seam (``discovery.onvif.make_client``) with a scripted device, as
Home Assistant's ONVIF tests do; the last ones run the real onvif-zeep-async client against
loopback servers that are not (or not quite) ONVIF devices.  Live ONVIF against the lab's
emulated cameras is in tests/lab/test_probe_tcp.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from zeep.exceptions import Fault, TransportError

from core.model import Observation, Problem
from discovery import onvif
from discovery.base import ONVIF_PORTS, Credential, ProbeContext, ScanHints
from tests.discovery.tcp_fakes import Server, collect, sync

IP = "127.0.0.1"
# What a Hikvision answers to GetDeviceInformation.
HIK_INFO = SimpleNamespace(
    Manufacturer="HIKVISION",
    Model="DS-2CD2143G0-I",
    FirmwareVersion="V5.5.82 build 190909",
    SerialNumber="DS-2CD2143G0-I20200414AAWRE33842150",
    HardwareId="88",
)
HIK_INTERFACES = [SimpleNamespace(Info=SimpleNamespace(HwAddress="44:19:B6:6A:5C:01"))]
HIK_SCOPES = [
    SimpleNamespace(ScopeItem="onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G0-I"),
    SimpleNamespace(ScopeItem="onvif://www.onvif.org/hardware/DS-2CD2143G0-I"),
]
NOT_AUTHORIZED = Fault("Sender not Authorized")


class ScriptedDevice:
    """Stands in for the device client: answers each operation from a script, records calls."""

    def __init__(self, script: dict[str, Any], calls: list[str]) -> None:
        self.script, self.calls, self.closed = script, calls, False
        self.offsets: list[Any] = []

    async def service(self, clock_offset: Any = None) -> Any:
        device = self
        self.offsets.append(clock_offset)

        class Service:
            def __getattr__(self, name: str) -> Any:
                async def call() -> Any:
                    device.calls.append(name)
                    result = device.script.get(name.removeprefix("authless_"), NOT_AUTHORIZED)
                    if isinstance(result, dict):  # auth-dependent answer
                        result = result["auth" if not name.startswith("authless_") else "anon"]
                    if isinstance(result, BaseException):
                        raise result
                    return result

                return call

        return Service()

    async def close(self) -> None:
        self.closed = True


FULL = {
    "GetSystemDateAndTime": SimpleNamespace(),
    "GetDeviceInformation": {"auth": HIK_INFO, "anon": NOT_AUTHORIZED},
    "GetNetworkInterfaces": {"auth": HIK_INTERFACES, "anon": NOT_AUTHORIZED},
    "GetScopes": {"auth": HIK_SCOPES, "anon": NOT_AUTHORIZED},
}


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []
    made: list[tuple[str, Credential | None]] = []

    def install(script: dict[str, Any]) -> list[str]:
        def factory(url: str, credential: Credential | None, **_: Any) -> ScriptedDevice:
            made.append((url, credential))
            return ScriptedDevice(script, calls)

        monkeypatch.setattr(onvif, "make_client", factory)
        return calls

    install.made = made  # type: ignore[attr-defined]
    return install


def ctx(cred: Credential | None = None, xaddrs: tuple[str, ...] = (), ports=(80,)) -> ProbeContext:
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=(IP,),
        timeout=1.0,
        credentials=lambda ip: cred,
        hints=ScanHints(open_ports={IP: ports}, onvif_xaddrs={IP: xaddrs} if xaddrs else {}),
    )


def fields_of(items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if isinstance(item, Observation):
            out.update(item.fields)
    return out


@sync
async def test_identity_with_credentials(device) -> None:
    calls = device(FULL)
    items = await collect(onvif.probe(ctx(Credential("admin", "pw"))))
    fields = fields_of(items)
    assert fields["onvif.manufacturer"] == "HIKVISION"
    assert fields["onvif.serial"] == "DS-2CD2143G0-I20200414AAWRE33842150"
    assert fields["onvif.hardware_id"] == "88"
    assert fields["onvif.mac"] == "44:19:b6:6a:5c:01"
    assert fields["onvif.scopes"] == (
        "onvif://www.onvif.org/name/HIKVISION DS-2CD2143G0-I",
        "onvif://www.onvif.org/hardware/DS-2CD2143G0-I",
    )
    assert not [i for i in items if isinstance(i, Problem)]
    assert calls[0] == "authless_GetSystemDateAndTime"
    assert all(c.removeprefix("authless_").startswith("Get") for c in calls)


@sync
async def test_without_credentials_a_refusal_is_not_an_error(device) -> None:
    calls = device(FULL)
    items = await collect(onvif.probe(ctx(None)))
    assert fields_of(items) == {"ip": IP, "onvif.xaddr": f"http://{IP}:80/onvif/device_service"}
    assert not [i for i in items if isinstance(i, Problem)]
    assert all(c.startswith("authless_") for c in calls)


@sync
async def test_anonymous_device_information_is_kept(device) -> None:
    device({**FULL, "GetDeviceInformation": HIK_INFO})
    fields = fields_of(await collect(onvif.probe(ctx(None))))
    assert fields["onvif.model"] == "DS-2CD2143G0-I"


@sync
async def test_wrong_password_is_bad_credentials_and_not_repeated(device) -> None:
    script = {**FULL, "GetDeviceInformation": NOT_AUTHORIZED}
    calls = device(script)
    items = await collect(onvif.probe(ctx(Credential("admin", "wrong"))))
    errors = [i for i in items if isinstance(i, Problem)]
    assert [(e.kind, e.ip) for e in errors] == [("bad_credentials", IP)]
    assert "wrong" not in errors[0].message
    assert [c for c in calls if not c.startswith("authless_")] == ["GetDeviceInformation"]
    assert fields_of(items)["onvif.xaddr"]  # the device still counts as ONVIF


CLOCK = SimpleNamespace(
    UTCDateTime=SimpleNamespace(
        Date=SimpleNamespace(Year=2030, Month=1, Day=2),
        Time=SimpleNamespace(Hour=3, Minute=4, Second=5),
    )
)
LOCKED = {  # answers nothing, the clock included, without a UsernameToken
    **FULL,
    "GetSystemDateAndTime": {"auth": CLOCK, "anon": NOT_AUTHORIZED},
}


@sync
async def test_a_device_that_refuses_even_the_clock_is_read_with_credentials(device) -> None:
    calls = device(LOCKED)
    items = await collect(onvif.probe(ctx(Credential("admin", "pw"))))
    assert fields_of(items)["onvif.serial"] == HIK_INFO.SerialNumber
    assert not [i for i in items if isinstance(i, Problem)]
    assert calls[:2] == ["authless_GetSystemDateAndTime", "GetSystemDateAndTime"]


@sync
async def test_a_device_that_refuses_even_the_clock_needs_credentials(device) -> None:
    device(LOCKED)
    items = await collect(onvif.probe(ctx(None)))
    assert [(type(i), i.kind) for i in items] == [(Problem, "needs_credentials")]


@sync
async def test_the_device_clock_offset_signs_the_tokens(monkeypatch) -> None:
    made: list[ScriptedDevice] = []

    def factory(url: str, credential: Credential | None, **_: Any) -> ScriptedDevice:
        client = ScriptedDevice({**FULL, "GetSystemDateAndTime": CLOCK}, [])
        if url.startswith(f"http://{IP}:80/"):  # not the warm-up client
            made.append(client)
        return client

    monkeypatch.setattr(onvif, "make_client", factory)
    await collect(onvif.probe(ctx(Credential("admin", "pw"))))
    first, adjusted = made[0].offsets
    assert first is None
    assert adjusted > dt.timedelta(days=365)  # the scripted clock says 2030
    await collect(onvif.probe(ctx(None)))
    assert made[1].offsets == [None]  # anonymous calls carry no token to sign


def test_clock_offset_reads_utc_and_refuses_nonsense() -> None:
    now = dt.datetime(2030, 1, 2, 3, 4, 0, tzinfo=dt.UTC)
    assert onvif.clock_offset(CLOCK, now) == dt.timedelta(seconds=5)
    as_dict = {
        "UTCDateTime": {
            "Date": {"Year": 2030, "Month": 1, "Day": 2},
            "Time": {"Hour": 3, "Minute": 4, "Second": 5},
        }
    }
    assert onvif.clock_offset(as_dict, now) == dt.timedelta(seconds=5)
    assert onvif.clock_offset(SimpleNamespace(UTCDateTime=None), now) is None
    broken = {
        "UTCDateTime": {
            "Date": {"Year": 2030, "Month": 13, "Day": 2},
            "Time": {"Hour": 3, "Minute": 4, "Second": 5},
        }
    }
    assert onvif.clock_offset(broken, now) is None


@sync
async def test_one_capability_failing_keeps_the_others(device) -> None:
    device({**FULL, "GetScopes": {"auth": ValueError("garbled scopes"), "anon": NOT_AUTHORIZED}})
    items = await collect(onvif.probe(ctx(Credential("admin", "pw"))))
    assert fields_of(items)["onvif.model"] == "DS-2CD2143G0-I"
    assert fields_of(items)["onvif.mac"] == "44:19:b6:6a:5c:01"
    errors = [i for i in items if isinstance(i, Problem)]
    assert [(e.kind, "GetScopes" in e.message) for e in errors] == [("protocol", True)]


@sync
async def test_a_web_server_that_is_not_onvif(device) -> None:
    not_found = TransportError("Server returned HTTP status 404", status_code=404)
    device({"GetSystemDateAndTime": not_found})
    assert await collect(onvif.probe(ctx(None))) == []  # never claimed ONVIF: nothing to say
    advertised = await collect(
        onvif.probe(ctx(None, xaddrs=(f"http://{IP}/onvif/device_service",)))
    )
    assert [(type(i), i.kind) for i in advertised] == [(Problem, "not_onvif")]


@sync
async def test_unreachable_and_timeouts(device) -> None:
    device({"GetSystemDateAndTime": ConnectionRefusedError(111, "refused")})
    items = await collect(onvif.probe(ctx(None)))
    assert [i.kind for i in items] == ["unreachable"]


def test_advertised_xaddr_is_tried_first_with_its_path() -> None:
    ip = "198.18.0.5"
    assert onvif.candidate_urls(
        ip, [80, 8899], [f"http://{ip}:8080/onvif/services"], (80, 8899)
    ) == [
        f"http://{ip}:8080/onvif/services",
        f"http://{ip}:80/onvif/device_service",
        f"http://{ip}:8899/onvif/device_service",
    ]
    assert onvif.candidate_urls(ip, [554], [], ONVIF_PORTS) == []
    # an XAddr on an open port replaces the default path there
    assert onvif.candidate_urls(ip, [80], [f"https://{ip}/onvif/device_service"], (80,)) == [
        f"https://{ip}:443/onvif/device_service",
        f"http://{ip}:80/onvif/device_service",
    ]
    assert onvif.candidate_urls(ip, [80], [f"http://{ip}/onvif/services"], (80,)) == [
        f"http://{ip}:80/onvif/services"
    ]


@pytest.mark.parametrize(
    "xaddr",
    [
        "http://198.18.0.5:80@198.18.0.66/onvif/device_service",  # userinfo: another host
        "http://user:pw@198.18.0.5/onvif/device_service",
        "http://198.18.0.6/onvif/device_service",
        "ftp://198.18.0.5/onvif/device_service",
        "http://198.18.0.5:99999/onvif/device_service",
        "SERVICE_URI",
        "http://[fe80::1%25eth0]:80/onvif/device_service",
    ],
)
def test_credentials_never_follow_an_xaddr_to_another_host(xaddr: str) -> None:
    assert onvif.device_url(xaddr, "198.18.0.5") is None


def test_ipv6_xaddrs_keep_their_zone() -> None:
    xaddr = "http://[fe80::1%25eth0]:8080/onvif/device_service"
    assert onvif.device_url(xaddr, "fe80::1%eth0") == xaddr
    assert onvif.device_url(xaddr, "fe80::2%eth0") is None
    assert onvif.candidate_urls("fd00::5", [80], [], (80,)) == [
        "http://[fd00::5]:80/onvif/device_service"
    ]


def test_only_read_operations_can_go_out() -> None:
    assert all(op.startswith("Get") for op in onvif.READ_ONLY_OPERATIONS)

    class Anything:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"{name} must never be looked up")

    for op in (
        "SetHostname",
        "CreateUsers",
        "DeleteUsers",
        "SystemReboot",
        "SetSystemFactoryDefault",
    ):
        with pytest.raises(ValueError, match="read-only"):
            asyncio.run(onvif._call(Anything(), op, auth=True, timeout=1.0))


def test_classification_of_library_errors() -> None:
    from onvif.exceptions import ONVIFError

    wrapped = ONVIFError(OSError(113, "No route to host"))
    wrapped.__cause__ = OSError(113, "No route to host")
    assert onvif.classify(wrapped, authenticated=False).kind == "unreachable"
    assert onvif.classify(TimeoutError(), authenticated=True).kind == "unreachable"
    assert onvif.classify(NOT_AUTHORIZED, authenticated=True).kind == "bad_credentials"
    assert (
        onvif.classify(TransportError("x", status_code=401), authenticated=True).kind
        == "bad_credentials"
    )
    assert (
        onvif.classify(TransportError("x", status_code=500), authenticated=True).kind == "protocol"
    )


# ---------------------------------------------------------------- the real client


def url(port: int, path: str = "/onvif/device_service") -> str:
    return f"http://{IP}:{port}{path}"


@sync
async def test_real_client_on_a_closed_port_is_unreachable() -> None:
    async def nothing(reader, writer) -> None:
        return None

    async with Server(nothing) as srv:
        port = srv.port
    with pytest.raises(onvif.OnvifFailure) as info:
        await onvif.probe_endpoint(f"http://{IP}:{port}/onvif/device_service", None, 2.0)
    assert info.value.kind == "unreachable"


@sync
async def test_real_client_on_a_plain_web_server_is_not_onvif() -> None:
    seen: list[bytes] = []

    async def web(reader, writer) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        body = b"<html><title>404</title></html>"
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    async with Server(web) as srv:
        with pytest.raises(onvif.OnvifFailure) as info:
            await onvif.probe_endpoint(url(srv.port), None, 3.0)
    assert info.value.kind == "not_onvif"
    assert seen and seen[0].startswith(b"POST /onvif/device_service")


@sync
async def test_real_client_refuses_an_entity_bomb() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>&c;'
        b"</env:Body></env:Envelope>"
    )

    async def bomber(reader, writer) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(bomb), bomb))
        await writer.drain()

    async with Server(bomber) as srv:
        with pytest.raises(onvif.OnvifFailure) as info:
            await onvif.probe_endpoint(url(srv.port), None, 3.0)
    assert info.value.kind == "protocol"


def test_errors_are_sorted_by_their_class_not_their_name() -> None:
    """A look-alike with the library's class name is not the library's error."""

    class ONVIFAuthError(Exception):  # same name as onvif.exceptions.ONVIFAuthError
        pass

    class TransportError(Exception):  # same name as zeep's, with a 401 it does not mean
        status_code = 401

    assert onvif.classify(ONVIFAuthError("boom"), authenticated=True).kind == "protocol"
    assert onvif.classify(TransportError("x"), authenticated=True).kind == "protocol"
    from onvif.exceptions import ONVIFAuthError as Real

    assert onvif.classify(Real("boom"), authenticated=True).kind == "bad_credentials"
    assert onvif.classify(Real("boom"), authenticated=False).kind == "needs_credentials"
