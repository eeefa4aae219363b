"""Profiles load and validate; the device mix is deterministic, unique and sized as asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.model import is_locally_administered, normalize_mac
from lab.profile import PROFILE_DIR, ProfileError, build_mix, load_profiles

MANUF = Path(str(__import__("pymanuf").__file__)).with_name("manuf.txt")


def _registry() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in MANUF.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and len(parts[0]) == 8:
            rows[parts[0].upper()] = parts[2].strip()
    return rows


def test_every_shipped_profile_loads_and_says_what_a_scanner_should_conclude():
    profiles = load_profiles()
    assert len([p for p in profiles.values() if p.realistic]) >= 20
    for profile in profiles.values():
        assert profile.expect["kind"] in {"camera", "nvr", "other"}
        assert profile.data["source"].strip()


def test_profile_ouis_belong_to_the_registrant_they_name():
    registry = _registry()
    for profile in load_profiles().values():
        mac = profile.data["mac"]
        if "registrant" in mac:
            assert registry.get(mac["oui"].upper()) == mac["registrant"], profile.id


def test_a_broken_profile_is_reported_with_its_file_and_problem(tmp_path):
    (tmp_path / "bad.toml").write_text('id = "bad"\ntitle = "x"\ncategory = "nice"\n')
    with pytest.raises(ProfileError) as excinfo:
        load_profiles(tmp_path)
    message = str(excinfo.value)
    assert "bad.toml" in message
    assert "category" in message and "[mac]" in message and "[expect]" in message


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "x.toml").write_text("id = \n")
    with pytest.raises(ProfileError, match=r"x\.toml: cannot read"):
        load_profiles(tmp_path)


def test_unknown_service_is_refused(tmp_path):
    text = (
        (PROFILE_DIR / "windows-pc.toml").read_text().replace("[services.wsd]", "[services.telnet]")
    )
    (tmp_path / "windows-pc.toml").write_text(text)
    with pytest.raises(ProfileError, match="unknown service 'telnet'"):
        load_profiles(tmp_path)


def test_default_mix_is_mostly_realistic_with_some_hostile_devices():
    devices = build_mix()
    profiles = load_profiles()
    hostile = [d for d in devices if not profiles[d.profile_id].realistic]
    assert 30 <= len(devices) <= 50
    assert 3 <= len(hostile) < len(devices) // 2


def test_mix_is_deterministic_and_macs_unique_except_the_duplicate_pair():
    first, second = build_mix(), build_mix()
    assert [(d.name, d.mac, d.profile) for d in first] == [
        (d.name, d.mac, d.profile) for d in second
    ]
    by_mac: dict[str, list[str]] = {}
    for device in first:
        by_mac.setdefault(device.mac, []).append(device.profile_id)
    shared = {mac: ids for mac, ids in by_mac.items() if len(ids) > 1}
    assert all(id_.startswith("hostile-duplicate-mac") for ids in shared.values() for id_ in ids)
    assert len(shared) == 1


def test_two_hundred_devices_cycle_realistic_profiles_with_unique_macs_and_serials():
    devices = build_mix(200)
    profiles = load_profiles()
    assert [d.name for d in devices[:2]] == ["d001", "d002"] and devices[-1].name == "d200"
    assert all(profiles[d.profile_id].realistic for d in devices)
    assert len({d.mac for d in devices}) == 200
    serials = [
        d.profile["identity"]["serial"]
        for d in devices
        if "serial" in d.profile.get("identity", {})
    ]
    assert len(serials) == len(set(serials)) > 150
    assert all("${" not in s for s in serials)


def test_macs_sit_in_the_profile_oui_or_are_locally_administered():
    profiles = load_profiles()
    for device in build_mix(200) + build_mix():
        assert normalize_mac(device.mac) == device.mac
        mac_table = profiles[device.profile_id].data["mac"]
        if mac_table.get("mode") == "random":
            assert is_locally_administered(device.mac)
        else:
            assert device.mac.startswith(mac_table["oui"].lower())
            assert not is_locally_administered(device.mac)


def test_serial_follows_the_profile_format():
    hik = next(d for d in build_mix(40) if d.profile_id == "hikvision-ipc")
    serial = hik.profile["identity"]["serial"]
    assert serial.startswith("DS-2CD2143G0-I20190918AAWR") and len(serial) == len(
        "DS-2CD2385G1-I20200414AAWRE33842150"
    )
    assert hik.profile["services"]["sadp"]["fields"]["DeviceSN"] == serial


def test_mix_file_with_unknown_profile_is_an_error(tmp_path):
    mix = tmp_path / "m_mix.toml"
    mix.write_text('[[device]]\nprofile = "no-such"\ncount = 2\n')
    with pytest.raises(ProfileError, match="unknown profile 'no-such'"):
        build_mix(mix_file=mix)


def test_mix_file_cycled_to_n(tmp_path):
    mix = tmp_path / "m_mix.toml"
    mix.write_text(
        '[[device]]\nprofile = "axis-ipc"\ncount = 1\n[[device]]\nprofile = "windows-pc"\n'
    )
    devices = build_mix(5, mix_file=mix)
    assert [d.profile_id for d in devices] == ["axis-ipc", "windows-pc"] * 2 + ["axis-ipc"]


def test_expected_makers_and_brands_are_catalogue_ids():
    import tomllib

    catalogue_file = Path(__file__).resolve().parents[2] / "vendors" / "data" / "catalogue.toml"
    if not catalogue_file.exists():
        pytest.skip("the brand catalogue is not there yet")
    catalogue = tomllib.loads(catalogue_file.read_text(encoding="utf-8"))
    for profile in load_profiles().values():
        expect = profile.expect
        if expect["maker"]:
            assert expect["maker"] in catalogue["makers"], profile.id
        if expect["brand"]:
            assert (
                expect["brand"] in catalogue["brands"] or expect["brand"] in catalogue["makers"]
            ), profile.id


def test_expected_probes_match_the_services_each_profile_runs():
    for profile in load_profiles().values():
        services = set(profile.data["services"])
        expect = profile.expect
        probes, errors = set(expect["probes"]), set(expect.get("errors", []))
        # every lab device has a real interface; IPv6 has no ARP (its MACs come from NDP)
        assert ("arp" in probes) == profile.data.get("network", {}).get("ipv4", True), profile.id
        if profile.category == "thirdparty":
            continue  # what a real program serves: tests/lab/test_third_party.py checks it
        # ONVIF and UPnP descriptions ride on the device's web server
        reachable = services | ({"http"} if services & {"onvif", "ssdp"} else set())
        reachable |= {"http", "rtsp"} if "tarpit" in services else set()
        reachable |= {"sadp", "wsd", "ssdp", "dhip"} if "garbage" in services else set()
        assert (probes | errors) - {"arp"} <= reachable, profile.id
        if profile.realistic:
            assert probes - {"arp"} == services, profile.id
            assert not errors, profile.id
