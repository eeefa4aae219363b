"""The evidence fields of the TLS, greeting, SIP, favicon and DHCP probes name makers through
their rule files (values from the sources the rules cite), and the greeting fields' old names
(``ftp.banner``, ``telnet.banner``, as stored scans hold them) still match."""

from __future__ import annotations

import pytest

from vendors.identify import identify

CASES = [
    (
        {"tls.subject": "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"},
        "hikvision",
        None,
    ),
    ({"tls.issuer_cn": "Dahua Device XVR CA"}, "dahua", None),
    ({"tls.issuer_o": "Zhejiang Dahua Technology Co.,Ltd."}, "dahua", None),
    (
        {"banner.ftp": "220 AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready."},
        "axis",
        "216FD",
    ),
    ({"banner.telnet": "192.0.0.64 login:"}, "hikvision", None),
    ({"sip.user_agent": "AXIS A8105-E Network Video Door Station"}, "axis", "A8105-E"),
    ({"http.favicon_md5": "89b932fcc47cf4ca3faadb0cfdef89cf"}, "hikvision", None),
    ({"dhcp.vendor_class": "AXIS,Network Camera,P3343,5.20.3"}, "axis", "P3343"),
]


@pytest.mark.parametrize(("evidence", "maker", "model"), CASES, ids=lambda c: str(c)[:40])
def test_new_fields_name_the_maker(evidence: dict[str, str], maker: str, model: str | None) -> None:
    ident = identify(evidence)
    assert ident.maker == maker
    if model:
        assert ident.model == model


def test_the_weak_favicon_hash_alone_only_says_likely() -> None:
    ident = identify({"http.favicon_mmh3": "999357577"})
    assert ident.maker is None  # too weak to name a maker on its own
    [reason] = ident.reasons
    assert reason.indicates == "hikvision" and "likely" in reason.detail


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("ftp.banner", "banner.ftp", "220 AXIS 211 Network Camera 4.40 (Oct 18 2006) ready."),
        ("telnet.banner", "banner.telnet", "Welcome to AutoDome 800 HD 10.0.0.2 from 10.0.0.3"),
    ],
)
def test_old_greeting_field_names_still_match(old: str, new: str, value: str) -> None:
    before, after = identify({old: value}), identify({new: value})
    assert before.maker == after.maker is not None
    assert before.model == after.model
