"""SOAP replies our fake ONVIF device gives (written here from the ONVIF device service schema,
http://www.onvif.org/ver10/device/wsdl; not copied from any device or project)."""

from __future__ import annotations

_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    ' xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>\n'
)

DEVICE_INFORMATION = _ENVELOPE.format(
    body="<tds:GetDeviceInformationResponse>"
    "<tds:Manufacturer>Example Cameras</tds:Manufacturer>"
    "<tds:Model>EC-2042-IR</tds:Model>"
    "<tds:FirmwareVersion>V4.1.7 build 230517</tds:FirmwareVersion>"
    "<tds:SerialNumber>EC20420000000123</tds:SerialNumber>"
    "<tds:HardwareId>88</tds:HardwareId>"
    "</tds:GetDeviceInformationResponse>"
).encode()

NETWORK_INTERFACES = _ENVELOPE.format(
    body="<tds:GetNetworkInterfacesResponse>"
    '<tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
    "<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>02:00:5e:10:20:30</tt:HwAddress>"
    "<tt:MTU>1500</tt:MTU></tt:Info></tds:NetworkInterfaces>"
    "</tds:GetNetworkInterfacesResponse>"
).encode()

SCOPES = _ENVELOPE.format(
    body="<tds:GetScopesResponse>"
    "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef>"
    "<tt:ScopeItem>onvif://www.onvif.org/type/video_encoder</tt:ScopeItem></tds:Scopes>"
    "<tds:Scopes><tt:ScopeDef>Configurable</tt:ScopeDef>"
    "<tt:ScopeItem>onvif://www.onvif.org/name/Example%20EC-2042</tt:ScopeItem></tds:Scopes>"
    "</tds:GetScopesResponse>"
).encode()
