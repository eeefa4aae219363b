"""Brand and maker names written inside free text: "ZTE F6201B", "Hikvision company products".

Devices and the people who list them often put the maker's or brand's name into a model string,
an SNMP sysDescr, a page title or a greeting; rules that know a model *numbering* miss the name
when the number is new.  This module finds catalogue brand names (and their aliases) as whole
words in such text, so identify() can count them as the evidence they are: a name the device
reports about itself (banner weight, "likely" in its wording) or a name a person typed (a brand
only, like ``user.brand``).

Names that are ordinary words or acronyms with other meanings ("Platinum", "Storm", "LTS" as in
"Ubuntu 22.04 LTS", "Samsung" on a phone) are never looked for in free text; they still count
where a field holds nothing but a brand name (``user.brand``, ``onvif.manufacturer``).
Short all-capital names (ZTE, HYT, TVT) match only as written, in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Free-text fields and the weight class a name found there gets (vendors/fingerprints.WEIGHTS):
# "banner" where the device itself reports the text, "user" where a person typed or chose it
# (an inventory's model column, a hostname).
DEVICE_TEXT_FIELDS = frozenset(
    {
        "onvif.model", "onvif.hardware", "onvif.name",
        "ssdp.model", "ssdp.model_name", "ssdp.model_description", "ssdp.friendly_name",
        "ssdp.server",
        "http.title", "http.server", "http.realm", "rtsp.server", "rtsp.realm",
        "snmp.sysdescr",
        "banner.ssh", "banner.ftp", "banner.telnet", "telnet.banner", "ftp.banner",
        "sip.user_agent", "sip.server",
        "tls.subject", "tls.issuer", "tls.subject_o", "tls.subject_ou", "tls.subject_cn",
        "tls.issuer_o", "tls.issuer_ou", "tls.issuer_cn",
        "dhcp.vendor_class",
        "wsd.FriendlyName", "wsd.ModelName", "wsd.Manufacturer",
        "mdns.txt.ty", "mdns.txt.usb_MFG", "mdns.txt.model", "mdns.txt.product",
        "isapi.model", "isapi.deviceName", "sadp.DeviceDescription", "dhip.DeviceType",
        "dahua.deviceType",
    }
)  # fmt: skip
USER_TEXT_FIELDS = frozenset(
    {
        "user.model", "user.hardware", "user.name", "user.description", "user.device",
        "hostname", "dhcp.hostname", "snmp.sysname", "mdns.hostname",
    }
)  # fmt: skip

# Catalogue names (compared case-folded) never looked for inside free text: ordinary English
# words, initials that stand for many things, and brands whose name is mostly seen on other
# goods (a "Samsung" phone is not a Samsung Techwin camera; "Honor" is also a word).
NOT_IN_TEXT = frozenset(
    {
        "ac", "adi", "adt", "agm", "alibi", "bcs", "das", "dh", "ens", "expose", "gss", "hills",
        "lsc", "lts", "luma", "oco", "platinum", "qube", "raster", "rhino", "riva", "rvi",
        "storm", "ura", "xm", "yi", "zeus", "norden", "notis", "konig", "irbis", "impath",
        "kenik", "gess", "winic", "zuum", "honor", "samsung", "eye plus", "eyeplus", "prama",
        "space technology", "easycam", "eline", "red magic", "ring (amazon)", "techpro",
        "ascendent", "poly", "ruckus", "check point", "brother", "nest", "amazon", "google",
        "buffalo", "sharp", "oracle", "shelly", "digi", "signify",
    }
)  # fmt: skip
# Short capitalised names that are distinctive in any case ("zte-router" names ZTE).
CASELESS_SHORT = frozenset({"zte", "h3c", "dji"})
SHORT = 4  # names this long or shorter, written in capitals, match only in capitals
MIN_NAME = 3
MAX_NAMES = 3  # names kept from one value: more is a list of makers, not a device's maker
_EDGE_BEFORE = r"(?<![A-Za-z0-9])"
_EDGE_AFTER = r"(?![A-Za-z0-9])"


_JOIN = re.compile(r"[\s_-]+")


def _key(name: str) -> str:
    """A name as compared: case-folded, spaces, underscores and hyphens alike."""
    return " ".join(w for w in _JOIN.split(name) if w).casefold()


def _pattern(name: str) -> str:
    return r"[\s_-]+".join(re.escape(w) for w in _JOIN.split(name) if w)


class NameFinder:
    """Finds catalogue brand names in text; built once from (name, brand id) pairs."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        self._ids: dict[str, str] = {}
        exact: list[str] = []
        caseless: list[str] = []
        for name, brand_id in names:
            key = _key(name)
            if len(key) < MIN_NAME or key in NOT_IN_TEXT or key in self._ids:
                continue
            self._ids[key] = brand_id
            short_caps = len(key) <= SHORT and name.isupper() and key not in CASELESS_SHORT
            (exact if short_caps else caseless).append(name)
        self._exact = self._compile(exact, 0)
        self._caseless = self._compile(caseless, re.IGNORECASE)

    @staticmethod
    def _compile(names: list[str], flags: int) -> re.Pattern[str] | None:
        if not names:
            return None
        body = "|".join(_pattern(n) for n in sorted(set(names), key=len, reverse=True))
        return re.compile(f"{_EDGE_BEFORE}(?:{body}){_EDGE_AFTER}", flags)

    def find(self, text: str) -> tuple[str, ...]:
        """Brand ids named in ``text``, in order of appearance, at most MAX_NAMES, no repeats.
        Not memoised here: identify() memoises what each (field, value) says as a whole."""
        hits: list[tuple[int, str]] = []
        for pattern in (self._exact, self._caseless):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                brand_id = self._ids.get(_key(match.group(0)))
                if brand_id is not None:
                    hits.append((match.start(), brand_id))
        hits.sort()
        return tuple(dict.fromkeys(b for _, b in hits))[:MAX_NAMES]


# Other fields a device (or a vendor tool reading it) fills with its own identity: any field
# whose last part names a model, maker, type or product ("reolink.type", "ipctool.board.vendor",
# "vivotek.system_info_modelname"), outside the namespaces people type into.
_IDENTITY_TAIL = re.compile(
    r"(?:model|modelname|vendor|manufacturer|make|brand|type|devicetype|product|description)$",
    re.IGNORECASE,
)
_TYPED_NAMESPACES = ("user.", "hostname", "dhcp.hostname", "snmp.sys")


def weight_class(field: str) -> str | None:
    """How a name found in ``field`` counts ("banner" / "user"), or None: not a text field."""
    if field in DEVICE_TEXT_FIELDS:
        return "banner"
    if field in USER_TEXT_FIELDS:
        return "user"
    tail = field.rsplit(".", 1)[-1].replace("_", "")
    if "." in field and not field.startswith(_TYPED_NAMESPACES) and _IDENTITY_TAIL.search(tail):
        return "banner"
    return None
