"""Brand and maker names inside free text (vendors/names_in_text.py) and how identify() counts
them: a name the device reports is banner-weight evidence for that maker ("likely"), a name a
person typed names the brand only, and words that are also brand names are not read as brands."""

from __future__ import annotations

import pytest

from core.model import SiteProfile, VerdictStatus
from vendors.catalogue import load_catalogue
from vendors.identify import identify
from vendors.judge import judge
from vendors.names_in_text import MAX_NAMES, NameFinder, weight_class
from vendors.policies import load_policies


@pytest.fixture(scope="module")
def finder() -> NameFinder:
    catalogue = load_catalogue()
    return NameFinder((n, b.id) for b in catalogue.brands.values() for n in (b.name, *b.aliases))


@pytest.mark.parametrize(
    ("text", "brands"),
    [
        ("ZTE F6201B", ("zte",)),
        ("zte-router", ("zte",)),
        ("Hikvision company products", ("hikvision",)),
        ("Huawei Versatile Routing Platform Software", ("huawei",)),
        ("HYTERA MD785G", ("hytera",)),
        ("TP_Link Tapo C200", ("tapo",)),  # the longest name wins: "TP-Link Tapo"
        ("Welcome to the EZVIZ camera", ("ezviz",)),
        ("Hi Watch recorder", ("hiwatch",)),
    ],
)
def test_names_found_as_whole_words(finder: NameFinder, text: str, brands: tuple[str, ...]) -> None:
    assert finder.find(text) == brands


@pytest.mark.parametrize(
    "text",
    [
        "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1 LTS",  # LTS the brand vs Long Term Support
        "Samsung Galaxy S23",  # the Samsung brand in the catalogue is Samsung Techwin's
        "Platinum Storm edition",  # ordinary words
        "Maxis broadband",  # "axis" inside a word
        "Tvt-box",  # short capital names match only in capitals
        "Hikvisionary",
        "",
    ],
)
def test_words_and_parts_of_words_are_not_brands(finder: NameFinder, text: str) -> None:
    assert finder.find(text) == ()


def test_at_most_a_few_names_per_value(finder: NameFinder) -> None:
    text = "works with Hikvision, Dahua, Axis, Bosch, Hanwha and Uniview"
    assert len(finder.find(text)) == MAX_NAMES
    assert finder.find(text)[0] == "hikvision"


def test_weight_class_per_field() -> None:
    assert weight_class("snmp.sysdescr") == "banner"
    assert weight_class("user.model") == "user"
    assert weight_class("hostname") == "user"
    assert weight_class("user.brand") is None  # read as a whole brand name elsewhere
    assert weight_class("mac") is None


def test_device_text_names_its_maker_as_likely() -> None:
    identity = identify({"snmp.sysdescr": "Hikvision company products"})
    assert identity.maker == "hikvision"
    (reason,) = [r for r in identity.reasons if r.field == "snmp.sysdescr"]
    assert reason.weight == pytest.approx(0.4)
    assert "likely" in reason.detail


def test_typed_text_names_the_brand_and_the_catalogue_the_maker() -> None:
    identity = identify({"user.model": "Hytera demo unit"})
    assert identity.maker == "hytera"
    assert identity.confidence <= 0.25  # brand-level link only: low confidence
    assert any("likely" in r.detail for r in identity.reasons)


def test_a_rebrand_name_in_text_gives_the_brand_and_its_maker() -> None:
    identity = identify({"user.model": "EZVIZ C6N"})
    assert (identity.maker, identity.brand) == ("hikvision", "ezviz")


def test_two_makers_in_one_text_are_a_conflict() -> None:
    identity = identify({"http.title": "Dahua and Hikvision NVR"})
    assert identity.maker in {"dahua", "hikvision"}
    assert identity.conflicts


def test_a_value_a_rule_already_read_is_not_counted_twice() -> None:
    identity = identify({"snmp.sysdescr": "Huawei Versatile Routing Platform Software"})
    assert identity.maker == "huawei"
    assert not [r for r in identity.reasons if r.rule.startswith("catalogue:brand:")]


def test_no_maker_from_an_ordinary_banner() -> None:
    assert identify({"banner.ssh": "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1 LTS"}).maker is None


# ---------------------------------------------------------------- a model number on its own


def test_a_model_number_alone_names_its_maker_as_likely_with_low_confidence() -> None:
    identity = identify({"user.model": "RD985"})  # Hytera repeater numbering (a weak rule)
    assert identity.maker == "hytera"
    assert identity.confidence <= 0.25
    (why,) = [r for r in identity.reasons if r.rule == "model-only"]
    assert why.detail.startswith("likely Hytera")


def test_a_model_number_alone_gives_at_most_likely_covered() -> None:
    [ndaa] = [p for p in load_policies().packs if p.id == "ndaa889"]
    identity = identify({"user.model": "MF286D"})  # ZTE mobile-router numbering (weak rule)
    assert identity.maker == "zte"
    verdict = judge(identity, ndaa, SiteProfile())
    assert verdict.status is VerdictStatus.LIKELY_COVERED


@pytest.mark.parametrize(
    "evidence",
    [
        {"user.model": "RD985", "mac": "00:40:8c:12:34:56"},  # an Axis MAC says otherwise
        {"wsd.scopes": "onvif://www.onvif.org/location/country/china"},  # weak, not a model
        {"ports": "34567"},  # a port profile is weaker still
    ],
)
def test_no_model_only_maker_against_other_evidence_or_without_a_model(
    evidence: dict[str, str],
) -> None:
    identity = identify(evidence)
    assert not [r for r in identity.reasons if r.rule == "model-only"]
    assert identity.maker != "hytera"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("reolink.type", "banner"),  # a vendor's own device-info reply
        ("ipctool.board.vendor", "banner"),
        ("vivotek.system_info_modelname", "banner"),
        ("user.device_type", None),  # typed fields are read only where listed (user.model)
        ("snmp.syslocation", None),  # not an identity field
        ("ports", None),
    ],
)
def test_identity_fields_of_other_vocabularies(field: str, expected: str | None) -> None:
    assert weight_class(field) == expected


def test_a_vendor_reply_naming_the_maker_counts() -> None:
    identity = identify({"reolink.type": "Reolink Argus Eco"})
    assert identity.maker == "reolink"


def test_a_model_typed_in_lower_case_is_read_as_the_maker_prints_it() -> None:
    identity = identify({"user.model": "hg8245h"})  # Huawei ONT numbering, typed in lower case
    assert identity.maker == "huawei"
    assert identity.model == "HG8245H"
    (reason,) = [r for r in identity.reasons if r.field == "user.model" and r.indicates]
    assert reason.value == "hg8245h"  # the reason quotes what was typed
