"""Target parsing and scope safety: what a user may and may not point camaudit at."""

from __future__ import annotations

import ipaddress

import pytest

from discovery.targets import (
    TargetError,
    host_count,
    in_networks,
    iter_hosts,
    parse_ip_addr6_json,
    parse_ip_addr_json,
    parse_targets,
)


@pytest.mark.parametrize(
    "spec",
    [
        "10.1.2.0/24",
        "172.20.0.0/16",
        "192.168.1.7",
        "100.64.3.0/24",
        "169.254.1.0/24",
        "198.18.0.0/24",
        "198.19.255.0/24",
        "127.0.0.1",
    ],
)
def test_non_public_ranges_are_accepted(spec: str) -> None:
    assert parse_targets([spec]) == [ipaddress.ip_network(spec, strict=False)]


@pytest.mark.parametrize("spec", ["8.8.8.0/24", "203.0.113.5", "198.20.0.0/24", "172.32.0.0/24"])
def test_public_ranges_are_refused_unless_allowed(spec: str) -> None:
    with pytest.raises(TargetError, match="--allow-public"):
        parse_targets([spec])
    assert parse_targets([spec], allow_public=True)


def test_a_range_straddling_private_and_public_is_public() -> None:
    with pytest.raises(TargetError, match="public"):
        parse_targets(["192.168.0.0/15"], force=True)


def test_larger_than_slash_16_needs_force() -> None:
    with pytest.raises(TargetError, match="--force"):
        parse_targets(["10.0.0.0/15"])
    assert parse_targets(["10.0.0.0/15"], force=True)
    assert parse_targets(["10.0.0.0/16"])  # a /16 itself is fine


@pytest.mark.parametrize(
    "spec", ["banana", "10.0.0.0/33", "fe80::/129", "2001:db8::/64", "2a00:1450::/64", "", " , "]
)
def test_bad_targets_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(TargetError) as info:
        parse_targets([spec])
    assert str(info.value)


def test_comma_lists_and_overlaps_are_merged() -> None:
    nets = parse_targets(["198.18.0.5,198.18.0.0/24", "198.18.1.0/24 198.18.1.9"])
    assert nets == [ipaddress.ip_network("198.18.0.0/24"), ipaddress.ip_network("198.18.1.0/24")]


def test_hosts_exclude_network_broadcast_and_own_address() -> None:
    nets = [ipaddress.IPv4Network("198.18.0.0/29"), ipaddress.IPv4Network("198.18.5.5/32")]
    assert list(iter_hosts(nets, exclude=["198.18.0.1"])) == [
        "198.18.0.2",
        "198.18.0.3",
        "198.18.0.4",
        "198.18.0.5",
        "198.18.0.6",
        "198.18.5.5",
    ]
    assert host_count(nets) == 7


def test_interface_addresses_from_ip_json() -> None:
    text = (
        '[{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"198.18.0.1",'
        '"prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]}]'
    )
    assert parse_ip_addr_json(text) == [ipaddress.IPv4Interface("198.18.0.1/24")]
    with pytest.raises(TargetError):
        parse_ip_addr_json("not json")


# ---------------------------------------------------------------- IPv6 (issue 11)


@pytest.mark.parametrize("spec", ["fdca:a0d1:7000::/64", "fe80::/64", "fd00::1", "::1"])
def test_non_public_ipv6_prefixes_are_targets(spec: str) -> None:
    assert parse_targets([spec]) == [ipaddress.ip_network(spec, strict=False)]


def test_public_ipv6_is_refused_unless_allowed_and_a_site_prefix_needs_force() -> None:
    with pytest.raises(TargetError, match="public"):
        parse_targets(["2a00:1450:4001::/64"])
    assert parse_targets(["2a00:1450:4001::/64"], allow_public=True)
    with pytest.raises(TargetError, match="/48"):
        parse_targets(["fd00::/8"])
    assert parse_targets(["fd00::/8"], force=True)


def test_a_link_local_address_with_a_zone_is_a_target_without_it() -> None:
    assert parse_targets(["fe80::1%eth0/64"]) == [ipaddress.ip_network("fe80::/64")]


def test_ipv4_and_ipv6_targets_mix_and_deduplicate_per_family() -> None:
    nets = parse_targets(["198.18.0.0/24, fd00:1::/64", "fd00:1::5", "198.18.0.7"])
    assert [str(n) for n in nets] == ["198.18.0.0/24", "fd00:1::/64"]


def test_a_64_is_listened_on_not_swept() -> None:
    nets = parse_targets(["198.18.0.0/30", "fd00:1::/64", "fd00:2::/126"])
    hosts = list(iter_hosts(nets))
    assert hosts == ["198.18.0.1", "198.18.0.2", "fd00:2::1", "fd00:2::2", "fd00:2::3"]
    assert host_count(nets) == 2 + 3


def test_in_networks_takes_both_families_and_zoned_link_local() -> None:
    nets = parse_targets(["198.18.0.0/24", "fe80::/64", "fd00:1::/64"])
    assert in_networks("fe80::aecc:8eff:fe6f:713a%eth0", nets)
    assert in_networks("fd00:1::9", nets)
    assert in_networks("198.18.0.9", nets)
    assert not in_networks("fd00:2::9", nets)
    assert not in_networks("2001:db8::1", nets)
    assert not in_networks("junk", nets)


def test_interface_ipv6_from_ip_json() -> None:
    text = (
        '[{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"198.18.0.1",'
        '"prefixlen":24},{"family":"inet6","local":"fdca:a0d1:7000::1","prefixlen":64},'
        '{"family":"inet6","local":"fe80::ca:ff:fe00:1","prefixlen":64}]}]'
    )
    assert parse_ip_addr6_json(text) == [
        ipaddress.IPv6Interface("fdca:a0d1:7000::1/64"),
        ipaddress.IPv6Interface("fe80::ca:ff:fe00:1/64"),
    ]
