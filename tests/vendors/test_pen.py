"""IANA enterprise numbers (vendors/pen.py, vendors/pen_build.py) and what identify() makes of
an SNMP sysObjectID: a number registered to a catalogue maker names it; any other registrant
is shown and names nobody; a rule and the registry reading one value count once."""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from vendors import pen, pen_build
from vendors.catalogue import CatalogueError, load_catalogue
from vendors.identify import identify
from vendors.pen import BUNDLED, default_pen_registry, enterprise_number, read_registry
from vendors.pen_build import PenError, parse, write

ROOT = Path(__file__).resolve().parents[2]
WIRESHARK_TSV = Path("/usr/share/wireshark/enterprises.tsv")


@pytest.mark.parametrize(
    ("oid", "number"),
    [
        ("1.3.6.1.4.1.2011.2.23.94", 2011),
        (".1.3.6.1.4.1.3902.3.100", 3902),
        ("iso.3.6.1.4.1.40297.1.2", 40297),
        ("SNMPv2-SMI::enterprises.39165.1.1", 39165),
        ("enterprises.8072", 8072),
        ("  1.3.6.1.4.1.368  ", 368),
    ],
)
def test_enterprise_number_in_every_usual_spelling(oid: str, number: int) -> None:
    assert enterprise_number(oid) == number


@pytest.mark.parametrize(
    "oid",
    [
        "1.3.6.1.2.1.1.1.0",  # mib-2, not an enterprise
        "1.3.6.1.4.1",  # no number
        "1.3.6.1.4.1.99999999999",  # beyond 2**32
        "1.3.6.1.4.1.2011.x",
        "Huawei",
        "",
        "1.3.6.1.4.1.2011." + "1." * 5000,
    ],
)
def test_not_an_enterprise_oid(oid: str) -> None:
    assert enterprise_number(oid) is None


def test_the_bundled_registry_knows_the_covered_makers_numbers() -> None:
    registry = default_pen_registry()
    assert len(registry) > 60_000
    assert registry.data_as_of is not None
    assert "iana.org" in registry.source
    assert registry.lookup(9) == "ciscoSystems"
    assert registry.lookup(2011) == "HUAWEI Technology Co.,Ltd"
    assert registry.lookup(3902) == "Zhongxing Telecom Co.,ltd. (abbr. ZTE)"
    assert registry.lookup(39165) == "Hikvision Digital Technology Co., Ltd."
    assert registry.lookup(40297) == "Hytera Communications Co.,Ltd."
    assert registry.lookup(8072) == "net-snmp"
    assert registry.lookup(78) == "LogMatrix Inc"  # a note after the name is not part of it


def test_every_pen_number_in_the_catalogue_is_registered_to_that_maker() -> None:
    """The catalogue's pen_numbers are checked against the registry they cite: the registrant
    name must carry a word of the maker's (or its listed org names')."""
    registry = default_pen_registry()
    catalogue = load_catalogue()
    for maker in catalogue.makers.values():
        words = {w.casefold() for n in (maker.name, *maker.org_names) for w in n.split()}
        for number in maker.pen_numbers:
            org = registry.lookup(number)
            assert org is not None, (maker.id, number)
            org_words = {w.strip(".,()").casefold() for w in org.split()}
            assert words & org_words or maker.id in org.casefold(), (maker.id, number, org)


def test_a_number_listed_under_two_makers_is_refused(tmp_path: Path) -> None:
    text = (Path(load_catalogue.__code__.co_filename).parent / "data" / "catalogue.toml").read_text(
        encoding="utf-8"
    )
    bad = text.replace("pen_numbers = [368]", "pen_numbers = [368, 2011]", 1)
    assert bad != text
    path = tmp_path / "catalogue.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CatalogueError, match="2011"):
        load_catalogue(path)


# ---------------------------------------------------------------------------- the builder

WIRESHARK = """#
# (last updated 2024-08-23)
#
0\tReserved
1\tNxNetworks
78\tLogMatrix Inc\t# formerly 'OpenService Inc.'
2011\tHUAWEI Technology Co.,Ltd
"""

IANA = """PRIVATE ENTERPRISE NUMBERS

Decimal
| Organization
| | Contact
| | | Email
| | | |
0
  Reserved
    Internet Assigned Numbers Authority
      iana&iana.org
1
  NxNetworks
    Michael Kellen
      OID.Admin&NxNetworks.com
"""


def test_builder_reads_both_formats() -> None:
    wireshark = parse(WIRESHARK, min_entries=1)
    assert wireshark.entries[78] == "LogMatrix Inc"
    assert wireshark.updated is not None and wireshark.updated.isoformat() == "2024-08-23"
    assert parse(IANA, min_entries=1).entries == {0: "Reserved", 1: "NxNetworks"}


def test_builder_refuses_a_registry_that_is_too_small() -> None:
    with pytest.raises(PenError, match="only 4 entries"):
        parse(WIRESHARK)


def test_round_trip_and_invisible_characters(tmp_path: Path) -> None:
    registry = parse(WIRESHARK + "5\tACC\u200b Corp\n", min_entries=1)
    out = tmp_path / "pen.tsv.gz"
    assert registry.updated is not None
    write(registry, "test input", registry.updated, out)
    back = read_registry(out)
    assert back.entries == registry.entries
    assert back.lookup(5) == "ACC Corp"
    assert back.source == "test input"
    assert gzip.decompress(out.read_bytes()).startswith(b"# data_as_of\t2024-08-23\n")


def test_the_bundled_file_is_what_the_builder_writes() -> None:
    first = gzip.decompress(BUNDLED.read_bytes()).decode("utf-8").splitlines()
    assert first[0].startswith("# data_as_of\t")
    assert first[1].startswith("# source\t")
    assert all("\t" in line for line in first[2:])


# ----------------------------------------------------------------------------- identify()


@pytest.mark.parametrize(
    ("oid", "maker"),
    [
        ("1.3.6.1.4.1.2011.2.23.94", "huawei"),
        ("1.3.6.1.4.1.3902.3.100", "zte"),
        ("1.3.6.1.4.1.39165.1.1", "hikvision"),
        ("1.3.6.1.4.1.37496.1", "dahua"),
        ("1.3.6.1.4.1.46055.2", "hytera"),  # Hytera Broadband Products
    ],
)
def test_a_makers_enterprise_names_it(oid: str, maker: str) -> None:
    assert identify({"snmp.sysobjectid": oid}).maker == maker


@pytest.mark.parametrize(
    ("oid", "registrant"),
    [
        ("1.3.6.1.4.1.8072.3.2.10", "net-snmp"),
        ("1.3.6.1.4.1.26381", "lwIP"),
        ("1.3.6.1.4.1.50001", "Scildon"),  # used by Hikvision recorders, registered to another
    ],
)
def test_other_registrants_are_shown_and_name_nobody(oid: str, registrant: str) -> None:
    identity = identify({"snmp.sysobjectid": oid})
    assert identity.maker is None
    (reason,) = [r for r in identity.reasons if r.rule.startswith("pen:")]
    assert registrant in reason.detail and reason.weight == 0


def test_a_rule_and_the_registry_on_one_value_count_once() -> None:
    identity = identify({"snmp.sysobjectid": "1.3.6.1.4.1.40297.1"})  # a Hytera rule exists
    assert identity.maker == "hytera"
    assert not [r for r in identity.reasons if r.rule.startswith("pen:")]


# ------------------------------------------------------- OID spellings, registry API, builder


@pytest.mark.parametrize(
    ("oid", "number"),
    [
        ("1.3.6.1.4.1.9", 9),
        (".1.3.6.1.4.1.9.1.516", 9),
        ("iso.3.6.1.4.1.0", 0),
        (".iso.org.dod.internet.private.enterprises.9.1.516", 9),
        ("SNMPv2-SMI::enterprises.3902", 3902),
        ("\t enterprises.2011.2.23\n", 2011),
        ("1.3.6.1.4.1.4294967295", 2**32 - 1),
    ],
)
def test_more_enterprise_spellings(oid: str, number: int) -> None:
    assert enterprise_number(oid) == number


@pytest.mark.parametrize(
    "oid",
    [
        "1.3.6.1.4.1.4294967296",  # 2**32: one above the largest sub-identifier
        "1.3.6.1.4.1.9.99999999999",  # a later arc beyond 2**32 is no OID either
        "1.3.6.1.4.10.9",  # another arc that starts alike
        "1.3.6.1.4.19",
        "2.3.6.1.4.1.9",
        "1.3.6.1.4.1.-9",
        "1.3.6.1.4.1.9.",
        "1.3.6.1.4.1..9",
        "1.3.6.1.4.1.\u0669",  # an Arabic-Indic nine is a digit to str.isdigit, not to an OID
        "1.3.6.1.4.1.\uff19",  # a full-width nine
        "SNMPv2-SMI::mib-2.1",
        "FOO-MIB::enterprises.9",
        "enterprises",
        "enterprises.9 junk",
        "1 .3.6.1.4.1.9",
        "   ",
    ],
)
def test_more_rejections(oid: str) -> None:
    assert enterprise_number(oid) is None


def test_a_value_that_is_not_text_is_no_oid() -> None:
    assert enterprise_number(None) is None  # type: ignore[arg-type]
    assert enterprise_number(b"1.3.6.1.4.1.9") is None  # type: ignore[arg-type]


def test_registry_api() -> None:
    registry = default_pen_registry()
    assert registry.count == len(registry) == len(registry.entries)
    assert registry.path == BUNDLED
    assert registry.lookup(4_000_000_000) is None
    assert registry.lookup_oid("SNMPv2-SMI::enterprises.9.1.516") == (9, "ciscoSystems")
    assert registry.lookup_oid("1.3.6.1.2.1.1.2.0") is None
    assert pen.lookup(8072) == "net-snmp"
    assert pen.registry_date() == registry.data_as_of
    assert all(name == name.strip() and name for name in registry.entries.values())


def test_forget_drops_the_loaded_registry() -> None:
    first = default_pen_registry()
    pen.forget()
    assert default_pen_registry.cache_info().currsize == 0
    assert pen.registrant("1.3.6.1.2.1.1") is None  # not an enterprise OID: nothing is read
    assert default_pen_registry.cache_info().currsize == 0
    second = default_pen_registry()
    assert second is not first and second.entries == first.entries
    assert default_pen_registry() is second


def test_importing_does_not_read_the_registry() -> None:
    """Reading is on first use only (its time is measured in bench/, never asserted here)."""
    code = (
        "import vendors.pen as p, vendors.versions\n"
        "assert p.default_pen_registry.cache_info().currsize == 0\n"
        "print(p.default_pen_registry().count)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert int(done.stdout) > 60_000


def test_data_versions_and_vendors_info_name_the_registry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cli.vendors import cmd_vendors_info
    from vendors.versions import data_versions

    registry = default_pen_registry()
    assert registry.data_as_of is not None
    assert data_versions()["enterprise_numbers"] == registry.data_as_of.isoformat()
    assert cmd_vendors_info(argparse.Namespace()) == 0
    out = capsys.readouterr().out
    line = f"SNMP enterprise numbers: data as of {registry.data_as_of.isoformat()}; "
    assert f"{line}{registry.count} numbers" in out
    assert registry.source in out


def _iana_record(number: int, org: str) -> str:
    return f"{number}\n  {org}\n    Some Contact\n      someone&example.org\n"


def test_iana_text_round_trip_is_deterministic(tmp_path: Path) -> None:
    text = "PRIVATE ENTERPRISE NUMBERS\n\n(last updated 2025-08-22)\n\nDecimal\n| Organization\n"
    text += "".join(_iana_record(n, f"Org {n}\u200e") for n in range(0, 300, 3))
    text += "301\n  ---none---\n    ---none---\n      ---none---\n"
    registry = parse(text, min_entries=100)
    assert registry.kind == "iana" and len(registry.entries) == 100
    assert registry.updated is not None and registry.updated.isoformat() == "2025-08-22"
    out = tmp_path / "a.tsv.gz"
    write(registry, "IANA test", registry.updated, out)
    again = tmp_path / "b.tsv.gz"
    write(parse(text, min_entries=100), "IANA test", registry.updated, again)
    assert out.read_bytes() == again.read_bytes()
    back = read_registry(out)
    assert back.entries == {n: f"Org {n}" for n in range(0, 300, 3)}
    assert back.data_as_of == registry.updated and back.source == "IANA test"
    assert back.lookup_oid("1.3.6.1.4.1.297.4") == (297, "Org 297")
    assert back.lookup(301) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5\tNegative Inc\n", "not 'NUMBER NAME'"),
        ("5\t\n", "empty organisation name"),
        ("5\tA\x7fB\n", "control character"),
        ("1\tA\n1\tB\n", "listed twice"),
        ("1\tA\x07B\n", "control character"),
        ("one\tA\n", "not 'NUMBER NAME'"),
        ("9999999999\tA\n", "out of range"),
        ("5\tA\x1bB\n", "control character"),
        ("5\tA\x85B\n", "control character"),  # C1 control
        ("5\t" + "x" * (pen_build.MAX_NAME_CHARS + 1) + "\n", "longer than"),
        ("009\tA\n9\tB\n", "listed twice"),  # the same number however it is written
        ("5\tA\tB\n", "not 'NUMBER NAME'"),  # a second tab only before a '#' note
        ("Decimal\n5\n  A\n5\n  B\n", "listed twice"),
        ("Decimal\n5\n  A\tB\n", "control character"),
        ("Decimal\n5\n    Contact without an organisation\n", "expected the organisation"),
    ],
)
def test_builder_refuses_more_broken_input(text: str, message: str) -> None:
    with pytest.raises(PenError, match=message):
        parse(text, min_entries=1)


def test_builder_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pen_build, "MAX_INPUT_BYTES", 100)
    with pytest.raises(PenError, match="input larger"):
        parse("5\tA\n" * 30, min_entries=1)
    monkeypatch.setattr(pen_build, "MAX_INPUT_BYTES", 2**20)
    monkeypatch.setattr(pen_build, "MAX_ENTRIES", 10)
    with pytest.raises(PenError, match="more than 10 entries"):
        parse("".join(f"{n}\tA\n" for n in range(11)), min_entries=1)


def test_build_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "enterprises.tsv"
    small.write_text(WIRESHARK, encoding="utf-8")
    assert pen_build.main(["--tsv", str(small), "--out", str(tmp_path / "o.gz")]) == 1
    assert "only 4 entries" in capsys.readouterr().err
    assert not (tmp_path / "o.gz").exists()
    assert pen_build.main(["--tsv", str(tmp_path / "missing.tsv")]) == 1


@pytest.mark.skipif(not WIRESHARK_TSV.is_file(), reason="Debian libwireshark-data not installed")
def test_the_bundled_file_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    package = pen_build.debian_package(WIRESHARK_TSV)
    if package is None or package.version not in default_pen_registry().source:
        pytest.skip("another libwireshark-data than the bundled file was built from")
    out = tmp_path / "enterprises.tsv.gz"
    assert pen_build.main(["--tsv", str(WIRESHARK_TSV), "--out", str(out)]) == 0
    assert out.read_bytes() == BUNDLED.read_bytes()


def test_crlf_line_ends_and_line_separators_inside_a_name() -> None:
    assert parse(WIRESHARK.replace("\n", "\r\n"), min_entries=1).entries == (
        parse(WIRESHARK, min_entries=1).entries
    )
    assert parse("5\tA\u2028B\n", min_entries=1).entries == {5: "A B"}


def test_the_debian_package_is_read_from_dpkgs_own_files(tmp_path: Path) -> None:
    """Which package ships the input and its version, from dpkg's file lists and status
    database (vendors/ runs no programs: tests/test_layers.py)."""
    shipped = tmp_path / "enterprises.tsv"
    shipped.write_text(WIRESHARK, encoding="utf-8")
    dpkg = tmp_path / "dpkg"
    (dpkg / "info").mkdir(parents=True)
    (dpkg / "info" / "other.list").write_text("/usr/bin/other\n", encoding="utf-8")
    (dpkg / "info" / "libwireshark-data.list").write_text(f"/\n{shipped}\n", encoding="utf-8")
    (dpkg / "status").write_text(
        "Package: other\nStatus: install ok installed\nVersion: 1\n\n"
        "Package: libwireshark-data\nStatus: install ok installed\nVersion: 4.0.17-0+deb12u3\n",
        encoding="utf-8",
    )
    package = pen_build.debian_package(shipped, dpkg)
    assert package is not None
    assert (package.name, package.version) == ("libwireshark-data", "4.0.17-0+deb12u3")
    assert pen_build.debian_package(tmp_path / "elsewhere.tsv", dpkg) is None


def test_a_component_makers_enterprise_names_no_device_maker() -> None:
    """Broadcom's FASTPATH switching software reports Broadcom's number inside many makers'
    switches: the registrant is shown, the device's maker stays open."""
    identity = identify({"snmp.sysobjectid": "1.3.6.1.4.1.4413.1.2.2"})
    assert identity.maker is None
    (reason,) = [r for r in identity.reasons if r.rule == "pen:4413"]
    assert "component maker" in reason.detail and reason.weight == 0
