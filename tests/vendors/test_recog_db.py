"""Reading recog-format XML (vendors.recog.db) and recog's self-test (vendors.recog.selftest),
on our own fixtures in tests/data/recog_format/."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from cli.vendors_recog import time_limit
from vendors.recog import db
from vendors.recog.db import RecogFormatError, parse_file, read_directory
from vendors.recog.selftest import run_self_test

DATA = Path(__file__).resolve().parents[1] / "data" / "recog_format"


def _file(text: str, name: str = "t.xml") -> db.RecogFile:
    return parse_file(name, text.encode("utf-8"))


def _fp(pattern: str, params: str, examples: str = "", flags: str = "") -> str:
    flag_attr = f' flags="{flags}"' if flags else ""
    return (
        f'<fingerprint pattern="{pattern}"{flag_attr}><description>d {pattern}</description>'
        f"{examples}{params}</fingerprint>"
    )


def _doc(*fingerprints: str, matches: str = "http_header.server") -> str:
    return f'<fingerprints matches="{matches}">{"".join(fingerprints)}</fingerprints>'


def test_a_checkout_reads_with_kinds_lines_params_and_examples() -> None:
    files = {f.name: f for f in read_directory(DATA / "good" / "xml")}
    servers = files["http_servers.xml"]
    assert (servers.matches, servers.protocol, servers.preference) == (
        "http_header.server",
        "http",
        0.9,
    )
    assert files["telnet_banners.xml"].matches == "telnet_banners"  # no attribute: the stem
    first = servers.fingerprints[0]
    assert (first.description, first.line) == ("Test Hikvision recorder web server", 4)
    assert first.params["service.version"] == (1, "")
    assert first.params["hw.vendor"] == (0, "Hikvision")
    assert first.examples[0].expect == {"service.version": "3.1"}


def test_match_gives_fixed_and_captured_params_and_interpolates() -> None:
    servers = {f.name: f for f in read_directory(DATA / "good" / "xml")}["http_servers.xml"]
    fingerprint, result = servers.first_match("HomeGate-Test/7") or (None, {})
    assert fingerprint is not None and fingerprint.description.startswith("Test Huawei")
    assert result["hw.cpe23"] == "cpe:/h:huawei:HG:-"
    assert servers.first_match("CamServ IP-1X build 5") is not None  # REG_ICASE
    assert servers.first_match("nothing like it") is None


def test_base64_examples_are_decoded() -> None:
    telnet = {f.name: f for f in read_directory(DATA / "good" / "xml")}["telnet_banners.xml"]
    example = telnet.fingerprints[0].examples[0]
    assert example.text == "\r\nTest Radio Repeater RX-9 login: "


def test_the_dialect_fixture_passes_recogs_self_test() -> None:
    recog_file = parse_file("dialect.xml", (DATA / "dialect.xml").read_bytes())
    result = run_self_test([recog_file])
    assert (result.passed, result.failed, result.unusable, result.warnings) == (12, [], [], [])
    assert result.fingerprints == 9


def test_interpolating_a_missing_value_is_an_error_like_recog() -> None:
    bad = _file(
        _doc(
            _fp(
                "^x(y)?$",
                '<param pos="1" name="hw.product"/>'
                '<param pos="0" name="hw.model" value="m-{hw.product}"/>',
            )
        )
    )
    with pytest.raises(db.RecogMatchError, match=r"hw\.product"):
        bad.fingerprints[0].match("x")
    assert bad.fingerprints[0].match("xy") == {"hw.product": "y", "hw.model": "m-y"}
    assert bad.first_match("x") is None  # identification skips it


def test_first_matching_fingerprint_of_a_file_wins() -> None:
    recog_file = _file(
        _doc(
            _fp("^Cam", '<param pos="0" name="hw.vendor" value="Axis"/>'),
            _fp("^Cam X$", '<param pos="0" name="hw.vendor" value="Bosch"/>'),
        )
    )
    found = recog_file.first_match("Cam X")
    assert found is not None and found[1]["hw.vendor"] == "Axis"


def test_a_broken_fingerprint_is_kept_with_its_problem_and_never_matches() -> None:
    recog_file = _file(
        _doc(
            "<fingerprint><description>no pattern</description></fingerprint>",
            _fp("^(x$", '<param pos="0" name="hw.vendor" value="Axis"/>'),
            _fp("^y$", '<param pos="zero" name="hw.vendor" value="Axis"/>'),
            _fp("^z$", '<param pos="0" name="hw.vendor" value="Axis"/>', flags="REG_NOPE"),
        )
    )
    problems = [fp.problem for fp in recog_file.fingerprints]
    assert "no pattern attribute" in problems[0]
    assert "unbalanced" in problems[1]
    assert "numeric pos" in problems[2]
    assert "REG_NOPE" in problems[3]
    assert all(fp.match("x") is None for fp in recog_file.fingerprints[:2])


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("entity_expansion.xml", "entity_expansion.xml:2: refused: a DTD"),
        ("external_entity.xml", "external_entity.xml:2: refused: a DTD"),
        ("doctype_only.xml", "doctype_only.xml:2: refused: a DTD"),
        ("not_well_formed.xml", "not_well_formed.xml:6: not well-formed XML (mismatched tag)"),
        ("wrong_root.xml", "wrong_root.xml:2: root element is <rules>"),
    ],
)
def test_hostile_or_broken_xml_is_refused_with_file_and_line(name: str, says: str) -> None:
    with pytest.raises(RecogFormatError) as caught:
        parse_file(name, (DATA / "hostile" / name).read_bytes())
    assert str(caught.value).startswith(says)
    assert "\n" not in str(caught.value)


def test_size_and_count_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RecogFormatError, match="larger than 8 MiB"):
        parse_file("huge.xml", b" " * (db.MAX_FILE_BYTES + 1))
    long_text = _doc(
        _fp(
            "^x$",
            '<param pos="0" name="hw.vendor" value="Axis"/>',
            f"<example>{'x' * (db.MAX_TEXT_CHARS + 1)}</example>",
        )
    )
    with pytest.raises(RecogFormatError, match="text longer than"):
        _file(long_text)
    many = _doc(_fp("^x$", "", "<example>x</example>" * (db.MAX_EXAMPLES + 1)))
    with pytest.raises(RecogFormatError, match="more than 100 examples"):
        _file(many)
    monkeypatch.setattr(db, "MAX_FINGERPRINTS", 3)
    with pytest.raises(RecogFormatError, match="more than 3 fingerprints"):
        _file(_doc(*[_fp("^x$", "")] * 4))
    deep = "<fingerprints>" + "<a>" * 10 + "</a>" * 10 + "</fingerprints>"
    with pytest.raises(RecogFormatError, match="nested too deeply"):
        _file(deep)


def test_an_example_file_outside_the_directory_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "inside.txt").write_text("Cam 1")
    text = _doc(
        _fp(
            "^Cam 1$",
            '<param pos="0" name="hw.vendor" value="Axis"/>',
            '<example _filename="inside.txt"/><example _filename="../../etc/passwd"/>',
        )
    )
    recog_file = parse_file("t.xml", text.encode(), tmp_path)
    inside, outside = recog_file.fingerprints[0].examples
    assert (inside.text, inside.problem) == ("Cam 1", "")
    assert "outside the fingerprint directory" in outside.problem


# ------------------------------------------------------------------------------ self-test


def test_self_test_counts_failures_untranslatable_and_refuses_a_bad_directory() -> None:
    result = run_self_test(read_directory(DATA / "failing" / "xml"))
    assert (result.passed, len(result.failed), result.not_run, len(result.unusable)) == (1, 2, 1, 1)
    assert {f.ref for f in result.failed} == {"http_servers.xml:4", "http_servers.xml:9"}
    assert result.disabled == {"http_servers.xml:4", "http_servers.xml:9"}
    assert "does not match" in result.failed[0].message
    assert "service.version is '3', the example says '2'" in result.failed[1].message
    assert "\\G" in result.unusable[0].message
    refusal = result.refusal()
    assert refusal is not None and "2 of 3 examples fail" in refusal


def test_a_good_directory_is_not_refused() -> None:
    result = run_self_test(read_directory(DATA / "good" / "xml"))
    assert result.refusal() is None and not result.failed and not result.warnings
    assert result.passed == result.examples == 15


def test_shadowed_examples_and_untested_captures_are_warnings() -> None:
    recog_file = _file(
        _doc(
            _fp(
                "^Cam", '<param pos="0" name="hw.vendor" value="Axis"/>', "<example>Cam A</example>"
            ),
            _fp("^Cam (B)$", '<param pos="1" name="hw.product"/>', "<example>Cam B</example>"),
        )
    )
    result = run_self_test([recog_file])
    assert result.passed == 2 and not result.failed
    messages = sorted(w.message for w in result.warnings)
    assert messages == [
        "example 'Cam B' is matched first by t.xml:1",
        "no example checks hw.product (capture group 1)",
    ]


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs interval timers")
def test_a_runaway_backtracking_pattern_is_disabled_not_run_forever() -> None:
    recog_file = _file(
        _doc(
            _fp(
                "^(a|a)+$",
                '<param pos="0" name="hw.vendor" value="Axis"/>',
                "<example>aaaa</example>",
            ),
            _fp("^ok$", '<param pos="0" name="hw.vendor" value="Axis"/>', "<example>ok</example>"),
        )
    )
    result = run_self_test([recog_file], guard=lambda: time_limit(0.3))
    assert result.disabled == {"t.xml:1"}
    assert "runaway backtracking" in result.failed[0].message
    assert result.passed == 2  # its own short example matched; only the long value ran away


def test_a_self_test_over_its_time_budget_stops_and_refuses() -> None:
    result = run_self_test(read_directory(DATA / "good" / "xml"), budget=-1.0)
    assert result.stopped.startswith("the self-test ran out of time at ")
    assert result.refusal() == result.stopped


@pytest.mark.parametrize("pattern", ["^(a+)+$", "(.+)* x", "^(\\w+\\s?)+$", "^(?:a|(b+))*$"])
def test_nested_unbounded_repeats_are_unusable_before_anything_runs(pattern: str) -> None:
    recog_file = _file(_doc(_fp(pattern, '<param pos="0" name="hw.vendor" value="Axis"/>',
                                "<example>aaaa x</example>")))  # fmt: skip
    assert recog_file.fingerprints[0].problem.startswith("runaway-prone in Python")
    result = run_self_test([recog_file])
    assert (result.runaway, result.not_run, result.passed) == (1, 1, 0)


@pytest.mark.parametrize("pattern", [r"^(\d+\.)+\d+$", r"^(?:[a-z]+-)*[a-z]+$", r"^a+b+$"])
def test_delimited_or_flat_repeats_are_fine(pattern: str) -> None:
    recog_file = _file(_doc(_fp(pattern, '<param pos="0" name="hw.vendor" value="Axis"/>')))
    assert recog_file.fingerprints[0].problem == ""
