"""HTTP: banners, digest auth, ISAPI and magicBox identity, RPC2 challenge, writes refused."""

from __future__ import annotations

import hashlib
import http.client
import json

import defusedxml.ElementTree as ET
import pytest

from lab.services._httpd import parse_auth_params

ISAPI = "{http://www.hikvision.com/ver20/XMLSchema}"


def _get(ip, path, method="GET", headers=None, body=None):
    conn = http.client.HTTPConnection(ip, 80, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _digest(ip, path, user, password, method="GET"):
    status, headers, _ = _get(ip, path, method)
    assert status == 401
    scheme, _, params = headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Digest"
    fields = parse_auth_params(params)
    assert fields["qop"] == "auth"

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{user}:{fields['realm']}:{password}")
    ha2 = md5(f"{method}:{path}")
    cnonce, nc = "0a4f113b", "00000001"
    response = md5(f"{ha1}:{fields['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    auth = (
        f'Digest username="{user}", realm="{fields["realm"]}", nonce="{fields["nonce"]}", '
        f'uri="{path}", qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}"'
    )
    return fields["realm"], _get(ip, path, method, {"Authorization": auth})


def test_hikvision_banner_redirect_and_favicon(device):
    cam = device("hikvision-ipc").start("http")
    status, headers, body = _get(cam.ip, "/")
    assert status == 200 and headers["Server"] == "App-webs/"
    assert b'window.location.href = "/doc/page/login.asp"' in body
    status, headers, body = _get(cam.ip, "/favicon.ico")
    assert status == 200 and body[:4] == b"\x00\x00\x01\x00"
    dahua = device("dahua-ipc").start("http")
    assert _get(dahua.ip, "/favicon.ico")[2] != body  # families differ by favicon hash


def test_isapi_device_info_needs_digest_and_gives_real_elements(device):
    cam = device("hikvision-ipc").start("http")
    realm, (status, _, body) = _digest(cam.ip, "/ISAPI/System/deviceInfo", "admin", "Lab-Hik-2019")
    assert realm.startswith("IP Camera(")
    assert status == 200
    root = ET.fromstring(body)
    assert root.tag == f"{ISAPI}DeviceInfo"
    values = {child.tag.removeprefix(ISAPI): child.text for child in root}
    assert values["model"] == "DS-2CD2143G0-I"
    assert values["macAddress"] == cam.ctx.mac
    assert values["systemContact"] == "Hikvision.China"
    assert values["serialNumber"] == cam.ctx.profile["identity"]["serial"]
    kinds = [(k, d["credentials"], d["user"], d["auth_ok"]) for p, k, d in cam.records]
    assert kinds == [
        ("GET /ISAPI/System/deviceInfo", False, None, False),
        ("GET /ISAPI/System/deviceInfo", True, "admin", True),
    ]
    assert all("Lab-Hik-2019" not in repr(record) for record in cam.records)


def test_wrong_password_is_refused_and_recorded(device):
    cam = device("hikvision-ipc").start("http")
    _, (status, _, _) = _digest(cam.ip, "/ISAPI/System/deviceInfo", "admin", "guess")
    assert status == 401
    assert cam.records[-1][2]["user"] == "admin" and cam.records[-1][2]["auth_ok"] is False


def test_isapi_write_is_recorded_and_refused(device):
    cam = device("hikvision-ipc").start("http")
    _, (status, _, _) = _digest(
        cam.ip, "/ISAPI/System/deviceInfo", "admin", "Lab-Hik-2019", method="PUT"
    )
    assert status == 403
    assert cam.records[-1][1] == "PUT /ISAPI/System/deviceInfo" and cam.records[-1][2]["write"]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("getVendor", {"vendor": "Dahua"}),
        ("getDeviceType", {"type": "IPC-HDW5421S"}),
        ("getSoftwareVersion", {"version": "2.800.0000000.16.R,build:2020-07-31"}),
    ],
)
def test_magicbox_answers_key_value_lines_behind_auth(device, action, expected):
    cam = device("dahua-ipc").start("http")
    realm, (status, _, body) = _digest(
        cam.ip, f"/cgi-bin/magicBox.cgi?action={action}", "admin", "Lab-Dahua-16"
    )
    assert realm == f"Login to {cam.ctx.profile['identity']['serial']}"
    assert status == 200 and body.endswith(b"\r\n")
    pairs = dict(line.split("=", 1) for line in body.decode().split("\r\n") if line)
    assert pairs == expected


def test_magicbox_system_info_names_the_soc(device):
    cam = device("dahua-ipc").start("http")
    _, (_, _, body) = _digest(
        cam.ip, "/cgi-bin/magicBox.cgi?action=getSystemInfo", "admin", "Lab-Dahua-16"
    )
    pairs = dict(line.split("=", 1) for line in body.decode().split("\r\n") if line)
    assert pairs["processor"].startswith("Hi35")
    assert pairs["serialNumber"] == cam.ctx.profile["identity"]["serial"]


def test_rpc2_login_challenge_gives_mac_and_serial_without_credentials(device):
    cam = device("dahua-ipc").start("http")
    body = json.dumps(
        {"method": "global.login", "params": {"userName": "admin", "password": ""}, "id": 1}
    )
    status, _, reply = _get(
        cam.ip, "/RPC2_Login", "POST", {"Content-Type": "application/json"}, body
    )
    assert status == 200
    data = json.loads(reply)
    assert data["error"]["code"] == 268632079
    assert data["params"]["mac"] == cam.ctx.mac.replace(":", "").upper()
    assert data["params"]["realm"] == f"Login to {cam.ctx.profile['identity']['serial']}"
    assert cam.records[-1][1] == "POST /RPC2_Login" and cam.records[-1][2]["rpc2_user"] == "admin"


def test_basic_auth_checked(device):
    import base64

    cam = device("dahua-ipc")
    profile = dict(cam.ctx.profile)
    profile["services"] = {"http": {**cam.ctx.profile["services"]["http"], "auth": "basic"}}
    cam.ctx.profile = profile
    cam.start("http")
    status, headers, _ = _get(cam.ip, "/cgi-bin/magicBox.cgi?action=getVendor")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic realm=")
    good = base64.b64encode(b"admin:Lab-Dahua-16").decode()
    bad = base64.b64encode(b"admin:nope").decode()
    assert (
        _get(
            cam.ip,
            "/cgi-bin/magicBox.cgi?action=getVendor",
            headers={"Authorization": f"Basic {good}"},
        )[0]
        == 200
    )
    assert (
        _get(
            cam.ip,
            "/cgi-bin/magicBox.cgi?action=getVendor",
            headers={"Authorization": f"Basic {bad}"},
        )[0]
        == 401
    )


def test_garbage_requests_are_survived(device):
    import socket

    cam = device("dahua-ipc").start("http")
    for junk in (
        b"\x00\x01\x02garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"A" * 20000,
    ):
        with socket.create_connection((cam.ip, 80), timeout=5) as sock:
            sock.sendall(junk)
            sock.shutdown(socket.SHUT_WR)
            data = sock.recv(4096)
            assert data == b"" or data.startswith(b"HTTP/1.1 400")
    assert _get(cam.ip, "/")[0] == 200


def test_https_serves_the_same_pages_with_a_self_signed_certificate(device):
    import socket
    import ssl

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cam = device("hikvision-ipc").start("http")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # self-signed, as on the real camera
    with (
        socket.create_connection((cam.ip, 443), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := tls.recv(65536):
            reply += chunk
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    assert reply.startswith(b"HTTP/1.0 200 OK\r\n") and b"Server: App-webs/\r\n" in reply
    cert = x509.load_der_x509_certificate(der)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == cam.ip
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Hikvision"
    assert cert.issuer == cert.subject


def test_dahua_set_config_is_a_write_and_soap_to_a_camera_without_onvif_is_not(device):
    cam = device("dahua-ipc").start("http")
    _, (status, _, _) = _digest(
        cam.ip,
        "/cgi-bin/configManager.cgi?action=setConfig&NTP.Enable=true",
        "admin",
        "Lab-Dahua-16",
    )
    assert status == 403
    assert cam.records[-1][1] == "GET /cgi-bin/configManager.cgi" and cam.records[-1][2]["write"]
    hik = device("hikvision-ipc").start("http")  # ONVIF is off on this firmware
    status, _, _ = _get(hik.ip, "/onvif/device_service", "POST", body="<s:Envelope/>")
    assert status == 404
    assert hik.records[-1][1] == "POST /onvif/device_service" and not hik.records[-1][2]["write"]
