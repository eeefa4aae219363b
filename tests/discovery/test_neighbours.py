"""The neighbour-table fallback: complete entries only, with the method recorded."""

from __future__ import annotations

import contextlib
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discovery.base import ParseError
from discovery.neighbours import METHOD, parse_ip_neigh_json, parse_proc_net_arp

# A real /proc/net/arp layout (Linux 6.x), with an incomplete entry (flags 0x0).
TABLE = """IP address       HW type     Flags       HW address            Mask     Device
198.18.0.10      0x1         0x2         44:19:b6:00:00:01     *        eth0
198.18.0.11      0x1         0x0         00:00:00:00:00:00     *        eth0
198.18.0.12      0x1         0x2         3c:ef:8c:00:00:02     *        eth0
10.9.9.9         0x1         0x2         aa:bb:cc:dd:ee:ff     *        wlan0
"""


def test_complete_entries_of_the_interface_and_targets() -> None:
    obs = parse_proc_net_arp(TABLE, "eth0", [ipaddress.IPv4Network("198.18.0.0/24")])
    assert [(o.ip, o.mac, o.method) for o in obs] == [
        ("198.18.0.10", "44:19:b6:00:00:01", METHOD),
        ("198.18.0.12", "3c:ef:8c:00:00:02", METHOD),
    ]
    assert METHOD == "neighbour-table"


def test_not_a_table() -> None:
    with pytest.raises(ParseError):
        parse_proc_net_arp("hello")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=800))
def test_any_text_parses_or_is_a_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_proc_net_arp("IP address HW type Flags HW address Mask Device\n" + text)


# ---------------------------------------------------------------- IPv6: `ip -j -6 neigh`

# Captured in the lab's scanner namespace with `ip -j -6 neigh show` (one entry added by
# hand for each state that must be skipped).
IP_NEIGH_JSON = (
    '[{"dst":"fdca:a0d1:7000::6","dev":"eth0","lladdr":"ac:cc:8e:6f:71:3a","state":["REACHABLE"]},'
    '{"dst":"fe80::aecc:8eff:fe6f:713a","dev":"eth0","lladdr":"ac:cc:8e:6f:71:3a",'
    '"state":["STALE"]},'
    '{"dst":"fe80::e630:22ff:fec5:486","dev":"eth1","lladdr":"e4:30:22:c5:04:86",'
    '"state":["REACHABLE"]},'
    '{"dst":"fdca:a0d1:7000::9","dev":"eth0","state":["INCOMPLETE"]},'
    '{"dst":"fdca:a0d1:7000::8","dev":"eth0","lladdr":"e4:30:22:00:00:08","state":["FAILED"]},'
    '{"dst":"fd99::1","dev":"eth0","lladdr":"e4:30:22:00:00:09","state":["REACHABLE"]}]'
)


def test_ipv6_neighbours_with_their_macs_and_zoned_link_local_addresses() -> None:
    nets = [ipaddress.ip_network("fdca:a0d1:7000::/64"), ipaddress.ip_network("fe80::/64")]
    found = [(o.ip, o.mac, o.method) for o in parse_ip_neigh_json(IP_NEIGH_JSON, "eth0", nets)]
    assert found == [
        ("fdca:a0d1:7000::6", "ac:cc:8e:6f:71:3a", METHOD),
        ("fe80::aecc:8eff:fe6f:713a%eth0", "ac:cc:8e:6f:71:3a", METHOD),
    ]


def test_ip_neigh_show_dev_leaves_the_device_out_of_each_entry() -> None:
    text = '[{"dst":"fe80::1","lladdr":"00:11:32:00:00:01","state":["DELAY"]}]'
    assert [o.ip for o in parse_ip_neigh_json(text, "eth0")] == ["fe80::1%eth0"]


@pytest.mark.parametrize("text", ["not json", '{"dst": "fe80::1"}'])
def test_ip_neigh_garbage_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_ip_neigh_json(text)
