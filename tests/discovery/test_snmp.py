"""SNMP without the lab: credentials, values, walks, tables, merging (pure), and the client
against our hostile agents on loopback inside a throwaway network namespace.

The lab tests (tests/lab/test_snmp_router.py) read Debian's net-snmp snmpd; these cover what
a real agent never does on purpose and every branch of the parsers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pysnmp.proto import rfc1902, rfc1905

from cli.scan import UsageError, _snmp_routers
from core.merge import DeviceMerger
from core.model import Observation
from discovery.base import SnmpCredential
from discovery.credentials import CredentialsError, parse_credentials
from discovery.request import ScanRequest
from discovery.snmp import SnmpClient, SnmpError, Varbind, plain, read_system, system_fields
from discovery.snmp_walk import (
    DOT1D_PORT,
    DOT1D_STATUS,
    DOT1Q_PORT,
    DOT1Q_STATUS,
    MEDIA_ADDRESS,
    MEDIA_TYPE,
    PHYS_ADDRESS,
    PHYS_STATE,
    PHYS_TYPE,
    WalkLoop,
    fdb_entries,
    fdb_observation,
    fetcher,
    in_scope,
    media_neighbours,
    neighbour_observation,
    physical_neighbours,
    walk,
)
from lab import netns
from lab.services.base import DeviceContext
from lab.services.snmp import Agent

V2C = """
[[snmp]]
target = "198.18.0.0/24"
version = "2c"
community = "site-ro"

[[snmp]]
target = "198.18.0.1"
version = "3"
username = "auditor"
auth_protocol = "SHA256"
auth_password = "auth-secret-1"
priv_protocol = "aes"
priv_password = "priv-secret-1"
port = 1161
"""


def vb(oid: tuple[int, ...], kind: str, value: Any = None) -> Varbind:
    return Varbind(oid, kind, value)


# ---------------------------------------------------------------- credentials


def test_snmp_entries_most_specific_target_wins_and_hide_secrets():
    store = parse_credentials(V2C)
    router, camera = store.snmp("198.18.0.1"), store.snmp("198.18.0.7")
    assert router == SnmpCredential(
        "3", "", "auditor", "sha256", "auth-secret-1", "aes", "priv-secret-1", 1161
    )
    assert camera is not None and camera.version == "2c" and camera.community == "site-ro"
    assert store.snmp("10.1.1.1") is None and store("198.18.0.7") is None  # no web credential
    assert "secret" not in repr(router) and "site-ro" not in repr(camera)
    assert store.snmp.targets == ["198.18.0.1/32", "198.18.0.0/24"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('target = "198.18.0.1"\nversion = "2c"', "needs a 'community'"),
        ('target = "198.18.0.1"\nversion = "4"\ncommunity = "x"', "'version' must be"),
        ('target = "nope"\nversion = "2c"\ncommunity = "x"', "not an address"),
        ('target = "198.18.0.1"\nversion = "3"', "needs a non-empty 'username'"),
        (
            'target = "198.18.0.1"\nversion = "3"\nusername = "u"\npriv_protocol = "aes"\n'
            'priv_password = "12345678"',
            "privacy needs an auth_protocol",
        ),
        (
            'target = "198.18.0.1"\nversion = "3"\nusername = "u"\nauth_protocol = "sha"\n'
            'auth_password = "short"',
            "at least 8 characters",
        ),
        (
            'target = "198.18.0.1"\nversion = "3"\nusername = "u"\nauth_protocol = "rot13"',
            "auth_protocol must be one of",
        ),
        ('target = "198.18.0.1"\nversion = "2c"\ncommunity = "x"\nport = 0', "'port' must be"),
    ],
)
def test_bad_snmp_entries_say_what_is_wrong_without_the_secret(entry, message):
    with pytest.raises(CredentialsError, match=message) as info:
        parse_credentials(f"[[snmp]]\n{entry}\n")
    assert "12345678" not in str(info.value) and "short" not in str(info.value)


def test_a_request_records_snmp_targets_and_routers_never_secrets():
    request = ScanRequest(
        targets=("198.18.0.0/24",), credentials=parse_credentials(V2C), snmp_routers=("198.18.0.1",)
    )
    options = request.record().options
    assert options["snmp_routers"] == ["198.18.0.1"]
    assert options["snmp_credentials_for"] == ["198.18.0.1/32", "198.18.0.0/24"]
    assert "site-ro" not in repr(options) and "secret" not in repr(options)
    assert request.snmp_credential_lookup()("198.18.0.9") is not None
    assert ScanRequest(targets=()).snmp_credential_lookup()("198.18.0.9") is None


def test_snmp_router_option_needs_an_address_with_credentials():
    store = parse_credentials(V2C)
    assert _snmp_routers(["198.18.0.1, 198.18.0.9", "198.18.0.1"], store, False) == (
        "198.18.0.1",
        "198.18.0.9",
    )
    with pytest.raises(UsageError, match="never guesses"):
        _snmp_routers(["198.18.1.1"], store, False)
    with pytest.raises(UsageError, match="wants an IP address"):
        _snmp_routers(["router.example"], store, False)
    with pytest.raises(Exception, match="public"):
        _snmp_routers(["8.8.8.8"], store, False)


# ---------------------------------------------------------------- values (pure)


def test_pysnmp_values_become_plain_varbinds():
    oid = (1, 3, 6, 1, 2, 1, 1, 1, 0)
    assert plain(oid, rfc1902.OctetString(b"Canon")) == Varbind(oid, "octets", b"Canon")
    assert plain(oid, rfc1902.ObjectIdentifier("1.3.6.1.4.1.1602")).value == (
        1, 3, 6, 1, 4, 1, 1602,
    )  # fmt: skip
    assert plain(oid, rfc1902.Integer32(3)) == Varbind(oid, "int", 3)
    assert plain(oid, rfc1902.IpAddress("198.18.0.1")).kind == "ipaddress"
    assert plain(oid, rfc1905.noSuchObject).kind == "nosuch"
    assert plain(oid, rfc1905.endOfMibView).kind == "end"


def test_system_fields_decode_clip_and_skip_missing_objects():
    base = (1, 3, 6, 1, 2, 1, 1)
    fields = system_fields(
        [
            vb((*base, 1, 0), "octets", b"Caf\xe9 camera\x00" + b"x" * 2000),  # Latin-1, NUL, long
            vb((*base, 2, 0), "oid", (1, 3, 6, 1, 4, 1, 39165, 1)),
            vb((*base, 5, 0), "octets", b""),
            vb((*base, 4, 0), "nosuch"),
            vb((*base, 9, 0), "octets", b"not a system object we read"),
        ]
    )
    assert set(fields) == {"snmp.sysdescr", "snmp.sysobjectid"}
    assert fields["snmp.sysdescr"].startswith("Café camerax") and "(+" in fields["snmp.sysdescr"]
    assert fields["snmp.sysobjectid"] == "1.3.6.1.4.1.39165.1"


def test_v1_agents_failing_the_whole_get_are_asked_again_without_the_object():
    class V1Agent:
        def __init__(self) -> None:
            self.asked: list[int] = []

        async def get(self, ip: str, cred: SnmpCredential, oids: list[Any]) -> list[Varbind]:
            self.asked.append(len(oids))
            if len(oids) == 5:
                raise SnmpError("refused", "noSuchName", error_index=4)  # sysContact unknown
            return [vb(oids[0], "octets", b"AXIS 2100")]

    agent = V1Agent()
    fields = asyncio.run(read_system(agent, "198.18.0.5", SnmpCredential("1", "c")))  # type: ignore[arg-type]
    assert fields == {"snmp.sysdescr": "AXIS 2100"} and agent.asked == [5, 4]


# ---------------------------------------------------------------- walking (pure)

ROOT = (1, 3, 6, 1, 2, 1, 4, 22, 1, 2)


def fetch_from(table: list[Varbind], per_reply: int = 3) -> Any:
    async def fetch(oid: tuple[int, ...]) -> list[Varbind]:
        after = [v for v in table if v.oid > oid]
        return after[:per_reply]

    return fetch


def test_a_walk_reads_its_subtree_and_stops_at_its_end():
    rows = [vb((*ROOT, 1, i), "octets", b"\x00" * 6) for i in range(7)]
    table = [*rows, vb((*ROOT[:-1], 3, 1), "int", 1)]  # the next column: outside the subtree
    result = asyncio.run(walk(fetch_from(table), ROOT))
    assert result.rows == rows and not result.truncated


def test_a_walk_stops_at_end_of_mib_view_and_on_an_empty_reply():
    async def end(oid: tuple[int, ...]) -> list[Varbind]:
        return [vb((*ROOT, 1), "octets", b"x"), vb((*ROOT, 2), "end")]

    async def empty(oid: tuple[int, ...]) -> list[Varbind]:
        return []

    assert len(asyncio.run(walk(end, ROOT)).rows) == 1
    assert asyncio.run(walk(empty, ROOT)).rows == []


def test_an_agent_answering_a_non_increasing_oid_ends_the_walk_with_a_loop_error():
    async def stuck(oid: tuple[int, ...]) -> list[Varbind]:
        return [vb((*ROOT, 5), "int", 1)]

    with pytest.raises(WalkLoop, match="must increase"):
        asyncio.run(walk(stuck, ROOT))


def test_an_endless_table_is_cut_at_max_rows():
    async def endless(oid: tuple[int, ...]) -> list[Varbind]:
        last = oid[-1] if len(oid) > len(ROOT) else 0
        return [vb((*ROOT, last + i), "int", 1) for i in range(1, 26)]

    result = asyncio.run(walk(endless, ROOT, max_rows=100))
    assert len(result.rows) == 100 and result.truncated


# ---------------------------------------------------------------- tables (pure)


def phys(column: tuple[int, ...], index: tuple[int, ...], kind: str, value: Any) -> Varbind:
    return vb((*column, *index), kind, value)


def test_ip_net_to_physical_rows_keep_usable_neighbours_only():
    v4 = (3, 1, 4, 198, 18, 2, 7)
    v6 = (3, 2, 16, 0xFD, 0xCA, *([0] * 13), 9)
    ll6 = (3, 2, 16, 0xFE, 0x80, *([0] * 13), 9)
    local = (3, 1, 4, 198, 18, 2, 1)
    incomplete = (3, 1, 4, 198, 18, 2, 8)
    bad_index = (3, 1, 9, 198, 18)
    mac = bytes.fromhex("4419b6000001")
    addresses = [
        phys(PHYS_ADDRESS, i, "octets", mac) for i in (v4, v6, ll6, local, incomplete, bad_index)
    ]
    addresses.append(
        phys(PHYS_ADDRESS, (3, 1, 4, 198, 18, 2, 9), "octets", b"\x01\x00^\x00\x00\x01")
    )
    types = [phys(PHYS_TYPE, i, "int", 3) for i in (v4, v6, ll6, incomplete)]
    types.append(phys(PHYS_TYPE, local, "int", 5))
    states = [phys(PHYS_STATE, v4, "int", 2), phys(PHYS_STATE, incomplete, "int", 7)]
    rows = physical_neighbours(addresses, types, states)
    assert {(r.ip, r.mac) for r in rows} == {
        ("198.18.2.7", "44:19:b6:00:00:01"),
        ("fdca::9", "44:19:b6:00:00:01"),
    }


def test_ip_net_to_media_rows():
    addresses = [
        vb((*MEDIA_ADDRESS, 2, 198, 18, 2, 5), "octets", bytes.fromhex("accc8e000002")),
        vb((*MEDIA_ADDRESS, 2, 198, 18, 2, 6), "octets", b""),  # incomplete: no MAC yet
        vb((*MEDIA_ADDRESS, 2, 198, 18, 2, 7), "octets", bytes.fromhex("3cef8c000003")),
        vb((*MEDIA_ADDRESS, 2, 300, 18, 2, 8), "octets", bytes.fromhex("3cef8c000004")),
    ]
    types = [vb((*MEDIA_TYPE, 2, 198, 18, 2, 7), "int", 2)]  # invalid(2)
    assert [(r.ip, r.mac, r.ifindex) for r in media_neighbours(addresses, types)] == [
        ("198.18.2.5", "ac:cc:8e:00:00:02", 2)
    ]


def test_forwarding_databases_give_learned_unicast_macs_with_their_port():
    learned, own = (0x44, 0x19, 0xB6, 0, 0, 9), (0x02, 0, 0, 0, 0, 1)
    multicast = (0x01, 0x00, 0x5E, 0, 0, 1)
    ports = [vb((*DOT1D_PORT, *m), "int", 7) for m in (learned, own, multicast)]
    statuses = [
        vb((*DOT1D_STATUS, *m), "int", s) for m, s in ((learned, 3), (own, 4), (multicast, 3))
    ]
    assert [(e.mac, e.port) for e in fdb_entries(ports, statuses, DOT1D_PORT, DOT1D_STATUS)] == [
        ("44:19:b6:00:00:09", 7)
    ]
    q_ports = [vb((*DOT1Q_PORT, 10, *learned), "int", 3)]
    q_status = [vb((*DOT1Q_STATUS, 10, *learned), "int", 3)]
    (entry,) = fdb_entries(q_ports, q_status, DOT1Q_PORT, DOT1Q_STATUS)
    assert (entry.mac, entry.port) == ("44:19:b6:00:00:09", 3)


small = st.integers(min_value=-2, max_value=300)
hostile_rows = st.lists(
    st.tuples(
        st.lists(small, max_size=24).map(tuple),
        st.sampled_from(["octets", "int", "oid", "nosuch", "other"]),
        st.one_of(st.binary(max_size=24), st.integers(-5, 10), st.none()),
    ),
    max_size=30,
)


@given(hostile_rows)
def test_table_parsers_never_raise_on_whatever_an_agent_sends(raw):
    for columns in ((PHYS_ADDRESS, PHYS_TYPE, PHYS_STATE), (MEDIA_ADDRESS, MEDIA_TYPE)):
        rows = [
            vb((*columns[i % len(columns)], *index), k, v) for i, (index, k, v) in enumerate(raw)
        ]
        if len(columns) == 3:
            found = physical_neighbours(rows, rows, rows)
        else:
            found = media_neighbours(rows, rows)
        assert all(len(r.mac) == 17 for r in found)
    rows = [vb((*DOT1Q_PORT, *index), k, v) for index, k, v in raw]
    assert all(len(e.mac) == 17 for e in fdb_entries(rows, rows, DOT1Q_PORT, DOT1Q_STATUS))


def test_neighbours_outside_the_targets_or_ours_are_not_devices():
    import ipaddress

    nets = [ipaddress.IPv4Network("198.18.2.0/24")]
    assert in_scope("198.18.2.9", nets)
    assert not in_scope("198.18.1.1", nets) and not in_scope("198.18.2.9", nets, ["198.18.2.9"])
    assert not in_scope("fdca::9", nets) and not in_scope("garbage", nets)


def test_a_mac_answering_for_many_addresses_is_not_taken_as_theirs():
    from discovery.snmp_walk import Neighbour, shared_macs

    proxy = "00:00:0c:00:00:01"
    rows = [Neighbour(f"198.18.2.{i}", proxy, 2) for i in range(3, 6)]
    rows += [Neighbour("198.18.2.9", "44:19:b6:00:00:01", 2)]
    rows += [Neighbour(ip, "ac:cc:8e:00:00:02", 2) for ip in ("198.18.2.10", "198.18.2.11")]
    assert shared_macs(rows) == {proxy}  # two addresses on one camera are fine
    obs = neighbour_observation("198.18.1.254", rows[0], shared=True)
    assert obs.mac is None and obs.fields["snmp.shared_mac"] == proxy


def test_router_macs_merge_by_ip_into_devices_found_otherwise():
    merger = DeviceMerger()
    merger.add(Observation.of("ports", ip="198.18.2.7", ports=(80, 554)))
    from discovery.snmp_walk import FdbEntry, Neighbour

    merger.add(
        neighbour_observation("198.18.1.254", Neighbour("198.18.2.7", "44:19:b6:00:00:01", 3))
    )
    merger.add(fdb_observation("198.18.1.253", FdbEntry("44:19:b6:00:00:01", 12)))
    (dev,) = merger.devices
    assert dev.mac == "44:19:b6:00:00:01" and dev.mac_method == "snmp-arp"
    assert dev.ips == ["198.18.2.7"] and dev.text("snmp.bridge_port") == "12"


# ---------------------------------------------------------------- the client, on loopback


@pytest.fixture(scope="module")
def throwaway() -> Iterator[str]:
    """A network namespace with only ``lo``: nothing sent in it can leave it."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to create a throwaway namespace")
    name = f"camaudit-snmp-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


PORT = 16161
COMMUNITY = "lab-ro"


def udp_only(port: int) -> Any:
    raise AssertionError("the SNMP agent opens no TCP socket")


def agent_context(mode: str, records: list[tuple[str, str]]) -> DeviceContext:
    def udp(port: int, group: str | None) -> Any:
        import socket

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        return sock

    return DeviceContext(
        name="d001", ip="127.0.0.1", mac="02:00:00:00:00:01", netmask=8, netns="throwaway",
        profile={"services": {"snmp": {"community": COMMUNITY, "mode": mode, "port": PORT}}},
        index=0, record=lambda proto, kind, detail: records.append((proto, kind)),
        tcp_socket=udp_only, udp_socket=udp, in_namespace=contextlib.nullcontext,
    )  # fmt: skip


def with_agent(namespace: str, mode: str, scenario: Any) -> tuple[Any, list[tuple[str, str]]]:
    """Run ``scenario(client)`` against our hostile agent, both inside ``namespace``."""
    from lab.services import snmp as service

    records: list[tuple[str, str]] = []

    async def main() -> Any:
        ctx = agent_context(mode, records)
        await service.start(ctx)
        try:
            async with SnmpClient(0.5) as client:
                return await scenario(client)
        finally:
            for closer in ctx.closers:
                closer.close()

    with netns.entered(namespace):
        return asyncio.run(main()), records


def cred(community: str = COMMUNITY) -> SnmpCredential:
    return SnmpCredential("2c", community, port=PORT)


def test_undecodable_replies_are_counted_and_named(throwaway):
    async def scenario(client: SnmpClient) -> SnmpError:
        with pytest.raises(SnmpError) as info:
            await client.get("127.0.0.1", cred(), [(1, 3, 6, 1, 2, 1, 1, 1, 0)])
        return info.value

    error, records = with_agent(throwaway, "garbage", scenario)
    assert error.kind == "parse" and "none could be used" in str(error)
    assert records and all(kind == "datagram" for _, kind in records)


def test_a_wrong_community_gets_silence_and_a_timeout_kind(throwaway):
    async def scenario(client: SnmpClient) -> SnmpError:
        with pytest.raises(SnmpError) as info:
            await client.get("127.0.0.1", cred("guessed"), [(1, 3, 6, 1, 2, 1, 1, 1, 0)])
        return info.value

    error, records = with_agent(throwaway, "loop", scenario)
    assert error.kind == "timeout" and "wrong community" in str(error)
    assert "guessed" not in str(error) and records  # it was asked, and stayed silent


def test_hostile_walks_end_and_only_reads_were_sent(throwaway):
    async def scenario(client: SnmpClient) -> tuple[Any, Any, Any]:
        fetch = fetcher(client, "127.0.0.1", cred())
        fields = await read_system(client, "127.0.0.1", cred())
        try:
            await walk(fetch, PHYS_ADDRESS)
        except WalkLoop as exc:
            return fields, exc, None
        return fields, None, None

    (fields, loop_error, _), records = with_agent(throwaway, "loop", scenario)
    assert fields["snmp.sysdescr"] == "hostile SNMP agent (loop)"
    assert isinstance(loop_error, WalkLoop)

    async def endless(client: SnmpClient) -> Any:
        return await walk(fetcher(client, "127.0.0.1", cred()), MEDIA_ADDRESS, max_rows=60)

    result, more = with_agent(throwaway, "endless", endless)
    assert len(result.rows) == 60 and result.truncated
    kinds = {kind for _, kind in records + more}
    assert kinds <= {"GetRequest", "GetNextRequest", "GetBulkRequest"} and "GetBulkRequest" in kinds


def test_the_agent_refuses_a_set_and_logs_it(throwaway):
    """The lab can see a write: a SetRequest is logged (and refused), so "no SetRequest in
    the log" in the lab tests is a check that could fail."""
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = module.SetRequestPDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 1, 5, 0), module.OctetString("x"))])
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, COMMUNITY)
    module.apiMessage.set_pdu(message, pdu)
    records: list[tuple[str, str]] = []
    sent: list[bytes] = []
    Agent(agent_context("loop", records)).handle(encoder.encode(message), "127.0.0.1", sent.append)
    assert ("snmp", "SetRequest") in records and len(sent) == 1
