"""ONVIF with the real onvif-zeep-async client against a device that checks WS-Security for
real (tests/discovery/onvif_fake.py), served on loopback: the device of issue 11 that refuses
every call without a valid UsernameToken, clock skew, HTTP Digest and advertised paths."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.model import Observation, Problem
from discovery import onvif
from discovery.base import Credential, ProbeContext, ScanHints
from discovery.credentials import parse_credentials
from tests.data.interop import CORPUS
from tests.discovery import onvif_replies
from tests.discovery.onvif_fake import FakeOnvifDevice
from tests.discovery.tcp_fakes import collect, sync

IP = "127.0.0.1"
SECRET = "Correct-Horse-7"
REPLIES = {
    "GetDeviceInformation": onvif_replies.DEVICE_INFORMATION,
    "GetNetworkInterfaces": onvif_replies.NETWORK_INTERFACES,
    "GetScopes": onvif_replies.SCOPES,
}
IDENTITY = {
    "onvif.manufacturer": "Example Cameras",
    "onvif.model": "EC-2042-IR",
    "onvif.firmware": "V4.1.7 build 230517",
    "onvif.serial": "EC20420000000123",
    "onvif.mac": "02:00:5e:10:20:30",
}


def fake(**kwargs: Any) -> FakeOnvifDevice:
    return FakeOnvifDevice(users={"admin": SECRET}, replies=dict(REPLIES), **kwargs)


async def scan(device: FakeOnvifDevice, password: str | None) -> list[Any]:
    cred = Credential("admin", password) if password is not None else None
    async with device.server() as srv:
        ctx = ProbeContext(
            interface=None,
            networks=(),
            hosts=(IP,),
            timeout=3.0,
            credentials=lambda ip: cred,
            hints=ScanHints(onvif_xaddrs={IP: (f"http://{IP}:{srv.port}{device.path}",)}),
        )
        return await collect(onvif.probe(ctx))


def fields_of(items: list[Any]) -> dict[str, Any]:
    return {k: v for i in items if isinstance(i, Observation) for k, v in i.fields.items()}


def problems(items: list[Any]) -> list[tuple[str, str]]:
    return [(i.kind, i.message) for i in items if isinstance(i, Problem)]


@sync
async def test_locked_device_gives_its_identity_to_the_right_credentials() -> None:
    device = fake()
    items = await scan(device, SECRET)
    assert IDENTITY.items() <= fields_of(items).items()
    assert problems(items) == []
    assert device.verdicts[0] == ("GetSystemDateAndTime", "no token")  # anonymous first
    assert {v for _, v in device.verdicts[1:]} == {"ok"}


@sync
async def test_locked_device_with_a_wrong_password_is_bad_credentials() -> None:
    device = fake()
    items = await scan(device, "Wrong-Horse-7")
    assert [kind for kind, _ in problems(items)] == ["bad_credentials"]
    assert "Wrong-Horse-7" not in repr(items)
    assert ("GetSystemDateAndTime", "bad digest") in device.verdicts  # refused for the reason
    assert "ok" not in {v for _, v in device.verdicts}
    assert len(device.verdicts) == 2  # one anonymous try, one refused password, no more


@sync
async def test_locked_device_without_credentials_needs_them() -> None:
    device = fake()
    items = await scan(device, None)
    assert [kind for kind, _ in problems(items)] == ["needs_credentials"]
    assert {v for _, v in device.verdicts} == {"no token"}


@sync
async def test_tokens_are_signed_with_the_device_clock() -> None:
    # Axis-style replay protection: tokens more than 5 s from the device's clock are refused,
    # and this device's clock is three hours ahead; it tells its time to anyone.
    skewed = {
        "clock": dt.timedelta(hours=3),
        "max_skew": dt.timedelta(seconds=5),
        "anonymous": frozenset({"GetSystemDateAndTime"}),
    }
    device = fake(**skewed)
    items = await scan(device, SECRET)
    assert IDENTITY.items() <= fields_of(items).items()
    assert {v for op, v in device.verdicts if op != "GetSystemDateAndTime"} == {"ok"}


@sync
async def test_without_the_clock_offset_the_skewed_device_refuses(monkeypatch) -> None:
    monkeypatch.setattr(onvif, "clock_offset", lambda system_date, now: None)
    device = fake(clock=dt.timedelta(hours=3), max_skew=dt.timedelta(seconds=5))
    device.anonymous = frozenset({"GetSystemDateAndTime"})
    items = await scan(device, SECRET)
    assert [kind for kind, _ in problems(items)] == ["bad_credentials"]
    assert ("GetDeviceInformation", "stale created") in device.verdicts


@sync
async def test_a_locked_skewed_device_says_the_clock_may_be_to_blame() -> None:
    device = fake(clock=dt.timedelta(hours=3), max_skew=dt.timedelta(seconds=5))
    items = await scan(device, SECRET)
    ((kind, message),) = problems(items)
    assert kind == "bad_credentials"
    assert "clock" in message


@sync
async def test_http_digest_and_username_token_together() -> None:
    device = fake(http_digest=True)
    items = await scan(device, SECRET)
    assert IDENTITY.items() <= fields_of(items).items()
    assert ("?", "no http digest") in device.verdicts  # it challenged; we answered
    wrong = fake(http_digest=True)
    items = await scan(wrong, "Wrong-Horse-7")
    assert [kind for kind, _ in problems(items)] == ["bad_credentials"]


@sync
async def test_the_advertised_xaddr_path_is_used() -> None:
    device = fake(path="/onvif/services")
    items = await scan(device, SECRET)
    assert fields_of(items)["onvif.xaddr"].endswith("/onvif/services")
    assert IDENTITY.items() <= fields_of(items).items()
    assert set(device.paths) == {"/onvif/services"}


# ---------------------------------------------------------------- HTTP Basic (issue 11)


async def scan_with_store(device: FakeOnvifDevice, password: str, allow: bool) -> list[Any]:
    """As a user's credentials file says it: ``allow_basic_over_http`` per entry."""
    flag = "allow_basic_over_http = true\n" if allow else ""
    store = parse_credentials(
        f'[[credential]]\ntarget = "{IP}"\nusername = "admin"\npassword = "{password}"\n{flag}'
    )
    async with device.server() as srv:
        ctx = ProbeContext(
            interface=None,
            networks=(),
            hosts=(IP,),
            timeout=3.0,
            credentials=store,
            hints=ScanHints(onvif_xaddrs={IP: (f"http://{IP}:{srv.port}{device.path}",)}),
        )
        return await collect(onvif.probe(ctx))


@sync
async def test_a_basic_only_device_is_refused_by_policy_not_a_bad_password() -> None:
    device = fake(http_basic=True)
    items = await scan_with_store(device, SECRET, allow=False)
    ((kind, message),) = problems(items)
    assert kind == "basic_over_http_refused"
    assert "allow_basic_over_http = true" in message and "plain HTTP" in message
    assert "basic" not in device.authorizations  # the password never left in clear text
    assert SECRET not in repr(items)


@sync
async def test_a_basic_only_device_answers_when_the_user_allows_basic_for_it() -> None:
    device = fake(http_basic=True)
    items = await scan_with_store(device, SECRET, allow=True)
    assert IDENTITY.items() <= fields_of(items).items()
    assert problems(items) == []
    assert "basic" in device.authorizations


@sync
async def test_a_basic_only_device_with_a_wrong_password_is_bad_credentials() -> None:
    device = fake(http_basic=True)
    items = await scan_with_store(device, "Wrong-Horse-7", allow=True)
    assert [kind for kind, _ in problems(items)] == ["bad_credentials"]


@sync
async def test_a_basic_only_device_without_credentials_needs_them() -> None:
    device = fake(http_basic=True)
    items = await scan(device, None)
    assert [kind for kind, _ in problems(items)] == ["needs_credentials"]
    assert device.authorizations == []


@sync
async def test_node_soap_spelling_of_not_authorized_is_still_a_refusal() -> None:
    # node-soap writes <soap:value>ter:NotAuthorized</soap:value> without declaring ter:
    # captured in the interop corpus; zeep alone called that a protocol error.
    refusal = (CORPUS / "onvif_node-soap_notauthorized_fault.xml").read_bytes()
    items = await scan(fake(refusal=refusal), None)
    assert [kind for kind, _ in problems(items)] == ["needs_credentials"]
    items = await scan(fake(refusal=refusal), "Wrong-Horse-7")
    assert [kind for kind, _ in problems(items)] == ["bad_credentials"]
    items = await scan(fake(refusal=refusal), SECRET)
    assert IDENTITY.items() <= fields_of(items).items()
