"""The neighbour-table fallback: complete entries only, with the method recorded."""

from __future__ import annotations

import contextlib
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discovery.base import ParseError
from discovery.neighbours import METHOD, parse_proc_net_arp

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
