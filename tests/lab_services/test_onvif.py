"""ONVIF device service against the real client (onvif-zeep-async), and by raw SOAP."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import http.client
import os

import defusedxml.ElementTree as ET
import pytest
import zeep.exceptions
from onvif import ONVIFCamera

TDS = "{http://www.onvif.org/ver10/device/wsdl}"
ENV = "{http://www.w3.org/2003/05/soap-envelope}"


def _query(ip, user, password):
    async def run():
        camera = ONVIFCamera(ip, 80, user, password)
        try:
            await camera.update_xaddrs()
            service = await camera.create_devicemgmt_service()
            return await service.GetDeviceInformation()
        finally:
            await camera.close()

    return asyncio.run(run())


def test_onvif_zeep_async_reads_device_information_with_the_right_password(device):
    cam = device("dahua-ipc").start("http", "onvif")
    info = _query(cam.ip, "admin", "Lab-Dahua-16")
    assert info.Manufacturer == "Dahua"
    assert info.Model == "IPC-HDW5421S"
    assert info.SerialNumber == cam.ctx.profile["identity"]["serial"]
    assert info.FirmwareVersion == "2.800.0000000.16.R"
    ops = cam.kinds("onvif")
    assert ops[0] == "GetSystemDateAndTime" or "GetServices" in ops
    assert ops[-1] == "GetDeviceInformation"
    last = cam.records[-1][2]
    assert last["user"] == "admin" and last["auth_ok"] and last["password_type"] == "digest"


def test_onvif_zeep_async_wrong_password_gets_sender_not_authorized(device):
    cam = device("dahua-ipc").start("onvif")  # onvif alone opens the HTTP port itself
    with pytest.raises(zeep.exceptions.Fault, match="Sender not Authorized"):
        _query(cam.ip, "admin", "wrong")
    denied = [d for p, k, d in cam.records if p == "onvif" and k != "GetSystemDateAndTime"]
    assert denied and all(d["user"] == "admin" and not d["auth_ok"] for d in denied)


def _soap(ip, operation, token=""):
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl">'
        f"<s:Header>{token}</s:Header><s:Body><tds:{operation}/></s:Body></s:Envelope>"
    )
    conn = http.client.HTTPConnection(ip, 80, timeout=5)
    try:
        conn.request(
            "POST", "/onvif/device_service", body, {"Content-Type": "application/soap+xml"}
        )
        response = conn.getresponse()
        return response.status, ET.fromstring(response.read())
    finally:
        conn.close()


def _token(user, password, text=False):
    nonce = os.urandom(16)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if text:
        value, kind = password, "PasswordText"
    else:
        value = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + password.encode()).digest()
        ).decode()
        kind = "PasswordDigest"
    return (
        '<Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        f"<UsernameToken><Username>{user}</Username>"
        f'<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#{kind}">'
        f"{value}</Password><Nonce>{base64.b64encode(nonce).decode()}</Nonce>"
        f'<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        f"{created}</Created></UsernameToken></Security>"
    )


def _subcode(root):
    return root.find(f".//{ENV}Subcode/{ENV}Value").text


def test_system_date_needs_no_credentials_but_device_information_does(device):
    cam = device("axis-ipc").start("onvif")
    status, root = _soap(cam.ip, "GetSystemDateAndTime")
    assert status == 200 and root.find(f".//{TDS}SystemDateAndTime") is not None
    status, root = _soap(cam.ip, "GetDeviceInformation")
    assert status == 400 and _subcode(root) == "ter:NotAuthorized"
    status, root = _soap(cam.ip, "GetDeviceInformation", _token("root", "Lab-Axis-10", text=True))
    assert status == 200 and root.find(f".//{TDS}Manufacturer").text == "AXIS"
    assert cam.records[-1][2]["password_type"] == "text"


def test_unknown_operation_is_action_not_supported(device):
    cam = device("axis-ipc").start("onvif")
    status, root = _soap(cam.ip, "GetDot1XConfigurations", _token("root", "Lab-Axis-10"))
    assert status == 500 and _subcode(root) == "ter:ActionNotSupported"


@pytest.mark.parametrize("operation", ["SetSystemFactoryDefault", "SystemReboot", "CreateUsers"])
def test_writes_are_recorded_and_refused(device, operation):
    cam = device("axis-ipc").start("onvif")
    status, root = _soap(cam.ip, operation, _token("root", "Lab-Axis-10"))
    assert status == 400 and _subcode(root) == "ter:OperationProhibited"
    assert cam.records[-1][1] == operation and cam.records[-1][2]["write"] is True


def test_scopes_interfaces_and_capabilities(device):
    cam = device("dahua-ipc").start("onvif")
    token = _token("admin", "Lab-Dahua-16")
    _, root = _soap(cam.ip, "GetScopes", token)
    items = [e.text for e in root.iter("{http://www.onvif.org/ver10/schema}ScopeItem")]
    assert "onvif://www.onvif.org/name/Dahua" in items
    _, root = _soap(cam.ip, "GetNetworkInterfaces", _token("admin", "Lab-Dahua-16"))
    assert root.find(".//{http://www.onvif.org/ver10/schema}HwAddress").text == cam.ctx.mac
    _, root = _soap(cam.ip, "GetCapabilities", _token("admin", "Lab-Dahua-16"))
    assert (
        root.find(".//{http://www.onvif.org/ver10/schema}XAddr").text
        == f"http://{cam.ip}/onvif/device_service"
    )


def test_garbage_soap_is_a_fault_not_a_crash(device):
    cam = device("dahua-ipc").start("onvif")
    conn = http.client.HTTPConnection(cam.ip, 80, timeout=5)
    conn.request(
        "POST",
        "/onvif/device_service",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    )
    response = conn.getresponse()
    assert response.status == 400 and b"passwd" not in response.read()
    conn.close()
    assert _soap(cam.ip, "GetSystemDateAndTime")[0] == 200


def test_an_oem_that_answers_device_information_anonymously_still_guards_the_rest(device):
    cam = device("lts-ipc").start("onvif")
    status, root = _soap(cam.ip, "GetDeviceInformation")
    assert status == 200 and root.find(f".//{TDS}Manufacturer").text == "LTS"
    status, root = _soap(cam.ip, "GetNetworkInterfaces")
    assert status == 400 and _subcode(root) == "ter:NotAuthorized"
