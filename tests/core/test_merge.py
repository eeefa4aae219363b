from __future__ import annotations

from core.merge import DeviceMerger, merge
from core.model import Observation

HIK_MAC = "44:19:b6:00:00:01"


def test_ip_only_then_mac_fuses_into_one_device_keyed_by_mac() -> None:
    merger = DeviceMerger()
    merger.add(Observation.of("ports", ip="198.18.0.10", ports=[80, 554]))
    dev = merger.add(Observation.of("arp", method="arp-sweep", ip="198.18.0.10", mac=HIK_MAC))
    assert len(merger) == 1
    assert dev.key == f"mac:{HIK_MAC}"
    assert dev.first("ports") == (80, 554)
    assert dev.mac_method == "arp-sweep"


def test_self_reported_mac_links_across_ips() -> None:
    devices = merge(
        [
            Observation.of("arp", ip="198.18.0.10", mac=HIK_MAC),
            # Routed subnet: ONVIF reports the MAC, the IP differs (second interface)
            Observation.of(
                "onvif", ip="198.19.5.5", onvif__mac="44-19-B6-00-00-01", onvif__model="DS-2CD"
            ),
        ]
    )
    assert len(devices) == 1
    assert devices[0].ips == ["198.18.0.10", "198.19.5.5"]


def test_serial_keys_a_device_without_mac() -> None:
    devices = merge(
        [
            Observation.of("onvif", ip="198.18.0.20", onvif__serial="4H01D66PAJ2FA64"),
            Observation.of("http", ip="198.18.0.21", dahua__serialNumber="4H01D66PAJ2FA64"),
        ]
    )
    assert [d.key for d in devices] == ["serial:4H01D66PAJ2FA64"]


def test_different_mac_on_same_ip_is_not_merged_and_is_flagged() -> None:
    devices = merge(
        [
            Observation.of("arp", ip="198.18.0.30", mac=HIK_MAC),
            Observation.of("arp", ip="198.18.0.30", mac="3c:ef:8c:00:00:02"),
        ]
    )
    assert len(devices) == 2
    assert all(any(e.kind == "identity_conflict" for e in d.errors) for d in devices)


def test_same_mac_different_serials_stay_two_devices() -> None:
    devices = merge(
        [
            Observation.of(
                "sadp", ip="198.18.0.40", sadp__MAC=HIK_MAC, sadp__DeviceSN="DS-A20200101AAWR111"
            ),
            Observation.of(
                "sadp", ip="198.18.0.41", sadp__MAC=HIK_MAC, sadp__DeviceSN="DS-B20200101AAWR222"
            ),
        ]
    )
    assert len(devices) == 2
    assert {d.ip for d in devices} == {"198.18.0.40", "198.18.0.41"}
    assert any(e.kind == "identity_conflict" for d in devices for e in d.errors)


def test_evidence_is_kept_not_overwritten() -> None:
    devices = merge(
        [
            Observation.of("onvif", ip="198.18.0.50", mac=HIK_MAC, onvif__manufacturer="Annke"),
            Observation.of(
                "sadp",
                ip="198.18.0.50",
                sadp__MAC=HIK_MAC,
                sadp__DeviceDescription="DS-2CD2043G0-I",
            ),
            Observation.of("onvif", ip="198.18.0.50", onvif__manufacturer="Annke"),
        ]
    )
    (dev,) = devices
    assert dev.values("onvif.manufacturer") == ["Annke"]
    assert dev.sources == ["onvif", "sadp"]
    assert dev.flat()["sadp.DeviceDescription"] == "DS-2CD2043G0-I"


def test_two_ips_answering_arp_with_one_mac_are_two_boxes() -> None:
    # The lab's hostile pair: a cloned MAC on two cameras with different serials.
    merger = DeviceMerger()
    merger.add(Observation.of("arp", method="arp-sweep", ip="198.18.0.40", mac=HIK_MAC))
    merger.add(Observation.of("arp", method="arp-sweep", ip="198.18.0.41", mac=HIK_MAC))
    merger.add(Observation.of("sadp", ip="198.18.0.40", sadp__MAC=HIK_MAC, sadp__DeviceSN="SN-A"))
    merger.add(Observation.of("sadp", ip="198.18.0.41", sadp__MAC=HIK_MAC, sadp__DeviceSN="SN-B"))
    merger.add(Observation.of("http", ip="198.18.0.41", http__server="App-webs/"))
    devices = {d.ip: d for d in merger.devices}
    assert set(devices) == {"198.18.0.40", "198.18.0.41"}
    assert devices["198.18.0.40"].ips == ["198.18.0.40"]
    assert devices["198.18.0.41"].values("sadp.DeviceSN") == ["SN-B"]
    assert devices["198.18.0.41"].first("http.server") == "App-webs/"
    assert all(d.mac == HIK_MAC for d in devices.values())
    assert all(any(e.kind == "identity_conflict" for e in d.errors) for d in devices.values())


def test_clone_replies_land_on_their_own_ip_whichever_comes_first() -> None:
    merger = DeviceMerger()
    merger.add(Observation.of("arp", method="arp-sweep", ip="198.18.0.40", mac=HIK_MAC))
    merger.add(Observation.of("arp", method="arp-sweep", ip="198.18.0.41", mac=HIK_MAC))
    merger.add(Observation.of("sadp", ip="198.18.0.41", sadp__MAC=HIK_MAC, sadp__DeviceSN="SN-B"))
    merger.add(Observation.of("sadp", ip="198.18.0.40", sadp__MAC=HIK_MAC, sadp__DeviceSN="SN-A"))
    devices = {d.ip: d for d in merger.devices}
    assert devices["198.18.0.40"].values("sadp.DeviceSN") == ["SN-A"]
    assert devices["198.18.0.41"].values("sadp.DeviceSN") == ["SN-B"]
    assert len(merger) == 2


def test_repeated_arp_for_the_same_binding_stays_one_device() -> None:
    devices = merge(
        [
            Observation.of("arp", ip="198.18.0.40", mac=HIK_MAC),
            Observation.of("arp", ip="198.18.0.40", mac=HIK_MAC),
            Observation.of("neighbours", ip="198.18.0.40", mac=HIK_MAC),
        ]
    )
    assert len(devices) == 1 and not devices[0].errors


def test_a_capture_showing_one_mac_at_two_ips_over_time_is_one_device() -> None:
    # DHCP renumbering in a pcap (the IoT Sentinel D-Link captures do this).
    devices = merge(
        [
            Observation.of("pcap", method="arp", ip="192.168.0.20", mac="b0:c5:54:1c:71:85"),
            Observation.of("pcap", method="dhcp", ip="10.10.10.58", mac="b0:c5:54:1c:71:85"),
        ]
    )
    assert len(devices) == 1
    assert devices[0].ips == ["192.168.0.20", "10.10.10.58"]


# ---------------------------------------------------------------- IPv6 (issue 11)


def test_a_dual_stack_device_seen_over_both_families_is_one_device() -> None:
    mac = "e4:30:22:c5:04:86"
    devices = merge(
        [
            Observation.of("arp", method="arp-sweep", ip="198.18.0.6", mac=mac),
            Observation.of("wsd", method="probe", ip="fe80::e630:22ff:fec5:486%eth0"),
            Observation.of("wsd", method="probe", ip="198.18.0.6"),
            Observation.of("mdns", method="dns-sd", ip="fdca:a0d1:7000::7"),
            Observation.of(
                "neighbours", method="neighbour-table", ip="fe80::e630:22ff:fec5:486%eth0", mac=mac
            ),
            Observation.of("neighbours", method="neighbour-table", ip="fdca:a0d1:7000::7", mac=mac),
        ]
    )
    assert len(devices) == 1
    dev = devices[0]
    assert dev.mac == mac and dev.errors == []
    assert dev.ip == "198.18.0.6"  # IPv4 first, whatever answered first
    assert set(dev.ips) == {"198.18.0.6", "fe80::e630:22ff:fec5:486%eth0", "fdca:a0d1:7000::7"}


def test_an_ipv6_only_device_heard_twice_merges_through_the_neighbour_table() -> None:
    mac = "ac:cc:8e:6f:71:3a"
    devices = merge(
        [
            Observation.of("wsd", method="probe", ip="fe80::aecc:8eff:fe6f:713a%eth0"),
            Observation.of("mdns", method="dns-sd", ip="fdca:a0d1:7000::6"),
            Observation.of(
                "neighbours", method="neighbour-table", ip="fe80::aecc:8eff:fe6f:713a%eth0", mac=mac
            ),
            Observation.of("neighbours", method="neighbour-table", ip="fdca:a0d1:7000::6", mac=mac),
        ]
    )
    assert [(d.mac, d.ip, d.errors) for d in devices] == [(mac, "fdca:a0d1:7000::6", [])]


def test_two_ipv4_addresses_behind_one_mac_are_still_two_boxes_with_ipv6_around() -> None:
    mac = "44:19:b6:00:00:01"
    devices = merge(
        [
            Observation.of("arp", method="arp-sweep", ip="198.18.0.2", mac=mac),
            Observation.of("neighbours", method="neighbour-table", ip="fd00::2", mac=mac),
            Observation.of("arp", method="arp-sweep", ip="198.18.0.3", mac=mac),
        ]
    )
    assert len(devices) == 2  # a cloned MAC (lab-facts: hostile-duplicate-mac)
    assert {d.ip for d in devices} == {"198.18.0.2", "198.18.0.3"}
