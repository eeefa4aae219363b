"""The evidence probes of issue 12 against the lab (inside the scanner namespace): TLS
certificates, service greetings, SIP OPTIONS, favicons and DHCP requests heard.

Each probe collects its field from the lab devices whose profile speaks the protocol and
from no other; the request log shows nothing that is a write (no bytes after a greeting or
a handshake, only OPTIONS, only GETs); the hostile device (lab/profiles/hostile-greetings)
costs recorded Problems, each probe ending within its own deadline.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from core.model import Observation, Problem
from discovery import banner, dhcp, favicon, ports, sip, tls
from discovery.base import ProbeContext, ScanHints
from discovery.targets import parse_targets
from lab.requestlog import read_log
from lab.services.http import favicon as lab_favicon
from lab.state import LabState
from vendors.identify import identify

pytestmark = pytest.mark.lab

HANG_GUARD_S = 90.0  # a probe that hangs fails the test instead of hanging the suite
Probe = Callable[[ProbeContext], AsyncIterator[Observation | Problem]]


def profiles(lab: LabState) -> dict[str, Mapping[str, Any]]:
    rendered = json.loads((Path(lab.request_log).parent / "devices.json").read_text())
    return {d.ip: rendered[d.name]["profile"] for d in lab.devices}


def _run(probe: Probe, ctx: ProbeContext) -> list[Observation | Problem]:
    async def go() -> list[Observation | Problem]:
        async with asyncio.timeout(HANG_GUARD_S):
            return [item async for item in probe(ctx)]

    return asyncio.run(go())


def _ctx(lab: LabState, hints: ScanHints | None = None, timeout: float = 1.5) -> ProbeContext:
    return ProbeContext(
        interface="eth0",
        networks=parse_targets([lab.subnet]),
        hosts=tuple(d.ip for d in lab.devices),
        timeout=timeout,
        hints=hints or ScanHints(),
    )


@pytest.fixture(scope="module")
def open_ports(lab: LabState) -> dict[str, tuple[int, ...]]:
    """What the port probe finds (the TLS and favicon probes run on its hints, as in a scan)."""
    from tests.lab.helpers import in_scanner

    with in_scanner(lab):
        items = _run(ports.probe, _ctx(lab, timeout=1.0))
    found: dict[str, tuple[int, ...]] = {}
    for item in items:
        if isinstance(item, Observation) and item.ip and isinstance(item.fields["ports"], tuple):
            found[item.ip] = tuple(p for p in item.fields["ports"] if isinstance(p, int))
    return found


def _by_ip(items: list[Observation | Problem], field: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in items:
        if isinstance(item, Observation) and field in item.fields and item.ip:
            value = item.fields[field]
            values = value if isinstance(value, tuple) else (value,)
            out.setdefault(item.ip, set()).update(str(v) for v in values)
    return out


def _problems(items: list[Observation | Problem], ip: str) -> list[str]:
    return sorted(p.kind for p in items if isinstance(p, Problem) and p.ip == ip)


def _ip_of(lab: LabState, profile_id: str) -> list[str]:
    return [d.ip for d in lab.devices if d.profile_id == profile_id]


# ---------------------------------------------------------------- greetings


def test_greetings_are_read_and_nothing_is_sent(lab: LabState) -> None:
    since = time.time()
    items = _run(banner.probe, _ctx(lab))
    served = profiles(lab)
    for service in banner.SERVICES:
        got = _by_ip(items, f"banner.{service}")
        want = {
            ip
            for ip, p in served.items()
            if isinstance(p["services"].get("banner", {}).get(service), str)
            and p["category"] == "realistic"
        }
        assert want and set(got) - set(_ip_of(lab, "hostile-greetings")) == want, service
    [axis] = _ip_of(lab, "axis-216fd")[:1]
    ftp = _by_ip(items, "banner.ftp")[axis]
    assert ftp == {"220 AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready."}
    telnet = next(iter(_by_ip(items, "banner.telnet")[axis]))
    assert (
        telnet.startswith("AXIS 216FD TELNET Network Fixed Dome Camera 4.47")
        and "\xff" not in telnet
    )
    closed = [
        r for r in read_log(lab, since=since, protocol="banner") if r.kind.startswith("closed")
    ]
    assert closed and all(r.detail["received"] == 0 for r in closed), closed[:3]


def test_greetings_name_the_maker(lab: LabState) -> None:
    items = _run(banner.probe, _ctx(lab))
    for ip in _ip_of(lab, "axis-216fd"):
        fields = {
            k: v
            for o in items
            if isinstance(o, Observation) and o.ip == ip
            for k, v in o.fields.items()
        }
        ident = identify(fields)
        assert ident.maker == "axis" and ident.model == "216FD", ident


def test_hostile_greetings_cost_recorded_problems(lab: LabState) -> None:
    items = _run(banner.probe, _ctx(lab))
    for ip in _ip_of(lab, "hostile-greetings"):
        # endless telnet, dribbling FTP, garbage instead of an SSH line
        assert _problems(items, ip) == ["oversize", "parse", "timeout"]
        assert "banner.ssh" not in {
            k for o in items if isinstance(o, Observation) and o.ip == ip for k in o.fields
        }


# ---------------------------------------------------------------- TLS


def test_certificates_name_the_maker_and_nothing_follows_the_handshake(
    lab: LabState, open_ports: dict[str, tuple[int, ...]]
) -> None:
    since = time.time()
    items = _run(tls.probe, _ctx(lab, ScanHints(open_ports=open_ports)))
    subjects = _by_ip(items, "tls.subject")
    served = profiles(lab)
    https = {ip for ip, p in served.items() if "https_port" in p["services"].get("http", {})}
    assert https and https <= set(subjects)
    for ip in _ip_of(lab, "hikvision-nvr"):
        assert subjects[ip] == {
            "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"
        }
    for ip in _ip_of(lab, "dahua-nvr"):
        assert _by_ip(items, "tls.issuer_cn")[ip] == {"Dahua Device NVR CA"}
        assert _by_ip(items, "tls.san")[ip] == {ip}
    for profile_id, maker in (("hikvision-nvr", "hikvision"), ("dahua-nvr", "dahua")):
        for ip in _ip_of(lab, profile_id):
            fields = {
                k: v
                for o in items
                if isinstance(o, Observation) and o.ip == ip
                for k, v in o.fields.items()
            }
            assert identify(fields).maker == maker, (profile_id, fields)
    # a certificate probe sends no HTTP request and no application byte
    https_records = [r for r in read_log(lab, since=since, protocol="http") if r.ip in https]
    assert https_records == []
    closed = [r for r in read_log(lab, since=since, protocol="tls") if r.kind == "closed"]
    assert all(r.detail["bytes"] == 0 for r in closed), closed[:3]


def test_huge_and_silent_tls_ports_fail_cleanly(
    lab: LabState, open_ports: dict[str, tuple[int, ...]]
) -> None:
    items = _run(tls.probe, _ctx(lab, ScanHints(open_ports=open_ports)))
    for ip in _ip_of(lab, "hostile-greetings"):
        assert {443, 8443} <= set(open_ports[ip])
        # 443: a 200 KB certificate (OpenSSL refuses it); 8443: accepts, never answers
        assert _problems(items, ip) == ["protocol", "timeout"]
        assert ip not in _by_ip(items, "tls.subject")


# ---------------------------------------------------------------- SIP


def test_sip_options_finds_the_door_station_and_sends_only_options(lab: LabState) -> None:
    since = time.time()
    items = _run(sip.probe, _ctx(lab))
    agents = _by_ip(items, "sip.user_agent")
    served = profiles(lab)
    speaking = {ip for ip, p in served.items() if "sip" in p["services"]}
    assert set(agents) == {ip for ip in speaking if served[ip]["category"] == "realistic"}
    for ip in _ip_of(lab, "axis-door-station"):
        assert agents[ip] == {"AXIS A8105-E Network Video Door Station"}
        methods = {o.method for o in items if isinstance(o, Observation) and o.ip == ip}
        assert methods == {"udp/5060", "tcp/5060"}
        fields = {
            k: v
            for o in items
            if isinstance(o, Observation) and o.ip == ip
            for k, v in o.fields.items()
        }
        ident = identify(fields)
        assert (ident.maker, ident.model) == ("axis", "A8105-E")
    for ip in _ip_of(lab, "hostile-greetings"):
        assert set(_problems(items, ip)) == {"parse"}
    records = read_log(lab, since=since, protocol="sip")
    assert records and {r.kind for r in records} == {"OPTIONS"}
    assert not any(r.detail.get("write") for r in records)


# ---------------------------------------------------------------- favicon


def test_favicons_are_hashed_from_the_bytes_served_with_gets_only(
    lab: LabState, open_ports: dict[str, tuple[int, ...]]
) -> None:
    since = time.time()
    items = _run(favicon.probe, _ctx(lab, ScanHints(open_ports=open_ports)))
    md5s, mmh3s = _by_ip(items, "http.favicon_md5"), _by_ip(items, "http.favicon_mmh3")
    for ip, prof in profiles(lab).items():
        seed = prof["services"].get("http", {}).get("favicon")
        if not isinstance(seed, str) or prof["category"] != "realistic":
            continue
        icon = lab_favicon(seed)
        assert md5s.get(ip) == {hashlib.md5(icon).hexdigest()}, prof["id"]
        assert mmh3s.get(ip) == {str(favicon.shodan_mmh3(icon))}, prof["id"]
    records = read_log(lab, since=since, protocol="http")
    assert records and all(r.kind.startswith("GET ") for r in records), {r.kind for r in records}


# ---------------------------------------------------------------- DHCP


def test_dhcp_requests_are_heard_without_answering(lab: LabState) -> None:
    ctx = _ctx(lab, timeout=5.0)  # the lab's clients ask every 2 s
    items = _run(dhcp.probe, ctx)
    heard = {o.mac: o.fields for o in items if isinstance(o, Observation)}
    served = profiles(lab)
    asking = {d.mac for d in lab.devices if "dhcp" in served[d.ip]["services"]}
    assert asking and set(heard) == asking
    for mac in asking:
        fields = heard[mac]
        assert fields["dhcp.vendor_class"] == "AXIS,Network Camera,M3045-V,10.12.91"
        assert fields["dhcp.hostname"] == "axis-" + mac.replace(":", "")
        assert fields["dhcp.params"] == "1,3,6,12,15,28,42"
        ident = identify(fields)
        assert (ident.maker, ident.model, ident.firmware) == ("axis", "M3045-V", "10.12.91")
    assert not [i for i in items if isinstance(i, Problem)]
