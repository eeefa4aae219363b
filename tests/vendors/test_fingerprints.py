"""Every fingerprint example, the recog-style self-test, and that it catches broken files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vendors.catalogue import load_catalogue
from vendors.fingerprints import DATA_DIR, Example, Rule, load_rules, read_rules
from vendors.verify import check_example, check_file, check_ids, unasserted, verify

ROOT = Path(__file__).resolve().parents[2]
RULES = load_rules()


def _examples() -> list[tuple[Rule, Example]]:
    return [(rule, ex) for rule in RULES.all_rules() for ex in rule.examples]


@pytest.mark.parametrize(
    ("rule", "example"),
    _examples(),
    ids=lambda x: getattr(x, "ref", None) or getattr(x, "value", ""),
)
def test_example_matches_its_rule_and_extracts_what_it_claims(rule: Rule, example: Example) -> None:
    assert check_example(rule, example) is None
    assert rule.extract(example.value) is not None


@pytest.mark.parametrize("rule", RULES.all_rules(), ids=lambda rule: rule.ref)
def test_every_param_and_capture_group_of_a_rule_is_asserted(rule: Rule) -> None:
    assert unasserted(rule) == []


def test_the_shipped_data_verifies_clean() -> None:
    assert [str(p) for p in verify()] == []


def test_every_rule_file_declares_fields_and_has_rules() -> None:
    for rule_file in RULES.files:
        assert rule_file.fields and rule_file.rules, rule_file.name
    names = {f.name for f in RULES.files}
    assert {"http.server", "http.realm", "rtsp.server", "wsd.scopes", "model", "firmware"} <= names


def test_rules_name_only_catalogue_ids() -> None:
    catalogue = load_catalogue()
    for rule_file in RULES.files:
        assert check_ids(rule_file, catalogue) == []


def test_domain_tells_are_covered() -> None:
    def maker_of(field: str, value: str) -> set[str]:
        return {h.extracted.get("maker", "") for h in RULES.match(field, value)}

    assert "hikvision" in maker_of("http.server", "DNVRS-Webs")
    assert "xiongmai" in maker_of("http.server", "uc-httpd 1.0.0")
    assert "dahua" in maker_of("rtsp.server", "Dahua Rtsp Server/3.0")
    assert "hikvision" in maker_of("isapi.systemContact", "Hikvision.China")
    assert "dahua" in maker_of("wsd.scopes", "onvif://www.onvif.org/location/country/china")
    [fw] = [
        h
        for h in RULES.match("dahua.softwareVersion", "2.622.00LR000.10.R")
        if h.rule.file == "firmware"
    ]
    assert (fw.extracted["oem_code"], fw.extracted["brand"]) == ("LR", "lorex")


BROKEN = """
description = "deliberately broken"
fields = ["http.server"]

[[rule]]
id = "good"
regex = \'\'\'^Good\'\'\'
description = "fine"
weight = "banner"
source = "test"
params = { maker = "hikvision" }
examples = [{ value = "Good", maker = "hikvision" }]

[[rule]]
id = "wrong-extraction"
regex = \'\'\'^Bad/(\\d+)\'\'\'
description = "claims the wrong version"
weight = "banner"
source = "test"
params = { maker = "nobody_we_know" }
captures = { 1 = "version" }
examples = [{ value = "Bad/1", maker = "nobody_we_know", version = "2" }]

[[rule]]
id = "swallowed"
regex = \'\'\'^Good more\'\'\'
description = "shadowed by 'good'"
weight = "banner"
source = "test"
params = { component = "shadowed" }
examples = [{ value = "Good more", component = "shadowed" }]

[[rule]]
id = "groups-mismatch"
regex = \'\'\'^(a)(b)\'\'\'
description = "two groups, one param"
weight = "banner"
source = "test"
captures = { 1 = "x" }
examples = [{ value = "ab" }]
"""


def _broken_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    shutil.copytree(DATA_DIR, directory)
    (directory / "broken.toml").write_text(BROKEN, encoding="utf-8")
    return directory


def test_verify_reports_each_broken_entry_with_its_line(tmp_path: Path) -> None:
    directory = _broken_dir(tmp_path)
    problems = [str(p) for p in verify(directory)]
    path = directory / "broken.toml"
    assert (
        f"{path}:22: example 'Bad/1' of rule wrong-extraction: version: expected '2', got '1'"
        in problems
    )
    assert any(p.startswith(f"{path}:15:") and "nobody_we_know" in p for p in problems)
    assert any(
        p.startswith(f"{path}:31:") and "swallowed by earlier rule good" in p for p in problems
    )
    assert any(p.startswith(f"{path}:34:") and "2 capture group(s)" in p for p in problems)
    assert len(problems) == 4


def test_verify_command_exits_non_zero_on_a_broken_file(tmp_path: Path) -> None:
    directory = _broken_dir(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "vendors.verify", "--rules", str(directory)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{directory / 'broken.toml'}:22:" in result.stdout


def test_verify_command_passes_on_the_shipped_data() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vendors.verify"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("ok:")


def test_invalid_toml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('fields = ["a"]\n[[rule]\n', encoding="utf-8")
    _, problems = read_rules(tmp_path)
    assert len(problems) == 1 and problems[0].line == 2


def test_first_match_wins_within_a_file() -> None:
    rule_file = next(f for f in RULES.files if f.name == "firmware")
    assert check_file(rule_file) == []
    hits = [
        h for h in RULES.match("onvif.firmware", "2.620.00AC000.3.R") if h.rule.file == "firmware"
    ]
    assert [h.rule.id for h in hits] == ["dahua-firmware-oem-ac"]


def test_verify_catches_a_policy_pack_naming_a_maker_the_catalogue_lacks(tmp_path: Path) -> None:
    from vendors.catalogue import DATA_FILE

    text = DATA_FILE.read_text(encoding="utf-8").replace("[makers.kaspersky]", "[makers.kasp]")
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in verify(catalogue_path=path)]
    assert any("fcc_covered_list.toml" in p and "kaspersky" in p for p in problems)


UNASSERTED = (ROOT / "tests" / "data" / "fingerprints" / "unasserted.toml").read_text(
    encoding="utf-8"
)


def _verify_one_file(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    path = tmp_path / "rules" / "unasserted.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return path, [str(p) for p in verify(path.parent)]


def test_verify_reports_an_example_that_asserts_nothing(tmp_path: Path) -> None:
    path, problems = _verify_one_file(tmp_path, UNASSERTED)
    assert [p for p in problems if "rule quiet" in p] == [
        f"{path}:13: example 'Quiet please' of rule quiet asserts nothing "
        "(it extracts maker = 'hikvision')"
    ]


def test_verify_reports_what_a_rule_extracts_that_no_example_asserts(tmp_path: Path) -> None:
    path, problems = _verify_one_file(tmp_path, UNASSERTED)
    assert sorted(p for p in problems if "rule quiet" not in p) == [
        f"{path}:17: rule loud: no example asserts likely = 'yes' (a fixed param)",
        f"{path}:17: rule loud: no example asserts revision from capture group 2",
        f"{path}:27: rule either-form: no example asserts model from capture group 2",
    ]


def test_an_example_of_the_other_form_asserts_the_second_group(tmp_path: Path) -> None:
    first = '{ value = "Cam X2", maker = "hikvision", model = "X2" }'
    text = UNASSERTED.replace(first, f'{first}, {{ value = "X3 camera", model = "X3" }}')
    _, problems = _verify_one_file(tmp_path, text)
    assert not any("either-form" in p for p in problems)
    assert any("rule loud" in p for p in problems)
