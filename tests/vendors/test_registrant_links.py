"""MAC registrants linked to catalogue makers systematically, by normalised name.

Makers register blocks under other spellings, under subsidiaries and under old company names;
the catalogue links them without a case-by-case list (vendors/catalogue.py, "Registrant
linking"), and never by a shared word ("Shanghai Dahua Scale Factory" is not Dahua).
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.model import Relationship
from vendors.catalogue import load_catalogue, org_base, org_key
from vendors.fingerprints import load_rules
from vendors.identify import Engine, identify
from vendors.oui import OuiRegistry
from vendors.oui_build import link_summary

CAT = load_catalogue()


@pytest.mark.parametrize(
    ("name", "key", "base"),
    [
        ("Huawei Technologies Co.,Ltd", "huawei technologies co ltd", "huawei technologies"),
        ("HUAWEI TECHNOLOGIES CO., LTD.", "huawei technologies co ltd", "huawei technologies"),
        ("Sepura Limited", "sepura ltd", "sepura"),
        ("Teltronic S.A.U.", "teltronic sau", "teltronic"),
        ("Teltronic AG", "teltronic ag", "teltronic"),
        ("Lt Security Inc", "lt security inc", "lt security"),
        ("Av Tech Corporation", "av tech corp", "av tech"),
    ],
)
def test_names_fold_case_punctuation_and_legal_form_spelling(
    name: str, key: str, base: str
) -> None:
    assert (org_key(name), org_base(name)) == (key, base)


def test_another_spelling_of_a_curated_registrant_links() -> None:
    link = CAT.link_registrant("HUAWEI TECHNOLOGIES CO LIMITED")
    assert link is not None and (link.maker, link.how) == ("huawei", "spelling")
    assert CAT.link_registrant("Cisco Systems Inc").maker == "cisco"  # type: ignore[union-attr]


def test_a_bare_company_name_takes_any_legal_form() -> None:
    link = CAT.link_registrant("Honeywell GmbH")
    assert link is not None and link.maker == "honeywell"


@pytest.mark.parametrize(
    "org",
    [
        "Shanghai Dahua Scale Factory",  # shares a word, another company
        "Teltronic AG",  # same word, other legal form: the Swiss Teltronic, not Teltronic S.A.U.
        "Shenzhen Honor Electronic Co.,Ltd",  # not Honor Device
        "GENETEC Corporation",  # the curated Genetec is "Genetec Inc."
        "Axis Corporation",  # Axis is known by its own spelling, Axis Communications AB
        "PLATINUM GmbH",  # a one-word brand alias (LTS Platinum) is too generic
        "Jorex Lorex India Private Limited",
    ],
)
def test_names_that_only_look_alike_stay_unlinked(org: str) -> None:
    assert CAT.link_registrant(org) is None


def test_an_old_company_name_links_to_its_brand_and_through_it_to_the_maker() -> None:
    link = CAT.link_registrant("Lt Security Inc")
    assert link is not None
    assert (link.brand, link.how, link.likely) == ("lts", "brand_name", True)
    identity = identify({"mac": "14:2f:fd:00:00:01"})  # the registry's "Lt Security Inc" block
    assert (identity.maker, identity.brand) == ("hikvision", "lts")
    assert identity.relationship is Relationship.OEM
    text = " ".join(r.detail for r in identity.reasons)
    assert "Lt Security Inc" in text and "likely" in text
    assert "source:" in text  # the brand link's source is named
    assert identity.confidence <= 0.25  # a name-only link stays "likely"


def test_a_subsidiary_block_gives_the_subsidiary_and_its_parent_by_date() -> None:
    identity = identify({"mac": "00:1e:96:00:00:01"})  # Sepura Limited
    assert identity.maker == "sepura"
    assert [p for p, _ in CAT.lineage("sepura", dt.date(2019, 1, 1))] == ["hytera"]
    link = CAT.makers["sepura"].parents[0]
    assert link.kind == "former_subsidiary" and link.source and link.confidence == "H"


def test_a_registry_spelling_the_catalogue_never_saw_still_names_the_maker() -> None:
    registry = OuiRegistry()
    registry.tables[24][0x04BBCC] = "HYTERA COMMUNICATIONS CORPORATION LTD."
    engine = Engine(load_rules(), CAT, registry)
    identity = engine.identify({"mac": "04:bb:cc:00:00:01"})
    assert identity.maker == "hytera"
    assert identity.registrant == "HYTERA COMMUNICATIONS CORPORATION LTD."
    assert any("registry spelling of" in r.detail for r in identity.reasons)


def test_the_summary_lists_links_and_look_alikes_for_review() -> None:
    table = {
        ("AABBC0", 24): "Zhejiang Dahua Technology Co., Ltd.",
        ("AABBC1", 24): "ZHEJIANG DAHUA TECHNOLOGY CO., LIMITED",
        ("AABBC2", 24): "Lt Security Inc",
        ("AABBC3", 24): "Shanghai Dahua Scale Factory",
        ("AABBC4", 24): "Acme Widgets Ltd",
    }
    summary = link_summary(table, CAT)
    assert (summary.blocks, summary.registrants, summary.groups) == (5, 5, 4)
    how = {row.org: (row.how, row.target) for row in summary.rows}
    assert how["Zhejiang Dahua Technology Co., Ltd."] == ("exact", "dahua")
    assert how["ZHEJIANG DAHUA TECHNOLOGY CO., LIMITED"] == ("spelling", "dahua")
    assert how["Lt Security Inc"] == ("brand_name", "lts")
    assert how["Shanghai Dahua Scale Factory"] == ("candidate", "dahua")  # for review only
    assert "Acme Widgets Ltd" not in how
    assert any("NOT linked" in line for line in summary.lines())
