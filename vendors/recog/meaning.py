"""What a recog match means in camaudit's terms: which evidence fields a recog file reads, which
catalogue maker a recog vendor name is, and which device type a recog device name is.

- Fields: recog names the kind of value a file matches (``matches="http_header.server"``); the
  table :data:`FIELD_USES` says which of our evidence fields carry that kind of value and how a
  value of ours is put into the form recog's examples have (a bare realm becomes
  ``Basic realm="..."``, an SSH version line loses its ``SSH-2.0-``, an FTP reply its code,
  a telnet greeting is also tried with CRLF line ends).
- Vendors: ``hw.vendor`` / ``os.vendor`` / ``service.vendor`` are matched exactly against the
  catalogue's brand names and aliases (corporate suffixes such as "Inc." dropped), never by
  substring: "Huawei-3com" is not Huawei.  A brand owner's name gives the brand, a component
  maker's (HiSilicon) a component flag, a manufacturer's the maker.
- Device types: ``hw.device`` / ``os.device`` / ``service.device`` values (recog's
  identifiers/device.txt) map onto :class:`core.model.DeviceType`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from core.model import DeviceType
from vendors.catalogue import Catalogue


@dataclass(frozen=True, slots=True)
class FieldUse:
    """Our evidence ``field`` carries values of recog's ``matches`` kind, in ``form``."""

    matches: str
    field: str  # a trailing "." names a family (mdns.txt.<key>)
    form: str = "raw"  # raw | realm | ssh | ftp | lines | txt


FIELD_USES: tuple[FieldUse, ...] = (
    FieldUse("http_header.server", "http.server"),
    FieldUse("http_header.server", "ssdp.server"),  # UPnP SERVER headers read like HTTP ones
    FieldUse("http_header.wwwauth", "http.wwwauth"),
    FieldUse("http_header.wwwauth", "http.realm", "realm"),
    FieldUse("http_header.wwwauth", "rtsp.realm", "realm"),
    FieldUse("html_title", "http.title"),
    FieldUse("rtsp_header.server", "rtsp.server"),
    FieldUse("ssh.banner", "banner.ssh", "ssh"),
    FieldUse("ftp.banner", "banner.ftp", "ftp"),
    FieldUse("ftp.banner", "ftp.banner", "ftp"),
    FieldUse("telnet.banner", "banner.telnet", "lines"),
    FieldUse("telnet.banner", "telnet.banner", "lines"),
    FieldUse("telnet_banners", "banner.telnet", "lines"),  # recog's file names no `matches`
    FieldUse("telnet_banners", "telnet.banner", "lines"),
    FieldUse("snmp.sys_description", "snmp.sysdescr"),
    FieldUse("snmp.sys_object_id", "snmp.sysobjectid"),
    FieldUse("sip_header.server", "sip.server"),
    FieldUse("sip_header.user_agent", "sip.user_agent"),
    FieldUse("x509.subject", "tls.subject"),
    FieldUse("x509.subject", "http.tls_subject"),
    FieldUse("x509.issuer", "tls.issuer"),
    FieldUse("x509.issuer", "http.tls_issuer"),
    FieldUse("favicon.md5", "http.favicon_md5"),
    FieldUse("dhcp_vendor_class", "dhcp.vendor_class"),
    FieldUse("mdns.device-info.txt", "mdns.txt.", "txt"),
    FieldUse("upnp.banner", "ssdp.server"),
    FieldUse("tls.jarm", "tls.jarm"),
    FieldUse("http_header.cookie", "http.cookie"),
    FieldUse("http_header.x-powered-by", "http.x_powered_by"),
)

_SSH_PREFIX = re.compile(r"^SSH-\d+\.\d+-")
_FTP_CODE = re.compile(r"^\d{3}[ -]?")


def uses_for(name: str, uses: tuple[FieldUse, ...] = FIELD_USES) -> list[FieldUse]:
    """The uses whose field is ``name`` (or whose family ``name`` belongs to)."""
    return [
        u for u in uses if u.field == name or (u.field.endswith(".") and name.startswith(u.field))
    ]


def recog_forms(use: FieldUse, name: str, value: str) -> Iterator[str]:
    """``value`` of field ``name`` in the form(s) recog's examples of ``use.matches`` have."""
    if use.form == "realm":
        yield f'Basic realm="{value}"'
        yield f'Digest realm="{value}"'
    elif use.form == "ssh":
        yield _SSH_PREFIX.sub("", value.strip(), count=1)
    elif use.form == "ftp":
        lines = [_FTP_CODE.sub("", line, count=1).strip() for line in value.splitlines()]
        lines = [line for line in lines if line]
        yield from dict.fromkeys(lines[:1] + lines[-1:])
    elif use.form == "lines":
        # our telnet probe keeps lines joined by "\n"; recog's patterns often expect "\r\n"
        yield value
        if "\n" in value:
            yield value.replace("\n", "\r\n")
    elif use.form == "txt":
        yield f"{name.removeprefix(use.field)}={value}"
    else:
        yield value


# ---------------------------------------------------------------------------- vendors


@dataclass(frozen=True, slots=True)
class Vendor:
    """A recog vendor name read against the catalogue."""

    name: str
    maker: str | None = None  # catalogue maker id (its group)
    brand: str | None = None  # catalogue brand id
    component: str | None = None  # component flag (hisilicon_soc)

    @property
    def known(self) -> bool:
        return bool(self.maker or self.brand or self.component)


_CORPORATE = re.compile(
    r"[\s,]+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|ag|sa|s\.a|"
    r"plc|ab|oy|bv|b\.v|co\.?,?\s*ltd)\.?$",
    re.IGNORECASE,
)


def _names(name: str) -> Iterator[str]:
    yield name
    stripped = name
    for _ in range(3):  # "Foo Co., Ltd." -> "Foo Co.," -> "Foo"
        shorter = _CORPORATE.sub("", stripped).strip(" ,")
        if shorter == stripped or not shorter:
            break
        stripped = shorter
        yield stripped


def component_flag(maker_id: str) -> str:
    """The flag a component maker's part sets (as identify() names OUI component makers)."""
    return "hisilicon_soc" if maker_id == "hisilicon" else f"{maker_id}_component"


def resolve_vendor(catalogue: Catalogue, name: str) -> Vendor:
    """The catalogue maker / brand / component a recog vendor name is (exact names only:
    a brand name or alias, a maker's name, or an IEEE registry spelling of it)."""
    for candidate in _names(name):
        brand = catalogue.brand_by_name(candidate)
        if brand is not None:
            return _from_brand(catalogue, name, brand.id)
        maker_id = catalogue.maker_for_org(candidate) or _maker_named(catalogue, candidate)
        if maker_id is not None:
            return _from_maker(catalogue, name, maker_id, None)
    return Vendor(name)


def _maker_named(catalogue: Catalogue, name: str) -> str | None:
    wanted = " ".join(name.split()).casefold()
    return next(
        (m.id for m in catalogue.makers.values() if " ".join(m.name.split()).casefold() == wanted),
        None,
    )


def _from_brand(catalogue: Catalogue, name: str, brand_id: str) -> Vendor:
    brand = catalogue.brands[brand_id]
    if brand_id in catalogue.makers:
        return _from_maker(catalogue, name, brand_id, brand_id)
    own = {lk.maker for lk in brand.links if lk.kind == "own_brand" and lk.in_force(None)}
    if len(own) != 1:
        return Vendor(name, brand=brand_id)  # a brand several makers (or only OEMs) stand behind
    return _from_maker(catalogue, name, own.pop(), brand_id)


def _from_maker(catalogue: Catalogue, name: str, maker_id: str, brand_id: str | None) -> Vendor:
    maker = catalogue.makers[maker_id]
    if maker.role == "component":
        return Vendor(name, component=component_flag(maker_id))
    brand = brand_id or maker.brand or (maker_id if maker_id in catalogue.brands else None)
    if maker.role == "brand_owner":
        return Vendor(name, brand=maker.brand or brand)  # it sells the brand; others make it
    return Vendor(name, maker=catalogue.group_of(maker_id), brand=brand)


# ------------------------------------------------------------------------ device types

# recog's identifiers/device.txt names, "; "-separated, per device type of ours.
_DEVICE_TYPES: dict[DeviceType, str] = {
    DeviceType.CAMERA: "IP Camera; Web Cam; Webcam; Camera; Network Camera",
    DeviceType.RECORDER: "DVR; NVR; Network Video Recorder; Cloud Network Video Recorder",
    DeviceType.ENCODER: "Video Encoder; Video Server",
    DeviceType.INTERCOM: "Intercom; Door Station; Video Intercom",
    DeviceType.ROUTER: "Router; Broadband Router; ADSL Router; ADSL Modem; DSL Modem; "
    "Cable Modem; DOCSIS Cable Modem; Firewall; VPN; SD-WAN Appliance; ONT",
    DeviceType.SWITCH: "Switch; Hub",
    DeviceType.ACCESS_POINT: "WAP; WLAN Repeater; Access Point; Wireless Access Point",
    DeviceType.PHONE: "VoIP; IP Phone; Phone; Mobile Phone; Mobile; SIP Device",
    DeviceType.RADIO: "Radio; Two-Way Radio",
    DeviceType.PRINTER: "Printer; Multifunction Device; Print Server; Copier",
    DeviceType.COMPUTER: "Desktop; Laptop; Tablet; Thin Client; Hypervisor; Mainframe; NAS; "
    "Storage; Workstation",
}
DEVICE_TYPE_OF: dict[str, DeviceType] = {
    name.strip().casefold(): kind
    for kind, names in _DEVICE_TYPES.items()
    for name in names.split(";")
}


def device_type(recog_device: str | None) -> DeviceType:
    """Our device type for a recog ``*.device`` value ("IP Camera" -> camera)."""
    if not recog_device:
        return DeviceType.UNKNOWN
    return DEVICE_TYPE_OF.get(recog_device.strip().casefold(), DeviceType.UNKNOWN)
