"""ONVIF device service (SOAP 1.2 over HTTP at ``/onvif/device_service``).

GetSystemDateAndTime answers without credentials, as the ONVIF core spec requires; the other
supported reads (GetDeviceInformation, GetNetworkInterfaces, GetScopes, GetServices,
GetCapabilities, GetHostname) need a WS-Security UsernameToken matching the profile's
credentials: PasswordDigest = Base64(SHA1(nonce + created + password)) or PasswordText.
Wrong or missing credentials get the spec's fault (env:Sender / ter:NotAuthorized, "Sender
not Authorized"); unknown operations get env:Receiver / ter:ActionNotSupported; writes
(Set*, Create*, Delete*, Add*, Remove*, SystemReboot, Upgrade*, ...) are recorded with
``write: true`` and refused (ter:OperationProhibited), never acted on.

The service shares the device's HTTP port with the http service.  ``[services.onvif]``
keys: ``port`` (when there is no http service), ``server``, ``anonymous`` (operations a
firmware answers without credentials, e.g. some OEMs' GetDeviceInformation),
``raw_device_information`` (hostile: the whole GetDeviceInformation reply as given).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from lab.services import _httpd
from lab.services._httpd import Credentials, Request, Response
from lab.services._util import ident, local_name, runtime, x
from lab.services.base import DeviceContext

PATH_PREFIX = "/onvif/"
DEVICE_PATH = "/onvif/device_service"
MEDIA_PATH = "/onvif/Media"
SOAP_TYPE = "application/soap+xml; charset=utf-8"
NAMESPACES = (
    'xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:ter="http://www.onvif.org/ver10/error"'
)
DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"
WRITE_PREFIXES = ("Set", "Create", "Delete", "Add", "Remove", "Upgrade", "Start", "Restore")
WRITE_OPERATIONS = frozenset({"SystemReboot", "SendAuxiliaryCommand", "UpgradeSystemFirmware"})
PUBLIC_OPERATIONS = frozenset({"GetSystemDateAndTime"})


@dataclass(frozen=True)
class SoapRequest:
    operation: str
    username: str | None
    password: str | None
    password_type: str | None  # "digest" | "text"
    nonce: str
    created: str


def parse_soap(body: bytes) -> SoapRequest | None:
    """The operation and UsernameToken of a SOAP request, or None if it is not SOAP."""
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    operation = _body_operation(root)
    if operation is None:
        return None
    token = {local_name(el.tag): el for el in root.iter() if local_name(el.tag) in _TOKEN_FIELDS}
    password = token.get("Password")
    kind = None
    if password is not None:
        kind = "digest" if (password.get("Type") or "").endswith("#PasswordDigest") else "text"
    return SoapRequest(
        operation,
        _text(token.get("Username")),
        _text(password),
        kind,
        _text(token.get("Nonce")) or "",
        _text(token.get("Created")) or "",
    )


_TOKEN_FIELDS = frozenset({"Username", "Password", "Nonce", "Created"})


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "").strip()


def _body_operation(root: Element) -> str | None:
    for child in root:
        if local_name(child.tag) == "Body":
            return next((local_name(op.tag) for op in child), None)
    return None


def password_digest(nonce_b64: str, created: str, password: str) -> str:
    nonce = base64.b64decode(nonce_b64, validate=False)
    digest = hashlib.sha1(
        nonce + created.encode() + password.encode(), usedforsecurity=False
    ).digest()
    return base64.b64encode(digest).decode()


def check_token(ctx: DeviceContext, soap: SoapRequest) -> Credentials:
    if soap.password_type is None:
        return _httpd.NO_CREDENTIALS
    expected = _httpd.expected_password(ctx, soap.username)
    if expected is None or soap.password is None:
        return Credentials("wsse", soap.username, valid=False)
    try:
        wanted = (
            expected
            if soap.password_type == "text"  # noqa: S105 - a token type, not a password
            else password_digest(soap.nonce, soap.created, expected)
        )
    except ValueError:
        return Credentials("wsse", soap.username, valid=False)
    return Credentials("wsse", soap.username, valid=secrets.compare_digest(wanted, soap.password))


def is_write(operation: str) -> bool:
    return operation in WRITE_OPERATIONS or operation.startswith(WRITE_PREFIXES)


# --- replies -------------------------------------------------------------------------------


def envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope {NAMESPACES}>'
        f"<env:Header/><env:Body>{body}</env:Body></env:Envelope>\n"
    ).encode()


def fault(code: str, subcode: str, reason: str) -> bytes:
    return envelope(
        f"<env:Fault><env:Code><env:Value>env:{code}</env:Value>"
        f"<env:Subcode><env:Value>ter:{subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{x(reason)}</env:Text></env:Reason></env:Fault>'
    )


NOT_AUTHORIZED = fault("Sender", "NotAuthorized", "Sender not Authorized")
NOT_SUPPORTED = fault("Receiver", "ActionNotSupported", "Optional Action Not Implemented")
PROHIBITED = fault("Sender", "OperationProhibited", "The requested operation is not permitted")


class DeviceService:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.conf = ctx.service("onvif")
        self.base = _httpd.base_url(ctx)

    async def handle(self, request: Request) -> Response:
        soap = parse_soap(request.body) if request.method == "POST" else None
        operation = soap.operation if soap else f"{request.method} (not SOAP)"
        creds = check_token(self.ctx, soap) if soap else _httpd.NO_CREDENTIALS
        detail = {
            "peer": request.peer,
            "path": request.path,
            **creds.detail(),
            "write": is_write(operation),
        }
        if soap and soap.password_type:
            detail["password_type"] = soap.password_type
        self.ctx.record("onvif", operation, detail)
        if soap is None:
            return _soap(400, fault("Sender", "WellFormed", "Not a SOAP request"))
        if is_write(operation):
            return _soap(400, PROHIBITED if creds.valid else NOT_AUTHORIZED)
        answer = getattr(self, f"op_{operation}", None)
        if answer is None:
            return _soap(500, NOT_SUPPORTED)
        if not (
            creds.valid
            or operation in PUBLIC_OPERATIONS
            or operation in self.conf.get("anonymous", [])
        ):
            return _soap(400, NOT_AUTHORIZED)
        return _soap(200, answer())

    # -- operations (names follow the ONVIF WSDL) -------------------------------------------

    def op_GetSystemDateAndTime(self) -> bytes:
        now = dt.datetime.now(dt.UTC)
        return envelope(
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
            "<tt:TimeZone><tt:TZ>CST-8:00:00</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{_date_time(now)}</tt:UTCDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def op_GetDeviceInformation(self) -> bytes:
        raw = self.conf.get("raw_device_information")
        if isinstance(raw, str):
            return str(runtime(self.ctx, raw)).encode()
        fields = {
            "Manufacturer": ident(self.ctx, "manufacturer"),
            "Model": ident(self.ctx, "model"),
            "FirmwareVersion": ident(self.ctx, "firmware"),
            "SerialNumber": ident(self.ctx, "serial"),
            "HardwareId": ident(self.ctx, "hardware_id"),
        }
        inner = "".join(f"<tds:{k}>{x(v)}</tds:{k}>" for k, v in fields.items())
        return envelope(
            f"<tds:GetDeviceInformationResponse>{inner}</tds:GetDeviceInformationResponse>"
        )

    def op_GetNetworkInterfaces(self) -> bytes:
        return envelope(
            '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">'
            "<tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name>"
            f"<tt:HwAddress>{self.ctx.mac}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>"
            "<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual>"
            f"<tt:Address>{self.ctx.ip}</tt:Address><tt:PrefixLength>{self.ctx.netmask}</tt:PrefixLength>"
            "</tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
            "</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
        )

    def op_GetScopes(self) -> bytes:
        scopes = runtime(self.ctx, self.ctx.service("wsd").get("scopes", []))
        items = "".join(
            f"<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>{x(s)}</tt:ScopeItem></tds:Scopes>"
            for s in scopes
        )
        return envelope(f"<tds:GetScopesResponse>{items}</tds:GetScopesResponse>")

    def op_GetHostname(self) -> bytes:
        name = x(ident(self.ctx, "hostname", ident(self.ctx, "model")))
        return envelope(
            "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
            f"<tt:Name>{name}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
        )

    def op_GetServices(self) -> bytes:
        services = "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{self.base}{path}</tds:XAddr>"
            "<tds:Version><tt:Major>2</tt:Major><tt:Minor>5</tt:Minor></tds:Version></tds:Service>"
            for ns, path in ((DEVICE_NS, DEVICE_PATH), (MEDIA_NS, MEDIA_PATH))
        )
        return envelope(f"<tds:GetServicesResponse>{services}</tds:GetServicesResponse>")

    def op_GetCapabilities(self) -> bytes:
        return envelope(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{self.base}{DEVICE_PATH}</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>{self.base}{MEDIA_PATH}</tt:XAddr>"
            "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )


def _date_time(now: dt.datetime) -> str:
    return (
        f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
        f"<tt:Second>{now.second}</tt:Second></tt:Time>"
        f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
        f"<tt:Day>{now.day}</tt:Day></tt:Date>"
    )


def _soap(status: int, body: bytes) -> Response:
    return Response(status, body, content_type=SOAP_TYPE)


async def start(ctx: DeviceContext) -> None:
    site = await _httpd.site_for(ctx, _httpd.http_port(ctx))
    site.route(PATH_PREFIX, DeviceService(ctx).handle, prefix=True)
