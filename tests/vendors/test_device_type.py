"""Device type: the data file's own examples, how identify() decides, and how it is stored."""

from __future__ import annotations

import pytest

from core.model import DeviceType, Identity, Relationship
from vendors.device_type import (
    MODEL,
    DeviceTypeError,
    TypeRule,
    default_rules,
    default_type_rules,
    parse_rules,
)
from vendors.fingerprints import load_rules
from vendors.identify import identify

RULES = default_rules()
TYPES = default_type_rules()


def _family(maker: str) -> frozenset[str]:
    return frozenset({maker})


def _examples() -> list[tuple[TypeRule, str, DeviceType]]:
    return [(rule, value, kind) for rule in RULES for value, kind in rule.examples]


@pytest.mark.parametrize(
    ("rule", "value", "kind"), _examples(), ids=lambda x: x.id if isinstance(x, TypeRule) else None
)
def test_every_example_is_decided_by_its_own_rule(
    rule: TypeRule, value: str, kind: DeviceType
) -> None:
    name = rule.fields[0]
    pairs = [] if name == MODEL else [(name, value)]
    maker = next(iter(rule.makers)) if rule.makers else None
    decision = TYPES.decide(pairs, value if name == MODEL else None, maker, _family)
    assert decision is not None, f"{rule.id}: {value!r} matched nothing"
    assert decision.type is kind
    # recog's habit: an example must not be swallowed by an earlier rule
    assert f"device_types.toml:{rule.id})" in decision.how, decision.how


def test_every_rule_cites_a_source_and_rule_ids_are_unique() -> None:
    assert all(rule.source.strip() and rule.description.strip() for rule in RULES)
    assert len({rule.id for rule in RULES}) == len(RULES)


def test_fingerprint_rules_name_only_known_device_types() -> None:
    known = {t.value for t in DeviceType} - {"unknown"}
    for rule in load_rules().all_rules():
        if "device_type" in rule.params:
            assert rule.params["device_type"] in known, rule.ref


def test_a_broken_rule_is_refused_with_its_id() -> None:
    bad = '[[rule]]\nid = "x"\nfields = ["model"]\nregex = "^A"\ntype = "toaster"\n'
    bad += 'description = "d"\nsource = "s"\nexamples = [{ value = "A1", type = "camera" }]\n'
    with pytest.raises(DeviceTypeError, match="toaster"):
        parse_rules(bad)
    with pytest.raises(DeviceTypeError, match="example"):
        parse_rules(bad.replace("toaster", "camera").replace("examples = [", "examples = [] #"))


# ----------------------------------------------------------------------- identify()


@pytest.mark.parametrize(
    ("evidence", "kind"),
    [
        ({"sadp.DeviceDescription": "DS-2CD2143G2-I"}, DeviceType.CAMERA),
        ({"isapi.model": "DS-7732NI-K4"}, DeviceType.RECORDER),
        ({"onvif.model": "DS-KD8003-IME1"}, DeviceType.INTERCOM),
        ({"onvif.model": "DS-6704HUHI-K"}, DeviceType.ENCODER),
        ({"dhip.DeviceClass": "XVR", "dhip.DeviceType": "XVR5104HS-I3"}, DeviceType.RECORDER),
        ({"dhip.DeviceClass": "VTO", "dhip.DeviceType": "VTO3211D-P"}, DeviceType.INTERCOM),
        ({"wsd.types": "dn:NetworkVideoTransmitter tds:Device"}, DeviceType.CAMERA),
        ({"mdns.service": "_ipp._tcp.local"}, DeviceType.PRINTER),
        (
            {"ssdp.device_type": "urn:schemas-upnp-org:device:InternetGatewayDevice:2"},
            DeviceType.ROUTER,
        ),
        ({"ports": (22, 9100)}, DeviceType.PRINTER),
    ],
)
def test_identify_decides_the_device_type(evidence: dict[str, object], kind: DeviceType) -> None:
    identity = identify(evidence)  # type: ignore[arg-type]
    assert identity.device_type is kind, identity.device_type_how
    assert identity.device_type_how  # says how
    assert any(r.field == "device_type" and r.value == kind.value for r in identity.reasons)


def test_the_makers_own_class_beats_a_weaker_hint() -> None:
    # a Dahua recorder also answers RTSP and ONVIF: its DHIP class decides
    identity = identify(
        {"dhip.DeviceClass": "NVR", "rtsp.server": "Dahua Rtsp Server", "wsd.types": "dn:NVT"}
    )
    assert identity.device_type is DeviceType.RECORDER


def test_a_fingerprint_param_wins_over_a_model_rule() -> None:
    identity = identify({"http.realm": "HuaweiHomeGateway", "user.model": "S5720-28X-SI-AC"})
    assert identity.device_type is DeviceType.ROUTER
    assert "fingerprint telecom:huawei-homegateway-realm" in identity.device_type_how


def test_a_numbering_limited_to_a_maker_is_not_applied_to_another() -> None:
    # "PD785" is a Hytera radio, but an Axis device reporting it is not made a radio
    axis = identify({"onvif.manufacturer": "AXIS", "onvif.model": "PD785"})
    assert axis.maker == "axis"
    assert axis.device_type is not DeviceType.RADIO
    unknown_maker = identify({"user.model": "PD785"})
    assert unknown_maker.device_type is DeviceType.RADIO


def test_no_evidence_of_the_kind_leaves_it_unknown() -> None:
    identity = identify({"http.server": "lighttpd/1.4.59"})
    assert identity.device_type is DeviceType.UNKNOWN
    assert identity.device_type_how == ""


def test_a_device_with_no_catalogue_maker_still_names_its_registrant() -> None:
    printer = identify({"mac": "00:20:6b:01:02:03", "mdns.service": "_ipp._tcp.local"})
    assert printer.maker is None
    assert printer.registrant == "Konica Minolta Holdings, Inc."
    assert printer.device_type is DeviceType.PRINTER


def test_the_registrant_is_the_devices_own_mac_block() -> None:
    assert identify({"mac": "44:19:b6:00:00:01"}).registrant == (
        "Hangzhou Hikvision Digital Technology Co.,Ltd."
    )
    assert identify({"mac": "02:00:00:00:00:01"}).registrant is None  # randomized


# ----------------------------------------------------------------------- storage


def test_device_type_and_registrant_round_trip() -> None:
    identity = Identity(
        maker="huawei",
        brand="huawei",
        relationship=Relationship.OWN_BRAND,
        device_type=DeviceType.ACCESS_POINT,
        device_type_how="access point: model 'AP4050DN-E'",
        registrant="Huawei Technologies Co.,Ltd",
    )
    data = identity.to_dict()
    assert data["device_type"] == "access_point"
    assert Identity.from_dict(data) == identity


def test_identities_stored_before_device_types_read_as_unknown() -> None:
    old = {"maker": "axis", "brand": "axis", "relationship": "own_brand", "confidence": 0.9}
    identity = Identity.from_dict(old)
    assert identity.device_type is DeviceType.UNKNOWN
    assert identity.registrant is None
    # and an unknown identity writes no new keys, so older signed reports still verify
    assert "device_type" not in identity.to_dict()
    assert "registrant" not in identity.to_dict()


def test_a_stored_type_this_version_does_not_know_reads_as_unknown() -> None:
    data = {"maker": None, "brand": None, "relationship": "unknown", "device_type": "toaster"}
    assert Identity.from_dict(data).device_type is DeviceType.UNKNOWN


def test_labels_read_as_people_write_them() -> None:
    assert DeviceType.ACCESS_POINT.label == "access point"
    assert DeviceType.ROUTER.label == "router"
