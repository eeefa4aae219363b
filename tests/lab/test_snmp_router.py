"""Issue 12: SNMP evidence and devices behind a router, against Debian's net-snmp snmpd.

A lab of its own (lab/profiles/routed_mix.toml, lab/router.py): a router namespace between the
LAN and a far subnet runs the real snmpd; behind it sit a camera whose SNMP agent is snmpd
too (sysDescr "Canon Network Camera VB-C60") and three emulator cameras that speak no SNMP;
hostile SNMP agents of ours sit on the LAN.  What camaudit reads is compared with what the lab
knows (the far devices' MACs) and with what net-snmp's own client tools read; the agents'
own counters and the emulator's request log show that nothing asked to write.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.model import Device, Observation, Problem
from discovery.base import ProbeContext, SnmpCredential
from discovery.credentials import CredentialStore, parse_credentials
from discovery.snmp import SnmpClient
from discovery.snmp import probe as snmp_probe
from discovery.snmp_walk import probe as routers_probe
from discovery.snmp_walk import read_router
from lab import netns, router
from lab.requestlog import read_log
from lab.state import DeviceEntry, LabState
from tests.lab.helpers import in_scanner, machine_namespace
from vendors.identify import identify

pytestmark = [pytest.mark.lab, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
COMMUNITY = "camlab-ro-2026"  # lab/profiles/routed.toml: the lab's read-only community
SET_REQUESTS = ".1.3.6.1.2.1.11.17.0"  # snmpInSetRequests (SNMPv2-MIB snmp group)
GET_REQUESTS = ".1.3.6.1.2.1.11.15.0"  # snmpInGetRequests
GET_NEXTS = ".1.3.6.1.2.1.11.16.0"  # snmpInGetNexts (GETBULK counts here too in net-snmp)


@pytest.fixture(scope="module")
def routed(lab: LabState) -> Iterator[LabState]:
    """The routed lab, built from the machine's namespace beside the session lab."""
    if shutil.which("snmpd") is None:
        pytest.skip("snmpd is not installed (scripts/bootstrap.sh installs it)")
    prefix = f"r{os.getpid() % 10**6}"
    with machine_namespace():
        state = netns.up(router.routed_mix(), prefix=prefix, bound_to=os.getpid())
    try:
        failures = state.extra.get("failures") or []
        assert not failures, f"routed lab devices failed to start: {failures}"
        with in_scanner(state):
            router.refresh_neighbours(state)  # the cameras have talked through their router
        yield state
    finally:
        with machine_namespace():
            netns.down(prefix)


def device(lab: LabState, profile_id: str) -> DeviceEntry:
    return next(d for d in lab.devices if d.profile_id == profile_id)


def far_devices(lab: LabState) -> list[DeviceEntry]:
    return [d for d in lab.devices if lab.behind_router(d)]


def credentials_toml(lab: LabState, community: str = COMMUNITY) -> str:
    """[[snmp]] for the router, the SNMP camera and the hostile agents: what a user gives."""
    agents = ["routed", "thirdparty-snmpd-canon"]
    agents += [d.profile_id for d in lab.devices if d.profile_id.startswith("hostile-snmp")]
    return "".join(
        f'[[snmp]]\ntarget = "{device(lab, pid).ip}"\nversion = "2c"\ncommunity = "{community}"\n'
        for pid in agents
    )


def store(lab: LabState, community: str = COMMUNITY) -> CredentialStore:
    return parse_credentials(credentials_toml(lab, community))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def collect(agen: AsyncIterator[Observation | Problem]) -> list[Observation | Problem]:
    return [item async for item in agen]


def networks(lab: LabState) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(lab.subnet), ipaddress.IPv4Network(lab.far_subnet)]


def net_snmp(lab: LabState, tool: str, ip: str, *oids: str) -> str:
    """net-snmp's own client (an implementation we did not write), in the scanner."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian package snmp, scripts/bootstrap.sh)")
    with in_scanner(lab):
        return subprocess.run(
            [tool, "-v2c", "-c", COMMUNITY, "-On", "-Oq", "-t", "2", ip, *oids],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip


# ---------------------------------------------------------------- the system group


def test_snmp_probe_reads_the_system_group_net_snmp_reads(routed: LabState) -> None:
    rtr, canon = device(routed, "routed"), device(routed, "thirdparty-snmpd-canon")
    ctx = ProbeContext(
        interface="eth0",
        networks=networks(routed),
        hosts=(rtr.ip, canon.ip, device(routed, "hikvision-ipc").ip),  # no credentials: not asked
        snmp_credentials=store(routed).snmp,
    )
    with in_scanner(routed):
        found = {o.ip: o for o in run(collect(snmp_probe(ctx))) if isinstance(o, Observation)}
    assert set(found) == {rtr.ip, canon.ip}
    witness = net_snmp(routed, "snmpget", rtr.ip, ".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.2.0")
    descr, oid = (line.split(" ", 1)[1].strip().strip('"') for line in witness.splitlines())
    assert found[rtr.ip].fields["snmp.sysdescr"] == descr and descr.startswith("Linux ")
    assert found[rtr.ip].fields["snmp.sysobjectid"] == oid.lstrip(".")
    cam = found[canon.ip].fields
    assert cam["snmp.sysdescr"] == "Canon Network Camera VB-C60"
    assert cam["snmp.sysobjectid"] == "1.3.6.1.4.1.1602.4.1"
    assert cam["snmp.sysname"] == f"vb-c60-{canon.mac.replace(':', '')}"


def test_the_snmp_camera_is_identified_from_its_sysdescr(routed: LabState) -> None:
    canon = device(routed, "thirdparty-snmpd-canon")
    ctx = ProbeContext(
        interface="eth0", networks=networks(routed), hosts=(canon.ip,),
        snmp_credentials=store(routed).snmp,
    )  # fmt: skip
    with in_scanner(routed):
        (obs,) = run(collect(snmp_probe(ctx)))
    assert isinstance(obs, Observation)
    dev = Device(key=f"ip:{canon.ip}")
    dev.add(obs)
    ident = identify(dev)
    assert ident.maker == "canon" and ident.model == "VB-C60"
    assert ident.device_type == "camera"
    assert {r.field for r in ident.reasons} >= {"snmp.sysdescr", "snmp.sysobjectid"}


def test_snmpv3_user_reads_and_a_wrong_key_is_refused_clearly(routed: LabState) -> None:
    canon = device(routed, "thirdparty-snmpd-canon")
    good = SnmpCredential(
        "3", "", "camlab-v3", "sha", "camlab-auth-2026", "aes", "camlab-priv-2026"
    )
    wrong = SnmpCredential("3", "", "camlab-v3", "sha", "not-the-key-2026", "aes", "x" * 8)

    async def both() -> tuple[Observation | Problem, Observation | Problem]:
        from discovery.snmp import query

        async with SnmpClient(2.0) as client:
            return await query(client, canon.ip, good), await query(client, canon.ip, wrong)

    with in_scanner(routed):
        ok, refused = run(both())
    assert isinstance(ok, Observation)
    assert ok.fields["snmp.sysdescr"] == "Canon Network Camera VB-C60"
    assert isinstance(refused, Problem) and refused.kind == "bad_credentials"
    assert "digest" in refused.message.lower() and "not-the-key" not in refused.message


def test_a_wrong_community_is_a_clear_problem_not_a_hang(routed: LabState) -> None:
    rtr = device(routed, "routed")
    ctx = ProbeContext(
        interface="eth0", networks=networks(routed), hosts=(rtr.ip,), timeout=1.0,
        snmp_credentials=store(routed, community="not-the-lab-community").snmp,
    )  # fmt: skip
    with in_scanner(routed):
        (problem,) = run(collect(snmp_probe(ctx)))
    assert isinstance(problem, Problem) and problem.kind == "timeout"
    assert problem.ip == rtr.ip and "wrong community" in problem.message
    assert "not-the-lab-community" not in problem.message


# ---------------------------------------------------------------- devices behind the router


V3 = SnmpCredential("3", "", "camlab-v3", "sha", "camlab-auth-2026", "aes", "camlab-priv-2026")


@pytest.mark.parametrize("version", ["2c", "1", "3"])  # GETBULK, GETNEXT, GETBULK over USM
def test_router_tables_give_the_macs_of_devices_one_hop_away(
    routed: LabState, version: str
) -> None:
    rtr = device(routed, "routed")
    cred = V3 if version == "3" else SnmpCredential(version, COMMUNITY)
    ctx = ProbeContext(
        interface="eth0", networks=networks(routed), routers=(rtr.ip,),
        snmp_credentials=lambda ip: cred if ip == rtr.ip else None,
    )  # fmt: skip
    with in_scanner(routed):
        items = run(collect(routers_probe(ctx)))
    problems = [i for i in items if isinstance(i, Problem)]
    assert not problems, problems
    arp = {o.ip: o for o in items if isinstance(o, Observation) and o.method == "snmp-arp"}
    expected = {d.ip: d.mac for d in far_devices(routed)}
    assert len(expected) == 4
    assert {ip: o.mac for ip, o in arp.items()} == expected  # the scanner itself is left out
    assert all(o.fields["snmp.router"] == rtr.ip for o in arp.values())
    system = [o for o in items if isinstance(o, Observation) and o.ip == rtr.ip]
    assert system and str(system[0].fields["snmp.sysdescr"]).startswith("Linux ")


def test_router_walk_agrees_with_net_snmps_walk(routed: LabState) -> None:
    rtr = device(routed, "routed")
    walked = net_snmp(routed, "snmpwalk", rtr.ip, ".1.3.6.1.2.1.4.22.1.2")
    theirs = {}
    for line in walked.splitlines():
        oid, _, value = line.partition(" ")
        ip = ".".join(oid.split(".")[-4:])
        theirs[ip] = ":".join(re.findall(r"[0-9A-Fa-f]{2}", value)).lower()  # "00 1E 8F ..."
    ctx = ProbeContext(
        interface="eth0", networks=[ipaddress.IPv4Network("198.18.0.0/15")], routers=(rtr.ip,),
        snmp_credentials=store(routed).snmp,
    )  # fmt: skip
    with in_scanner(routed):
        items = run(collect(routers_probe(ctx)))
    ours = {o.ip: o.mac for o in items if isinstance(o, Observation) and o.method == "snmp-arp"}
    theirs.pop(routed.scanner_ip, None)  # we leave the scanner out: it is no device
    assert ours == theirs


def test_a_scan_names_the_router_and_far_devices_get_macs_and_makers(
    routed: LabState, tmp_path: Path
) -> None:
    rtr = device(routed, "routed")
    creds = tmp_path / "creds.toml"
    creds.write_text(credentials_toml(routed))
    creds.chmod(0o600)
    out = tmp_path / "scan.json"
    argv = [
        sys.executable, "-m", "main", "scan", "--interface", "eth0",
        "--targets", routed.subnet, "--targets", routed.far_subnet,
        "--methods", "arp,routers,ports,snmp", "--snmp-router", rtr.ip,
        "--credentials", str(creds), "--json", str(out), "--no-save",
    ]  # fmt: skip
    env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1"}
    with in_scanner(routed):
        proc = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=180, env=env, check=False
        )
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    scan = json.loads(out.read_text())
    rows = {ip: d for d in scan["devices"] for ip in d["ips"]}
    makers = {"thirdparty-snmpd-canon": "canon", "hikvision-ipc": "hikvision"}
    makers |= {"axis-ipc": "axis", "dahua-ipc": "dahua"}
    for far in far_devices(routed):
        found = rows[far.ip]
        assert found["mac"] == far.mac and found["mac_method"] == "snmp-arp", far.profile_id
        assert (found["identity"] or {}).get("maker") == makers[far.profile_id], found
    assert scan["options"]["snmp_routers"] == [rtr.ip]
    assert "routers" in scan["methods"] and COMMUNITY not in out.read_text()


# ---------------------------------------------------------------- hostile agents


def hostile(lab: LabState, mode: str, max_rows: int = 300) -> list[Observation | Problem]:
    agent = device(lab, f"hostile-snmp-{mode}")
    cred = store(lab).snmp(agent.ip)
    assert cred is not None

    async def read() -> list[Observation | Problem]:
        async with SnmpClient(1.0) as client:
            nets = networks(lab)
            rows = read_router(client, agent.ip, cred, nets, (), max_rows)
            return await collect(rows)

    with in_scanner(lab):
        items: list[Observation | Problem] = asyncio.run(read())
    return items


def test_undecodable_replies_fail_cleanly_with_a_reason(routed: LabState) -> None:
    (problem,) = hostile(routed, "garbage")
    assert isinstance(problem, Problem) and problem.kind == "parse"
    assert re.search(r"\d+ SNMP replies arrived but none could be used", problem.message)


def test_a_walk_that_does_not_advance_is_stopped(routed: LabState) -> None:
    items = hostile(routed, "loop")
    assert isinstance(items[0], Observation)  # its system group answers normally
    loops = [i for i in items if isinstance(i, Problem) and i.kind == "walk_loop"]
    assert loops and "must increase" in loops[0].message
    assert not [i for i in items[1:] if isinstance(i, Observation)]


def test_a_table_without_end_is_cut_at_the_row_limits(routed: LabState) -> None:
    items = hostile(routed, "endless", max_rows=120)
    cut = [i for i in items if isinstance(i, Problem) and i.kind == "truncated"]
    # 4 columns of 120 rows spend the router's budget (4 x 120); both tables say so.
    assert [p.message.split(": ", 1)[1] for p in cut] == [
        *[f"{c} has more than 120 rows; read the first ones only" for c in ENDLESS_COLUMNS],
        "its row budget is spent; 1.3.6.1.2.1.4.22.1.4 read the first ones only",
        "its row budget is spent; 1.3.6.1.2.1.17.7.1.2.2.1.2 read the first ones only",
    ]
    records = read_log(routed, device=device(routed, "hostile-snmp-endless").name)
    bulk = [r for r in records if r.kind == "GetBulkRequest"]
    assert 4 * 120 / 25 <= len(bulk) <= 4 * (120 // 25 + 2)  # bounded, not endless


ENDLESS_COLUMNS = (
    "1.3.6.1.2.1.4.35.1.4",
    "1.3.6.1.2.1.4.35.1.6",
    "1.3.6.1.2.1.4.35.1.7",
    "1.3.6.1.2.1.4.22.1.2",
)


# ---------------------------------------------------------------- read-only, shown by the agents


def counters(lab: LabState, ip: str) -> list[int]:
    text = net_snmp(lab, "snmpget", ip, SET_REQUESTS, GET_REQUESTS, GET_NEXTS)
    return [int(line.split()[-1]) for line in text.splitlines()]


def test_no_agent_was_asked_to_write(routed: LabState) -> None:
    """Runs after the tests above: the agents' own counters and the emulator's log."""
    for pid in ("routed", "thirdparty-snmpd-canon"):
        sets, gets, nexts = counters(routed, device(routed, pid).ip)
        assert sets == 0, pid
        assert gets + nexts > 0, pid  # the agent was read: the check is not vacuous
    kinds = {r.kind for r in read_log(routed, protocol="snmp")}
    assert {"GetRequest", "GetBulkRequest"} <= kinds
    assert "SetRequest" not in kinds
