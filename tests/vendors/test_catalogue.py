"""The brand / OEM catalogue: required content, exact lookups, dated lineage, broken files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from vendors.catalogue import CatalogueError, find_cycle, load_catalogue, parse_catalogue

CAT = load_catalogue()

# The covered companies (NDAA §889, FCC Covered List), their subsidiaries, affiliates and
# OEM makers, and the makers the brief names: all must be present.
REQUIRED_MAKERS = [
    "hikvision",
    "dahua",
    "huawei",
    "zte",
    "hytera",
    "ezviz",
    "prama_hikvision",
    "hikvision_usa",
    "hikvision_canada",
    "hiksemi",
    "hikmicro",
    "hikrobot",
    "pyronix",
    "huacheng",
    "dahua_zhilian",
    "dahua_usa",
    "luminys",
    "lorex",
    "skywatch",
    "huawei_device",
    "hisilicon",
    "honor",
    "sepura",
    "teltronic",
    "norsat",
    "kaspersky",
    "dji",
    "autel",
    "quectel",
    "uniview",
    "tiandy",
    "xiongmai",
    "tplink",
    "reolink",
    "axis",
    "bosch",
    "hanwha",
    "avigilon",
    "vivotek",
    "mobotix",
    "milestone",
    "pelco",
    "dlink",
    "edimax",
    "ednet",
    "honeywell",
    "amcrest",
    "swann",
]
REQUIRED_BRANDS = [
    "ezviz",
    "hilook",
    "hiwatch",
    "hiksemi",
    "prama_hikvision",
    "imou",
    "ezip",
    "lorex",
    "amcrest",
    "empiretech",
    "ic_realtime",
    "cp_plus",
    "intelbras",
    "gss",
    "inaxsys",
    "ens",
    "montavue",
    "optiview",
    "vip_vision",
    "rhino",
    "rvi",
    "kbvision",
    "zuum",
    "winic",
    "dh_vision",
    "bosch",
    "speco",
    "activecam",
    "honeywell",
    "panasonic",
    "adt",
    "annke",
    "q_see",
    "flir",
    "indigovision",
    "securitytronix",
    "advidia",
    "eltrox",
    "honeywell_performance",
    "truvision",
    "hills",
    "luma",
    "swann",
    "lts",
    "adi",
    "bv_security",
    "alarm_com",
    "trendnet",
    "agm",
    "uniview",
    "uniarch",
    "vigi",
    "tapo",
]


@pytest.mark.parametrize("maker", REQUIRED_MAKERS)
def test_required_maker_present_with_provenance(maker: str) -> None:
    entry = CAT.makers[maker]
    assert entry.source and entry.as_of and entry.confidence in ("H", "M", "L")


@pytest.mark.parametrize("brand", REQUIRED_BRANDS)
def test_required_brand_present(brand: str) -> None:
    assert brand in CAT.brands


def test_every_link_names_a_source() -> None:
    for brand in CAT.brands.values():
        for link in brand.links:
            assert link.source, brand.id
    for maker in CAT.makers.values():
        for link in maker.parents:
            assert link.source, maker.id


def test_confidence_is_kept_as_domain_md_gives_it() -> None:
    assert CAT.makers["hikmicro"].confidence == "L"  # "from memory ... verify"
    assert CAT.makers["pyronix"].confidence == "L"
    assert CAT.brands["alarm_com"].links[0].confidence == "L"
    assert CAT.makers["ezviz"].confidence == "H"


def test_org_lookup_is_exact_after_normalising_case_and_space() -> None:
    assert CAT.maker_for_org("Hangzhou Hikvision Digital Technology Co.,Ltd.") == "hikvision"
    assert CAT.maker_for_org("  HANGZHOU  hikvision digital technology co.,ltd. ") == "hikvision"
    assert CAT.maker_for_org("Zhejiang Dahua Technologyco.,Ltd") == "dahua"
    assert CAT.maker_for_org("Hikvision") is None
    assert CAT.maker_for_org("Shanghai Dahua Scale Factory") is None
    assert CAT.maker_for_org("Jorex Lorex India Private Limited") is None


def test_brand_lookup_uses_names_and_aliases_only() -> None:
    assert CAT.brand_by_name("annke").id == "annke"  # type: ignore[union-attr]
    assert CAT.brand_by_name("Lechange").id == "imou"  # type: ignore[union-attr]
    assert CAT.brand_by_name("LT Security").id == "lts"  # type: ignore[union-attr]
    assert CAT.brand_by_name("Annke Security") is None


def test_lorex_was_dahua_until_2023_then_skywatch() -> None:
    before = CAT.lineage("lorex", dt.date(2020, 6, 1))
    after = CAT.lineage("lorex", dt.date(2024, 6, 1))
    assert [p for p, _ in before] == ["dahua"]
    assert [p for p, _ in after] == ["skywatch"]
    # but the brand is still Dahua-made: the OEM link holds after the sale
    kinds = {lk.kind for lk in CAT.brands["lorex"].makers_on(dt.date(2024, 6, 1))}
    assert kinds == {"oem"}


def test_dahua_usa_sold_in_january_2024() -> None:
    assert [p for p, _ in CAT.lineage("dahua_usa", dt.date(2023, 12, 31))] == ["dahua"]
    assert [p for p, _ in CAT.lineage("dahua_usa", dt.date(2024, 2, 1))] == [
        "central_motion_picture_usa"
    ]


def test_lineage_walks_up_the_chain() -> None:
    assert [p for p, _ in CAT.lineage("teltronic", dt.date(2020, 1, 1))][:2] == ["sepura", "hytera"]
    assert [p for p, _ in CAT.lineage("hisilicon")] == ["huawei"]
    with pytest.raises(KeyError):
        CAT.lineage("no_such_maker")


def test_annke_moved_from_dahua_to_hikvision() -> None:
    links = CAT.brands["annke"].makers_on(dt.date(2026, 1, 1))
    assert [lk.maker for lk in links] == ["hikvision"]


def test_each_maker_has_an_own_brand_to_be_sold_under() -> None:
    assert CAT.brands["axis"].links[0].kind == "own_brand"
    assert CAT.brands["axis"].links[0].maker == "axis"


MINIMAL = """
[sources]
s = "somewhere"

[makers.a]
name = "A"
source = "@s"

[makers.b]
name = "B"
source = "@s"
parents = [{ maker = "a", kind = "subsidiary", source = "@s" }]
"""


def test_bad_entry_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cat.toml"
    path.write_text(
        MINIMAL
        + '\n[brands.x]\nname = "X"\nlinks = [{ maker = "nope", kind = "oem", source = "@s" }]\n'
    )
    with pytest.raises(
        CatalogueError, match=r"cat\.toml:14: brands\.x: link to unknown maker 'nope'"
    ):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[makers.c]\nname = "C"\nsource = "@missing"\n', "not in \\[sources\\]"),
        ('[makers.c]\nname = "C"\nsource = "@s"\nconfidence = "X"\n', "confidence must be"),
        ('[makers.C]\nname = "C"\nsource = "@s"\n', "lowercase slug"),
        (
            '[makers.c]\nname = "C"\nsource = "@s"\n'
            'parents = [{ maker = "a", kind = "owner", source = "@s" }]\n',
            "link kind",
        ),
        ('[makers.c]\nname = "C"\nsource = "@s"\nas_of = "2024"\n', "TOML date"),
    ],
)
def test_malformed_entries_are_refused(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(MINIMAL + "\n" + extra, tmp_path / "c.toml")


def test_parent_cycle_is_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        'name = "A"', 'name = "A"\nparents = [{ maker = "b", kind = "affiliate", source = "@s" }]'
    )
    with pytest.raises(CatalogueError, match="cycle"):
        parse_catalogue(text, tmp_path / "c.toml")


def test_shipped_catalogue_has_no_cycle() -> None:
    assert find_cycle(CAT.makers) is None
