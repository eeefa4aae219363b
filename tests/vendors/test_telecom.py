"""Huawei, ZTE and Hytera telecommunications equipment, from raw evidence to verdicts.

§889(f)(3)(A) covers Huawei and ZTE telecommunications equipment whatever it is used for;
§889(f)(3)(B) covers Hytera's only for the listed purposes.  Subsidiaries and affiliates count
while the link holds, so divestitures (Honor 2020, H3C 2007, Sepura 2022) change the answer by
production date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from core.model import DeviceType, EvidenceValue, SiteProfile, SiteUse, VerdictStatus
from vendors.catalogue import load_catalogue
from vendors.identify import identify
from vendors.judge import judge
from vendors.policies import Policy, load_policies

S = VerdictStatus
U = SiteUse
TODAY = dt.date(2026, 12, 10)
CAT = load_catalogue()

# A Huawei ONT seen the way a LAN scan sees it: its MAC (a Huawei Technologies block) and its
# web realm.
HUAWEI_ONT = {"mac": "00:e0:fc:12:34:56", "http.realm": "HuaweiHomeGateway"}
ZTE_GATEWAY = {"mac": "00:19:c6:12:34:56", "http.realm": "ZXHN H267A"}
HUAWEI_SWITCH_SNMP = {
    "snmp.sysdescr": "Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 "
    "(S5735 V200R019C10SPC500) Copyright (C) 2000-2020 HUAWEI TECH CO., LTD",
    "snmp.sysobjectid": "1.3.6.1.4.1.2011.2.23.399",
}
HYTERA_REPEATER = {"snmp.sysobjectid": "1.3.6.1.4.1.40297.1.1", "user.model": "RD985"}


@pytest.fixture(scope="module")
def ndaa() -> Policy:
    return next(p for p in load_policies().packs if p.id == "ndaa889")


def _verdict(
    evidence: Mapping[str, EvidenceValue], pack: Policy, uses: tuple[SiteUse, ...]
) -> tuple[VerdictStatus, str]:
    site = SiteProfile(uses=uses, jurisdictions=("us",), assessment_date=TODAY)
    verdict = judge(identify(evidence), pack, site)
    return verdict.status, "\n".join(verdict.reasons)


@pytest.mark.parametrize("uses", [(U.GENERAL_COMMERCIAL,), (U.PUBLIC_SAFETY,)])
@pytest.mark.parametrize(
    "evidence", [HUAWEI_ONT, ZTE_GATEWAY, HUAWEI_SWITCH_SNMP], ids=["ont", "zxhn", "vrp"]
)
def test_huawei_zte_telecom_gear_is_covered_whatever_its_use(
    evidence: Mapping[str, EvidenceValue], uses: tuple[SiteUse, ...], ndaa: Policy
) -> None:
    status, text = _verdict(evidence, ndaa, uses)
    assert status is S.COVERED, text
    assert "§889(f)(3)(A)" in text or "f3A" in text, text


def test_hytera_radio_gear_is_covered_only_for_the_listed_uses(ndaa: Policy) -> None:
    evidence = {**HYTERA_REPEATER, "user.brand": "Hytera"}
    public, _ = _verdict(evidence, ndaa, (U.PUBLIC_SAFETY,))
    retail, text = _verdict(evidence, ndaa, (U.GENERAL_COMMERCIAL,))
    assert public in (S.COVERED, S.LIKELY_COVERED)
    assert retail is S.COVERED_FOR_USE, text  # the use condition is for a person to decide


def test_telecom_identities_carry_the_device_type() -> None:
    assert identify(HUAWEI_ONT).device_type is DeviceType.ROUTER
    assert identify(ZTE_GATEWAY).device_type is DeviceType.ROUTER
    switch = identify(HUAWEI_SWITCH_SNMP)
    assert (switch.maker, switch.model, switch.device_type) == (
        "huawei",
        "S5735",
        DeviceType.SWITCH,
    )
    assert identify(HYTERA_REPEATER).device_type is DeviceType.RADIO


def test_a_camera_banner_does_not_make_a_router() -> None:
    assert identify({"http.server": "App-webs/"}).device_type is not DeviceType.ROUTER


# ------------------------------------------------------------------ divestitures by date


def test_honor_devices_are_huaweis_before_the_sale_and_not_after() -> None:
    before = [p for p, _ in CAT.lineage("honor", dt.date(2020, 6, 1))]
    after = [p for p, _ in CAT.lineage("honor", dt.date(2021, 6, 1))]
    assert before == ["huawei"]
    assert after == []
    brand = CAT.brands["honor"]
    assert {lk.maker for lk in brand.makers_on(dt.date(2019, 1, 1))} == {"huawei"}
    assert {lk.maker for lk in brand.makers_on(dt.date(2022, 1, 1))} == {"honor"}


def test_an_honor_block_is_honor_and_not_covered_today(ndaa: Policy) -> None:
    honor_mac = {"mac": "04:79:75:00:00:01"}  # an MA-L block of Honor Device Co., Ltd.
    assert identify(honor_mac).maker == "honor"
    status, text = _verdict(honor_mac, ndaa, (U.PUBLIC_SAFETY,))
    assert not status.flagged, text


def test_h3c_was_a_huawei_venture_until_2007_only() -> None:
    assert {p for p, _ in CAT.lineage("h3c", dt.date(2005, 1, 1))} == {"huawei"}
    assert {p for p, _ in CAT.lineage("h3c", dt.date(2007, 6, 1))} == {"huawei"}
    assert CAT.lineage("h3c", dt.date(2009, 1, 1)) == []
    assert CAT.lineage("new_h3c", dt.date(2020, 1, 1)) == []


def test_sepura_left_hytera_in_2022_but_teltronic_stayed() -> None:
    assert {p for p, _ in CAT.lineage("sepura", dt.date(2019, 1, 1))} == {"hytera"}
    assert CAT.lineage("sepura", dt.date(2024, 1, 1)) == []
    assert {p for p, _ in CAT.lineage("teltronic", dt.date(2024, 1, 1))} == {"hytera"}
    # before Hytera bought Sepura, Teltronic was Sepura's and nobody's covered affiliate
    assert [p for p, _ in CAT.lineage("teltronic", dt.date(2016, 1, 1))] == ["sepura"]


def test_norsat_from_the_day_the_arrangement_completed() -> None:
    assert CAT.lineage("norsat", dt.date(2017, 7, 19)) == []
    assert [p for p, _ in CAT.lineage("norsat", dt.date(2017, 7, 20))] == ["hytera"]


@pytest.mark.parametrize(
    "maker", ["huawei_device", "hisilicon", "huawei_symantec", "zte_shanghai", "nubia"]
)
def test_group_companies_reach_their_covered_parent_today(maker: str) -> None:
    parents = {p for p, _ in CAT.lineage(maker, TODAY)}
    assert parents & {"huawei", "zte"}, maker


def test_every_new_group_link_names_a_source_and_a_confidence() -> None:
    for ident in ("honor", "h3c", "huawei_symantec", "nubia", "ztesec", "sepura", "teltronic",
                  "norsat", "sinclair", "hytera_mobilfunk", "hytera_us"):  # fmt: skip
        for link in CAT.makers[ident].parents:
            assert link.source and link.confidence in ("H", "M", "L"), ident
