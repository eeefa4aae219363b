"""From raw evidence to verdicts: the real identify() feeding the real judge(), as a scan does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from core.model import EvidenceValue, SiteProfile, SiteUse, VerdictStatus
from vendors.identify import identify
from vendors.judge import judge
from vendors.policies import EXAMPLES_DIR, Policy, load_policies

S = VerdictStatus
U = SiteUse
BEFORE_LOREX_SALE = dt.date(2022, 6, 1)
TODAY = dt.date(2026, 11, 29)

HIK_SADP = {
    "mac": "58:50:ed:1f:e3:85",
    "sadp.DeviceDescription": "DS-2CD2385G1-I",
    "sadp.DeviceSN": "DS-2CD2385G1-I20200414AAWRE33842150",
}
ANNKE = {
    "mac": "44:19:b6:01:02:03",
    "isapi.systemContact": "Hikvision.China",
    "onvif.manufacturer": "ANNKE",
    "isapi.model": "N46PCK",
}
LOREX_DAHUA_MADE = {
    "mac": "3c:ef:8c:01:02:03",
    "dhip.Vendor": "LOREX",
    "dhip.SerialNo": "ND0123456789",
    "dhip.DeviceType": "N841A63B",
}


@dataclass
class Case:
    name: str
    pack: str
    evidence: Mapping[str, EvidenceValue]
    uses: tuple[SiteUse, ...]
    status: VerdictStatus
    on: dt.date = TODAY
    says: tuple[str, ...] = ()


# fmt: off
CASES = [
    Case("hikvision SADP camera, public safety", "ndaa889", HIK_SADP, (U.PUBLIC_SAFETY,),
         S.COVERED, says=("Made by Hikvision", "OUI 58:50:ED")),
    Case("hikvision SADP camera, retail", "ndaa889", HIK_SADP, (U.GENERAL_COMMERCIAL,),
         S.COVERED_FOR_USE, says=("FAR 52.204-25 Part B",)),
    Case("annke NVR (Hikvision OEM)", "ndaa889", ANNKE, (U.PUBLIC_SAFETY,), S.LIKELY_COVERED,
         says=("Sold as Annke; made by Hikvision (OEM",)),
    Case("no-name camera with a HiSilicon telnetd banner", "ndaa889",
         {"telnet.banner": "(none) login: The products of network camera"},
         (U.PUBLIC_SAFETY,), S.COMPONENT_RISK, says=("hisilicon_soc",)),
    Case("uniview under ndaa889", "ndaa889",
         {"mac": "48:ea:63:01:02:03", "onvif.manufacturer": "Uniview"}, (U.PUBLIC_SAFETY,),
         S.NOT_COVERED),
    Case("uniview under the internal PRC pack", "internal_no_prc_cameras",
         {"mac": "48:ea:63:01:02:03", "onvif.manufacturer": "Uniview"}, (U.GENERAL_COMMERCIAL,),
         S.COVERED),
    Case("open ports only", "ndaa889", {"ip": "198.18.0.9", "ports": (80,)}, (U.PUBLIC_SAFETY,),
         S.UNKNOWN, says=("needs a person",)),
    Case("'Lorex' typed in an inventory, before the sale", "ndaa889", {"user.brand": "Lorex"},
         (U.PUBLIC_SAFETY,), S.LIKELY_COVERED, on=BEFORE_LOREX_SALE,
         says=("Lorex is a subsidiary of Dahua Technology",)),
    Case("'Lorex' typed in an inventory, after the sale", "ndaa889", {"user.brand": "Lorex"},
         (U.PUBLIC_SAFETY,), S.UNKNOWN,
         says=("the brand alone does not tie this device to Dahua Technology",
               "Some Lorex products are made by Dahua Technology")),
    Case("lorex unit with Dahua-made evidence, after the sale", "ndaa889", LOREX_DAHUA_MADE,
         (U.PUBLIC_SAFETY,), S.LIKELY_COVERED, says=("Sold as Lorex; made by Dahua Technology",)),
    Case("huawei router", "ndaa889",
         {"mac": "00:e0:fc:11:22:33", "snmp.sysdescr": "Huawei Versatile Routing Platform Software",
          "user.model": "AR651"}, (U.GENERAL_COMMERCIAL,), S.COVERED, says=("router",)),
    Case("hytera radio", "fcc_covered_list", {"mac": "64:69:bc:11:22:33", "user.model": "PD785"},
         (U.PUBLIC_SAFETY,), S.COVERED, says=("telecommunications", "keep using")),
]
# fmt: on


@pytest.fixture(scope="module")
def packs() -> dict[str, Policy]:
    return {p.id: p for p in load_policies(user_dir=EXAMPLES_DIR).packs}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_evidence_to_verdict(case: Case, packs: dict[str, Policy]) -> None:
    identity = identify(case.evidence)
    where = SiteProfile(uses=case.uses, jurisdictions=("us",), assessment_date=case.on)
    verdict = judge(identity, packs[case.pack], where)
    text = "\n".join(verdict.reasons)
    assert verdict.status is case.status, f"{identity}\n{text}"
    for phrase in case.says:
        assert phrase in text, f"{phrase!r} missing from:\n{text}"
