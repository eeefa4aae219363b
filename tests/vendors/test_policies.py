"""Policy packs load, carry their citations and dates, and a broken pack never hides the others."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from core.model import SiteUse
from vendors.catalogue import load_catalogue
from vendors.policies import (
    BUILTIN_DIR,
    EXAMPLES_DIR,
    ORGANISATION_KINDS,
    POLICY_DIR_ENV,
    load_policies,
    pack_files,
)

BUILTIN_IDS = {
    "ndaa889",
    "fcc_covered_list",
    "uk_sensitive_sites_2022",
    "au_commonwealth_2023",
    "ca_federal_2025",
    "quebec_2023",
    "louisiana_procurement",
}
EXAMPLE = EXAMPLES_DIR / "internal_no_prc_cameras.toml"


@pytest.fixture
def no_user_packs(tmp_path: Path) -> Path:
    empty = tmp_path / "none"
    empty.mkdir()
    return empty


def _all_entries():
    result = load_policies(user_dir=Path("/nonexistent"))
    extra = load_policies(user_dir=EXAMPLES_DIR).get("internal_no_prc_cameras")
    packs = [*result.packs, *([extra] if extra else [])]
    return [pytest.param(p, e, id=f"{p.id}:{e.id}") for p in packs for e in p.entries]


def test_builtin_packs_load_without_errors(no_user_packs: Path) -> None:
    result = load_policies(user_dir=no_user_packs)
    assert result.errors == []
    assert set(result.ids) == BUILTIN_IDS


def test_example_pack_is_not_loaded_by_default(no_user_packs: Path) -> None:
    assert "internal_no_prc_cameras" not in load_policies(user_dir=no_user_packs).ids


@pytest.mark.parametrize(("policy", "entry"), _all_entries())
def test_every_entry_is_cited_dated_and_sourced(policy, entry) -> None:
    assert entry.citation.url.startswith("https://")
    assert dt.date.fromisoformat(entry.citation.date) <= policy.as_of
    assert entry.effective <= policy.as_of
    assert entry.scope and entry.source
    assert entry.confidence in {"H", "M", "L"}
    assert entry.jurisdictions, "an entry must say where it applies"


@pytest.mark.parametrize(("policy", "entry"), _all_entries())
def test_every_named_maker_exists_in_the_catalogue(policy, entry) -> None:
    makers = load_catalogue().makers
    missing = [m for m in entry.makers if m not in makers]
    assert not missing, f"{policy.id}:{entry.id} names unknown catalogue ids {missing}"


def test_ndaa889_has_both_parts_and_the_far_reporting_duties(no_user_packs: Path) -> None:
    pack = load_policies(["ndaa889"], user_dir=no_user_packs).packs[0]
    part_a = pack.entry("f3A-huawei-zte")
    part_b = pack.entry("f3B-hytera-hikvision-dahua")
    assert part_a and part_a.uses is None and set(part_a.makers) == {"huawei", "zte"}
    assert part_b and set(part_b.makers) == {"hytera", "hikvision", "dahua"}
    assert part_b.uses and SiteUse.GENERAL_COMMERCIAL not in part_b.uses
    assert part_a.include_affiliates and part_b.include_affiliates
    dates = {m.id: m.date for m in pack.milestones}
    assert dates == {"part-a": dt.date(2019, 8, 13), "part-b": dt.date(2020, 8, 13)}
    assert pack.reporting is not None
    windows = " ".join(within for _, within in pack.reporting.deadlines)
    assert "1 business day" in windows and "10 business days" in windows
    assert len(pack.reporting.fields) == 9  # FAR 52.204-25(d)(2)(i) lists nine elements
    assert any("CAGE" in f for f in pack.reporting.fields)


def test_fcc_pack_has_every_shippable_covered_list_row(no_user_packs: Path) -> None:
    pack = load_policies(["fcc_covered_list"], user_dir=no_user_packs).packs[0]
    added = {m: e.effective for e in pack.entries for m in e.makers}
    assert added["huawei"] == added["hikvision"] == dt.date(2021, 3, 12)
    assert added["china_telecom_americas"] == dt.date(2022, 3, 25)
    assert added["china_unicom_americas"] == dt.date(2022, 9, 20)
    assert added["dji"] == added["autel"] == dt.date(2025, 12, 22)
    routers = pack.entry("routers-foreign-produced")
    assert routers and routers.effective == dt.date(2026, 3, 23) and routers.produced_outside
    text = (BUILTIN_DIR / "fcc_covered_list.toml").read_text(encoding="utf-8")
    assert "Digitalsystem" not in text.split("id = ")[1], "the unverified L row must not ship"
    # The 26 Jun 2026 notice is known from news reports only: its effect (10 days after Federal
    # Register publication) is dated at the earliest possible day and marked unverified.
    stop = pack.milestones[[m.id for m in pack.milestones].index("import-marketing-stop-2026")]
    assert stop.date == dt.date(2026, 7, 6)
    assert "keep using" in stop.text and "UNVERIFIED" in stop.text
    assert {"huawei", "zte", "hytera", "hikvision", "dahua"} == set(stop.entries)
    # FCC 22-84: adopted 11 Nov 2022, released 25 Nov 2022 (interim freeze), rules from 6 Feb 2023.
    dates = {m.id: m.date for m in pack.milestones}
    assert dates["fcc-22-84-interim-freeze"] == dt.date(2022, 11, 25)
    assert dates["fcc-22-84"] == dt.date(2023, 2, 6)
    assert dates["dc-circuit-remand-2024"] == dt.date(2024, 4, 2)
    # FCC 22-84 covers Huawei and ZTE video surveillance equipment, not just "likely".
    for maker in ("huawei", "zte"):
        entry = pack.entry(maker)
        assert entry and "video_surveillance" in entry.categories
        assert "video_surveillance" not in entry.likely_categories


def test_malformed_user_pack_names_file_and_line_and_others_still_load(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('id = "broken"\ntitle = "x"\n\nversion = = 1\n', encoding="utf-8")
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    result = load_policies(user_dir=tmp_path)
    assert [(e.path, e.line) for e in result.errors] == [(bad, 4)]
    assert str(result.errors[0]).startswith(f"{bad}:4: not valid TOML")
    assert set(result.ids) == BUILTIN_IDS | {"internal_no_prc_cameras"}


def _entry_block(
    extra: str = "", citation_url: str = "https://example.org/rule", makers: str = '"hikvision"'
) -> str:
    return f"""
[[entries]]
id = "e1"
title = "A rule"
makers = [{makers}]
effective = 2024-01-01
scope = "scope"
source = "test"
confidence = "H"
{extra}
[entries.citation]
title = "t"
clause = "c"
url = "{citation_url}"
date = 2024-01-01
"""


def _pack(pack_id: str, entries: str) -> str:
    return f"""id = "{pack_id}"
title = "T"
jurisdiction = "Test"
jurisdictions = ["us"]
version = "1"
as_of = 2026-01-01

[[citations]]
title = "t"
clause = "c"
url = "https://example.org"
date = 2024-01-01
{entries}"""


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (_entry_block() + _entry_block(citation_url="ftp://x"), "citation url"),
        (_entry_block() + _entry_block('uses = ["beach_party"]'), "unknown site use"),
        (_entry_block() + _entry_block(makers='"hikvison"'), "not in the catalogue"),
        (_entry_block() + _entry_block('categories = ["toasters"]'), "unknown equipment"),
    ],
    ids=["bad-url", "bad-use", "typo-maker", "bad-category"],
)
def test_bad_entry_is_located_at_its_entries_header(tmp_path: Path, entries, message) -> None:
    entries = entries.replace('id = "e1"', 'id = "e0"', 1)  # the first entry is the good one
    path = tmp_path / "mine.toml"
    text = _pack("mine", entries)
    path.write_text(text, encoding="utf-8")
    result = load_policies(user_dir=tmp_path)
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    second_header = [n for n, line in enumerate(text.splitlines(), 1) if line == "[[entries]]"][1]
    assert (error.path, error.line) == (path, second_header)
    assert message in error.message
    assert set(result.ids) >= BUILTIN_IDS


def test_pack_id_must_match_its_file_name(tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text(_pack("mine", _entry_block()), encoding="utf-8")
    result = load_policies(user_dir=tmp_path)
    assert result.errors and result.errors[0].line == 1
    assert "file name" in result.errors[0].message


def test_user_pack_from_env_dir_is_loaded_as_user(tmp_path: Path, monkeypatch) -> None:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    monkeypatch.setenv(POLICY_DIR_ENV, str(tmp_path))
    result = load_policies()
    pack = result.get("internal_no_prc_cameras")
    assert pack is not None and pack.origin == "user" and pack.path == tmp_path / EXAMPLE.name
    assert {"uniview", "tiandy"} <= pack.named_makers()


def test_a_user_pack_cannot_silently_shadow_a_builtin(tmp_path: Path) -> None:
    path = tmp_path / "ndaa889.toml"
    path.write_text(_pack("ndaa889", _entry_block()), encoding="utf-8")
    result = load_policies(["ndaa889"], user_dir=tmp_path)
    assert result.packs[0].origin == "builtin"  # the built-in stays
    [error] = result.errors
    assert error.path == path and "may not silently take the built-in pack id" in error.message
    assert 'replaces = "ndaa889"' in error.message


@pytest.mark.parametrize("pack_id", ["ndaa889", "acme_889"], ids=["same-id", "own-id"])
def test_a_user_pack_replaces_a_builtin_when_it_says_so(tmp_path: Path, pack_id: str) -> None:
    text = _pack(pack_id, _entry_block()).replace(
        'version = "1"', 'version = "1"\nreplaces = "ndaa889"'
    )
    (tmp_path / f"{pack_id}.toml").write_text(text, encoding="utf-8")
    result = load_policies(user_dir=tmp_path)
    assert not result.errors
    assert "ndaa889" not in result.ids or pack_id == "ndaa889"
    [pack] = load_policies(["ndaa889"], user_dir=tmp_path).packs  # asking for the built-in
    assert (pack.id, pack.origin, pack.replaces) == (pack_id, "user", "ndaa889")
    assert [e.id for e in pack.entries] == ["e1"]


def test_replaces_must_name_a_builtin(tmp_path: Path) -> None:
    text = _pack("mine", _entry_block()).replace(
        'version = "1"', 'version = "1"\nreplaces = "nope"'
    )
    (tmp_path / "mine.toml").write_text(text, encoding="utf-8")
    [error] = load_policies(user_dir=tmp_path).errors
    assert "no built-in pack has that id" in error.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_a_pack_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)  # nobody ever writes to it: reading would block for ever
    (tmp_path / "folder.toml").mkdir()
    result = load_policies(user_dir=tmp_path)
    messages = {e.path.name: e.message for e in result.errors if e.path}
    assert messages == {
        "x.toml": "not a regular file (a FIFO, device or folder): refused, not read",
        "folder.toml": "not a regular file (a FIFO, device or folder): refused, not read",
    }
    assert set(result.ids) >= BUILTIN_IDS


@pytest.mark.parametrize("value", ['"false"', '"true"', "0", '"no"'])
def test_include_affiliates_must_be_a_boolean(tmp_path: Path, value: str) -> None:
    (tmp_path / "x.toml").write_text(
        _pack("x", _entry_block(f"include_affiliates = {value}")), encoding="utf-8"
    )
    [error] = [e for e in load_policies(user_dir=tmp_path).errors if e.path]
    assert "'include_affiliates' must be true or false (no quotes)" in error.message
    assert error.line is not None


def test_a_large_pack_reports_the_line_of_a_late_entry(tmp_path: Path) -> None:
    """Line numbers come from the one-pass index: entry 3,000 of 3,001 is found exactly."""
    blocks = "".join(_entry_block().replace('id = "e1"', f'id = "e{n}"') for n in range(3000))
    bad = _entry_block('categories = ["toasters"]').replace('id = "e1"', 'id = "bad"')
    text = _pack("big", blocks + bad)
    (tmp_path / "big.toml").write_text(text, encoding="utf-8")
    [error] = [e for e in load_policies(user_dir=tmp_path).errors if e.path]
    assert text.splitlines()[error.line - 1].strip() == "[[entries]]"  # type: ignore[operator]
    assert text.count("[[entries]]", 0, text.index('id = "bad"')) == 3001


def test_requested_ids_filter_and_unknown_id_is_an_error(no_user_packs: Path) -> None:
    result = load_policies(["ndaa889", "nope"], user_dir=no_user_packs)
    assert result.ids == ["ndaa889"]
    assert [e.message for e in result.errors] == ["no policy pack named 'nope'"]


def test_underscore_files_are_data_not_packs() -> None:
    assert all(not p.name.startswith("_") for p in pack_files(BUILTIN_DIR))
    assert (BUILTIN_DIR / "_equipment.toml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'id = "x"\nentries = 5\n', "[[citations]]"),
        (b"\xff\xfe\x00garbage", "cannot read pack"),
        (b"", "must be a non-empty string"),
        (_pack("x", "").encode(), "at least one [[entries]]"),
        (_pack("x", _entry_block().replace("2024-01-01\nscope", "'soon'\nscope")).encode(),
         "'effective' must be a date"),
        (_pack("x", _entry_block('status = { direct = "banned" }')).encode(), "bad status value"),
        (_pack("x", _entry_block('use = ["public_safety"]')).encode(), "unknown keys use"),
        (_pack("x", _entry_block() + "\n[reporting]\nclause = 'c'\n").encode(), "'summary'"),
    ],
    ids=["entries-not-table", "not-utf8", "empty", "no-entries", "bad-date", "bad-status",
         "misspelt-uses", "reporting-no-summary"],
)  # fmt: skip
def test_hostile_pack_gives_an_error_not_a_crash(tmp_path: Path, content, message) -> None:
    path = tmp_path / "x.toml"
    path.write_bytes(content)
    result = load_policies(user_dir=tmp_path)
    errors = [e for e in result.errors if e.path == path]
    if message:
        assert len(errors) == 1 and message in errors[0].message, result.errors
    assert set(result.ids) >= BUILTIN_IDS


# ----------------------------------------------------------------- binds and changelog keys

_BINDS_AND_CHANGELOG = """binds = [{binds}]

[[changelog]]
version = "2"
date = 2026-12-04
changes = ["Second release."]

[[changelog]]
version = "1"
date = 2026-01-01
changes = ["First release."]
"""


def _pack_with(binds: str, version: str = "2") -> str:
    text = _pack("mine", _entry_block()).replace('version = "1"', f'version = "{version}"')
    head, rest = text.split("\n[[citations]]", 1)
    return f"{head}\n{_BINDS_AND_CHANGELOG.format(binds=binds)}\n[[citations]]{rest}"


def test_binds_and_changelog_load(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        _pack_with('"federal_agency", "municipal_body"'), encoding="utf-8"
    )
    result = load_policies(user_dir=tmp_path)
    assert result.errors == []
    pack = result.get("mine")
    assert pack is not None and pack.binds == ("federal_agency", "municipal_body")
    assert [(c.version, c.date) for c in pack.changelog] == [
        ("2", dt.date(2026, 12, 4)),
        ("1", dt.date(2026, 1, 1)),
    ]
    assert pack.changelog[0].changes == ("Second release.",)


def test_bad_binds_value_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    text = _pack_with('"federal_agency", "aliens"')
    path.write_text(text, encoding="utf-8")
    result = load_policies(user_dir=tmp_path)
    errors = [e for e in result.errors if e.path == path]
    binds_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("binds"))
    assert len(errors) == 1 and errors[0].line == binds_line
    assert "aliens" in errors[0].message and "federal_agency" in errors[0].message
    assert set(result.ids) >= BUILTIN_IDS


def test_changelog_must_describe_the_packs_version(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(_pack_with('"private"', version="3"), encoding="utf-8")
    errors = [e for e in load_policies(user_dir=tmp_path).errors if e.path == path]
    assert len(errors) == 1 and "changelog" in errors[0].message and errors[0].line


def test_every_builtin_pack_says_whom_it_binds_and_what_changed(no_user_packs: Path) -> None:
    for pack in load_policies(user_dir=no_user_packs).packs:
        assert pack.binds and set(pack.binds) <= set(ORGANISATION_KINDS), pack.id
        assert pack.changelog and pack.changelog[0].version == pack.version, pack.id
        assert pack.changelog[0].date == pack.as_of, pack.id


@pytest.mark.parametrize(
    ("pack_id", "bound", "not_bound"),
    [
        ("ndaa889", {"federal_agency", "federal_contractor", "grant_recipient"}, {"private"}),
        ("quebec_2023", {"state_body"}, {"municipal_body", "private"}),
        ("louisiana_procurement", {"state_body", "municipal_body"}, {"private"}),
        ("uk_sensitive_sites_2022", {"federal_agency", "state_body"}, {"municipal_body"}),
        ("au_commonwealth_2023", {"federal_agency"}, {"state_body", "municipal_body"}),
        ("ca_federal_2025", {"federal_agency"}, {"state_body", "municipal_body", "private"}),
    ],
)
def test_who_each_pack_binds(no_user_packs: Path, pack_id, bound, not_bound) -> None:
    pack = load_policies([pack_id], user_dir=no_user_packs).packs[0]
    assert bound <= set(pack.binds) and not (not_bound & set(pack.binds))


def test_louisiana_dates_follow_sb30_and_sb15(no_user_packs: Path) -> None:
    pack = load_policies(["louisiana_procurement"], user_dir=no_user_packs).packs[0]
    schools = pack.entry("schools-2021")
    assert schools and schools.effective == dt.date(2021, 1, 1)
    assert schools.until == dt.date(2021, 8, 1)
    agencies = pack.entry("hytera-hikvision-dahua")
    assert agencies and agencies.effective == dt.date(2021, 8, 1)
    assert "parish" in agencies.use_note


def test_uk_pack_no_longer_cites_hl9188(no_user_packs: Path) -> None:
    pack = load_policies(["uk_sensitive_sites_2022"], user_dir=no_user_packs).packs[0]
    assert not any("HL9188" in c.title or "HL9188" in c.url for c in pack.citations)
    assert {m.id: m.date for m in pack.milestones}["removal-timeline"] == dt.date(2023, 6, 7)
