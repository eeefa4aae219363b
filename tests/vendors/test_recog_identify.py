"""identify() with recog as a second knowledge source (vendors.recog.source / meaning / store),
over our own recog-format fixtures in tests/data/recog_format/good/."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from core.model import DeviceType, EvidenceValue, Identity
from vendors.catalogue import load_catalogue
from vendors.fingerprints import load_rules
from vendors.identify import Engine
from vendors.oui import default_registry
from vendors.recog import store
from vendors.recog.db import parse_file, read_directory
from vendors.recog.meaning import FieldUse, device_type, recog_forms, resolve_vendor
from vendors.recog.selftest import run_self_test
from vendors.recog.source import RecogDB, Recognizer

DATA = Path(__file__).resolve().parents[1] / "data" / "recog_format"
VERSION = "rapid7/recog 0000000 (2026-01-01)"


def _engine(db: RecogDB | None) -> Engine:
    catalogue = load_catalogue()
    recog = Recognizer(db, catalogue) if db is not None else None
    return Engine(load_rules(), catalogue, default_registry(), recog=recog)


@pytest.fixture(scope="module")
def good() -> RecogDB:
    return RecogDB(read_directory(DATA / "good" / "xml"), VERSION)


def _identify(db: RecogDB | None, evidence: Mapping[str, EvidenceValue]) -> Identity:
    return _engine(db).identify(evidence)


def _recog_reasons(identity: Identity) -> list[str]:
    return [r.rule for r in identity.reasons if r.rule.startswith("recog:")]


@pytest.mark.parametrize(
    ("evidence", "maker", "kind", "model", "firmware"),
    [
        ({"http.server": "HikTestd/3.1"}, "hikvision", DeviceType.RECORDER, None, None),
        (
            {"http.server": "CamServ IP-4242X build 1234"},
            "dahua",
            DeviceType.CAMERA,
            "IP-4242X",
            "1234",
        ),
        ({"http.realm": "TestGateway-H42"}, "zte", DeviceType.ROUTER, "H42", None),
        ({"rtsp.realm": "TestGateway-F1"}, "zte", DeviceType.ROUTER, "F1", None),
        ({"banner.ssh": "SSH-2.0-TestVRP_SSH_2.0"}, "huawei", DeviceType.SWITCH, None, "2.0"),
        (
            {"banner.telnet": "Test Radio Repeater RX-9 login:"},
            "hytera",
            DeviceType.RADIO,
            "RX-9",
            None,
        ),
        (
            {"tls.subject": "CN=test.example,OU=TESTNVR,O=TESTMAKER,C=CN"},
            "hikvision",
            DeviceType.RECORDER,
            None,
            None,
        ),
        ({"mdns.txt.model": "TESTCAM12"}, "axis", DeviceType.CAMERA, "12", None),
    ],
)
def test_recog_names_maker_type_model_where_our_rules_know_nothing(
    good: RecogDB,
    evidence: dict[str, str],
    maker: str,
    kind: DeviceType,
    model: str | None,
    firmware: str | None,
) -> None:
    assert _identify(None, evidence).maker is None  # our own rules alone say nothing
    identity = _identify(good, evidence)
    assert (identity.maker, identity.device_type) == (maker, kind)
    assert (identity.model, identity.firmware) == (model, firmware)
    assert 0.3 <= identity.confidence < 0.6  # a banner alone: "likely", never certain
    (reason,) = [r for r in identity.reasons if r.rule.startswith("recog:")]
    assert reason.detail.startswith(f"recog {reason.rule.split(':')[1]}: Test ")
    assert VERSION in reason.detail and "→ likely" in reason.detail
    assert reason.indicates == maker


def test_a_recog_rebrand_name_gives_the_brand_and_the_catalogue_the_likely_maker(
    good: RecogDB,
) -> None:
    identity = _identify(good, {"http.server": "RebrandCam-httpd"})
    assert (identity.brand, identity.maker) == ("annke", "hikvision")
    assert identity.confidence <= 0.25  # brand-level link only


def test_a_soc_maker_is_a_component_flag_not_the_maker(good: RecogDB) -> None:
    identity = _identify(good, {"http.server": "SocBox/1"})
    assert identity.maker is None and identity.component_flags == ("hisilicon_soc",)
    assert identity.device_type is DeviceType.RECORDER


def test_a_vendor_outside_the_catalogue_is_shown_not_guessed(good: RecogDB) -> None:
    identity = _identify(good, {"http.server": "Widget Router 2.0.1"})
    assert identity.maker is None and identity.device_type is DeviceType.ROUTER
    (reason,) = [r for r in identity.reasons if r.rule.startswith("recog:")]
    assert reason.weight == 0 and "'Widget Networks' is not in the catalogue" in reason.detail


def test_zero_certainty_is_information_only(good: RecogDB) -> None:
    identity = _identify(good, {"http.server": "UncertainCam"})
    assert (identity.maker, identity.brand) == (None, None)
    (reason,) = [r for r in identity.reasons if r.rule.startswith("recog:")]
    assert reason.weight == 0 and "uncertain: not counted" in reason.detail


def test_when_recog_and_our_rules_disagree_the_conflict_is_shown_with_both_sources(
    good: RecogDB,
) -> None:
    identity = _identify(
        good, {"http.server": "App-webs/", "sadp.DeviceDescription": "DS-2CD2385G1-I"}
    )
    assert identity.maker == "hikvision"  # our vendor-protocol rules know more than a banner
    (conflict,) = [c for c in identity.conflicts if c.rule.startswith("recog:")]
    assert conflict.indicates == "axis" and "recog http_servers.xml" in conflict.detail
    assert "http.server:hikvision-app-webs" in {r.rule for r in identity.reasons}
    alone = _identify(
        None, {"http.server": "App-webs/", "sadp.DeviceDescription": "DS-2CD2385G1-I"}
    )
    assert identity.confidence < alone.confidence  # a conflict lowers the confidence


def test_recog_agreeing_with_our_rule_on_the_same_value_counts_once() -> None:
    agreeing = parse_file(
        "http_servers.xml",
        b'<fingerprints matches="http_header.server"><fingerprint pattern="^App-webs/$">'
        b"<description>agreeing test fingerprint</description>"
        b'<param pos="0" name="hw.vendor" value="Hikvision"/></fingerprint></fingerprints>',
    )
    evidence = {"http.server": "App-webs/"}
    with_recog = _identify(RecogDB([agreeing], VERSION), evidence)
    assert with_recog.confidence == _identify(None, evidence).confidence
    (reason,) = [r for r in with_recog.reasons if r.rule.startswith("recog:")]
    assert reason.weight == 0 and "counted once" in reason.detail


def test_claims_are_memoised_per_field_and_value(
    good: RecogDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    recognizer = Recognizer(good, load_catalogue())
    calls: list[str] = []
    real = good.match

    def counting(name: str, value: str) -> object:
        calls.append(value)
        return real(name, value)

    monkeypatch.setattr(RecogDB, "match", lambda self, name, value: counting(name, value))
    first = recognizer.claims([("http.server", "HikTestd/3.1")])
    second = recognizer.claims([("http.server", "HikTestd/3.1")])
    assert first == second and first[0] is second[0]
    assert calls == ["HikTestd/3.1"]


# ------------------------------------------------------------------ fields, vendors, types


@pytest.mark.parametrize(
    ("use", "name", "value", "forms"),
    [
        (
            FieldUse("w", "http.realm", "realm"),
            "http.realm",
            "R",
            ['Basic realm="R"', 'Digest realm="R"'],
        ),
        (FieldUse("s", "banner.ssh", "ssh"), "banner.ssh", "SSH-2.0-OpenSSH_9.2", ["OpenSSH_9.2"]),
        (
            FieldUse("f", "banner.ftp", "ftp"),
            "banner.ftp",
            "220-Hello\n220 Cam ready.",
            ["Hello", "Cam ready."],
        ),
        (FieldUse("m", "mdns.txt.", "txt"), "mdns.txt.model", "X1", ["model=X1"]),
        (
            FieldUse("t", "banner.telnet", "lines"),
            "banner.telnet",
            "F1\nLogin:",
            ["F1\nLogin:", "F1\r\nLogin:"],
        ),
        (FieldUse("h", "http.server"), "http.server", "x", ["x"]),
    ],
)
def test_values_are_put_in_the_form_recog_examples_have(
    use: FieldUse, name: str, value: str, forms: list[str]
) -> None:
    assert list(recog_forms(use, name, value)) == forms


@pytest.mark.parametrize(
    ("name", "maker", "brand", "component"),
    [
        ("Hikvision", "hikvision", "hikvision", None),
        ("HUAWEI", "huawei", "huawei", None),
        ("Huawei Technologies Co., Ltd.", "huawei", "huawei", None),
        ("Shanghai Dahua Scale Factory", None, None, None),
        ("HiSilicon", None, None, "hisilicon_soc"),
        ("ANNKE", None, "annke", None),
        ("Nobody Networks", None, None, None),
    ],
)
def test_recog_vendor_names_are_read_against_the_catalogue_exactly(
    name: str, maker: str | None, brand: str | None, component: str | None
) -> None:
    vendor = resolve_vendor(load_catalogue(), name)
    assert (vendor.maker, vendor.brand, vendor.component) == (maker, brand, component)


def test_names_match_exactly_never_by_substring() -> None:
    assert resolve_vendor(load_catalogue(), "Huawei-3com").maker != "huawei"  # H3C
    assert resolve_vendor(load_catalogue(), "Huawei Cloud Test Labs").maker is None


@pytest.mark.parametrize(
    ("recog", "ours"),
    [
        ("IP Camera", DeviceType.CAMERA),
        ("NVR", DeviceType.RECORDER),
        ("DVR", DeviceType.RECORDER),
        ("Video Encoder", DeviceType.ENCODER),
        ("Broadband Router", DeviceType.ROUTER),
        ("WAP", DeviceType.ACCESS_POINT),
        ("VoIP", DeviceType.PHONE),
        ("Printer", DeviceType.PRINTER),
        ("Laptop", DeviceType.COMPUTER),
        ("Switch", DeviceType.SWITCH),
        ("Light Bulb", DeviceType.UNKNOWN),
        (None, DeviceType.UNKNOWN),
    ],
)
def test_recog_device_names_map_to_our_device_types(recog: str | None, ours: DeviceType) -> None:
    assert device_type(recog) is ours


# ----------------------------------------------------------------------- installed copy


def test_the_index_keeps_usable_fingerprints_only_and_reads_back() -> None:
    files = read_directory(DATA / "failing" / "xml")
    result = run_self_test(files)
    db = store.parse_index(store.render_index(files, result), VERSION)
    assert [fp.ref for f in db.files for fp in f.fingerprints] == ["http_servers.xml:21"]
    assert db.files[0].first_match("Fine/1") is not None


def test_a_damaged_installed_copy_is_reported_and_identify_runs_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    store.forget()
    try:
        assert store.installed() is None and store.installed_problem() is None  # none
        store.current_dir().mkdir(parents=True)
        (store.current_dir() / store.MANIFEST).write_text("{not json")
        store.forget()
        assert store.installed() is None
        assert "manifest.json: not valid JSON" in (store.installed_problem() or "")
    finally:
        store.forget()
