"""The IEEE MAC registry: longest prefix first, exact org names, randomized MACs, refresh data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from vendors.catalogue import load_catalogue
from vendors.oui import default_registry, parse_registry, read_registry, registry_date
from vendors.oui_build import (
    Block,
    RegistryFormatError,
    parse_ieee_csv,
    parse_manuf,
    render,
)


def test_bundled_registry_has_every_block_size_and_a_date() -> None:
    from vendors.oui import BUNDLED

    registry = read_registry(BUNDLED)
    counts = registry.counts()
    assert counts["MA-L"] > 35_000
    assert counts["MA-M"] > 5_000
    assert counts["MA-S"] > 10_000
    assert registry.data_as_of == dt.date(2026, 10, 1)
    assert "pymanuf 2026.10.1" in registry.source


@pytest.mark.parametrize(
    ("mac", "prefix", "org"),
    [
        # the block scanners missed (CamioCam/rtsp issue 141)
        ("4c:bd:8f:12:34:56", "4C:BD:8F", "Hangzhou Hikvision Digital Technology Co.,Ltd."),
        # MA-M inside an MA-L owned by the IEEE RA: the /28 wins
        ("40:2c:76:1a:bc:de", "40:2C:76:1", "Shanghai Dahua Scale Factory"),
        # MA-S blocks
        ("8c:1f:64:f4:b1:23", "8C:1F:64:F4:B", "Jorex Lorex India Private Limited"),
        ("00:1b:c5:0b:71:23", "00:1B:C5:0B:7", "Autelis, LLC"),
        ("34:46:63:2f:00:01", "34:46:63:2", "Amcrest Technologies"),
        ("58-50-ED-1F-E3-85", "58:50:ED", "Hangzhou Hikvision Digital Technology Co.,Ltd."),
    ],
)
def test_longest_prefix_wins(mac: str, prefix: str, org: str) -> None:
    match = default_registry().lookup(mac)
    assert match is not None
    assert (match.prefix, match.org) == (prefix, org)


def test_neighbouring_mam_block_belongs_to_someone_else() -> None:
    match = default_registry().lookup("40:2c:76:0a:bc:de")
    assert match is not None and match.org != "Shanghai Dahua Scale Factory"


@pytest.mark.parametrize(
    "org",
    [
        "Shanghai Dahua Scale Factory",
        "Jorex Lorex India Private Limited",
        "Autelis, LLC",
        "Beijing Autelan Technology Co.,Ltd",
        "Nautel LTD",
    ],
)
def test_lookalike_org_names_are_not_covered_makers(org: str) -> None:
    assert load_catalogue().maker_for_org(org) is None


def test_covered_blocks_map_to_their_makers() -> None:
    registry, catalogue = default_registry(), load_catalogue()
    hik = registry.blocks_of("Hangzhou Hikvision Digital Technology Co.,Ltd.")
    assert len(hik) == 84 and "4C:BD:8F" in hik
    for mac, maker in [
        ("4c:bd:8f:00:00:01", "hikvision"),
        ("3c:ef:8c:00:00:01", "dahua"),
        ("64:69:bc:00:00:01", "hytera"),
        ("18:d7:93:60:00:01", "autel"),
    ]:
        match = registry.lookup(mac)
        assert match is not None
        assert catalogue.maker_for_org(match.org) == maker, mac


@pytest.mark.parametrize("mac", ["02:11:22:33:44:55", "4e:bd:8f:00:00:01", "da:a1:19:00:00:01"])
def test_locally_administered_macs_never_match(mac: str) -> None:
    assert default_registry().lookup(mac) is None


@pytest.mark.parametrize("mac", ["", "zz:zz:zz:zz:zz:zz", "00:11:22", "ff:ff:ff:ff:ff:ff"])
def test_garbage_is_not_a_match(mac: str) -> None:
    assert default_registry().lookup(mac) is None


MANUF = """# comment
00:BC:99\t\tHangzhou Hikvision Digital Technology Co.,Ltd.
40:2C:76\t\tIEEE Registration Authority
40:2C:76:10:00:00/28\tShanghai Dahua Scale Factory
8C:1F:64:F4:B0:00/36\tJorex Lorex India Private Limited
not a line
"""


def test_manuf_text_round_trips_through_the_compact_file(tmp_path: Path) -> None:
    blocks = parse_manuf(MANUF)
    assert [b.bits for b in blocks] == [24, 24, 28, 36]
    path = tmp_path / "r.tsv.gz"
    path.write_bytes(render(blocks, as_of=dt.date(2026, 1, 2), source="test"))
    registry = read_registry(path)
    assert registry.data_as_of == dt.date(2026, 1, 2)
    assert registry.lookup("40:2c:76:12:00:00").org == "Shanghai Dahua Scale Factory"  # type: ignore[union-attr]
    assert registry.lookup("40:2c:76:22:00:00").org == "IEEE Registration Authority"  # type: ignore[union-attr]
    assert render(blocks, as_of=dt.date(2026, 1, 2), source="test") == path.read_bytes()


IEEE_OUI = (
    "Registry,Assignment,Organization Name,Organization Address\n"
    'MA-L,4CBD8F,"Hangzhou Hikvision Digital Technology Co.,Ltd.","No.555 Qianmo Road Hangzhou '
    'Zhejiang CN 310052 "\n'
    'MA-L,3CEF8C,"Zhejiang Dahua Technology Co., Ltd.","No.1199 Bin An Road Hangzhou CN "\n'
)


def test_ieee_csv_rows_become_blocks() -> None:
    blocks = parse_ieee_csv(IEEE_OUI, "oui.csv")
    assert blocks == [
        Block("4CBD8F", 24, "Hangzhou Hikvision Digital Technology Co.,Ltd."),
        Block("3CEF8C", 24, "Zhejiang Dahua Technology Co., Ltd."),
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Name,Address\nfoo,bar\n", "oui.csv:1"),
        (
            "Registry,Assignment,Organization Name,Organization Address\nMA-X,4CBD8F,X,Y\n",
            "oui.csv:2",
        ),
        (
            "Registry,Assignment,Organization Name,Organization Address\nMA-M,4CBD8,X,Y\n",
            "oui.csv:2",
        ),
    ],
)
def test_bad_ieee_csv_is_reported_with_its_line(text: str, where: str) -> None:
    with pytest.raises(RegistryFormatError, match=where):
        parse_ieee_csv(text, "oui.csv")


def test_registry_text_without_header_has_no_date() -> None:
    registry = parse_registry("4CBD8F\tX\n")
    assert registry.data_as_of is None and len(registry) == 1


def test_bundled_file_is_what_the_generator_makes_from_pymanuf() -> None:
    from vendors.oui import BUNDLED
    from vendors.oui_build import pymanuf_source

    path, as_of, source = pymanuf_source()
    blocks = parse_manuf(path.read_text(encoding="utf-8"))
    assert render(blocks, as_of=as_of, source=source) == BUNDLED.read_bytes()


def test_a_refreshed_user_registry_takes_precedence(tmp_path: Path, monkeypatch) -> None:
    from vendors import identify as identify_mod

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    target = tmp_path / "camaudit" / "oui" / "registry.tsv.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(
        render([Block("4CBD8F", 24, "Someone Else")], as_of=dt.date(2027, 3, 1), source="t")
    )
    identify_mod.reload_data()
    try:
        assert registry_date() == dt.date(2027, 3, 1)
        assert identify_mod.identify({"mac": "4c:bd:8f:00:00:01"}).maker is None
    finally:
        monkeypatch.delenv("XDG_DATA_HOME")
        identify_mod.reload_data()
    assert identify_mod.identify({"mac": "4c:bd:8f:00:00:01"}).maker == "hikvision"
