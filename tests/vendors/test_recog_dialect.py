"""recog's Ruby regexes read the same in Python after vendors.recog.dialect translates them."""

from __future__ import annotations

import re

import pytest

from vendors.recog.dialect import Untranslatable, flags_of, translate


def _search(pattern: str, text: str, flags: str = "") -> re.Match[str] | None:
    return translate(pattern, flags).compile().search(text)


# (Ruby pattern, flags attribute, text, what Ruby matches: whole match or None)
SAME_MEANING = [
    ("^b$", "", "a\nb\nc", "b"),  # ^ $ are line anchors in Ruby
    ("a.b", "", "a\nb", None),  # . stops at a newline ...
    ("a.b", "REG_DOT_NEWLINE", "a\nb", "a\nb"),  # ... unless the m flag (DOTALL) is on
    ("a.b", "REG_MULTILINE", "a\nb", "a\nb"),  # recog's REG_MULTILINE is Ruby's m too
    ("(?m:a.b)", "", "a\nb", "a\nb"),
    ("(?m)a.b", "", "a\nb", "a\nb"),
    ("x(?i)bc|de$", "", "xBC", "xBC"),  # (?i) reaches the end of the group, and
    ("x(?i)bc|de$", "", "xDE", "xDE"),  # Onigmo reads x(?i)bc|de as x(?i:bc|de) ...
    ("x(?i)bc|de$", "", "DE", None),  # ... not as (?:x(?i)bc)|(?i:de)
    ("(a(?i)b)c", "", "aBC", None),  # and stops at the group's end
    ("(a(?i)b)c", "", "aBc", "aBc"),
    ("(?i-m:A.B)", "REG_DOT_NEWLINE", "a\nb", None),
    ("^ab\\Z", "", "ab\n", "ab"),  # \Z: end or before a final newline
    ("^ab\\z", "", "ab\n", None),  # \z: the very end
    ("\\Aab", "", "x\nab", None),
    ("^\\h+$", "", "c0ffee", "c0ffee"),  # \h is a hex digit in Ruby
    ("^\\h+$", "", "hello", None),
    ("^[\\h-]+$", "", "ab-12", "ab-12"),
    ("^\\H$", "", "g", "g"),
    ("^\\d+$", "", "١٢", None),  # \d is ASCII only
    ("^\\w+$", "", "é", None),
    ("^[[:alpha:]]+[[:digit:]]$", "", "abc1", "abc1"),
    ("^[[:xdigit:][:space:]]+$", "", "ab 12", "ab 12"),
    ("^[^[:punct:]]+$", "", "a.b", None),
    ("^\\x7$", "", "\x07", "\x07"),
    ("^\\u00e9\\u{20 41}$", "", "é A", "é A"),
    ("^\\e\\cA$", "", "\x1b\x01", "\x1b\x01"),
    ("^\\0$", "", "\x00", "\x00"),
    ("^\\q$", "", "q", "q"),  # an unknown letter escape is the letter
    ("^\\/x$", "", "/x", "/x"),
    ("^(?>a+)b$", "", "aab", "aab"),
    ("^a*+a$", "", "aaa", None),  # possessive: gives nothing back
    ("^a{,2}$", "", "aa", "aa"),
    ("^a{2,}$", "", "aaa", "aaa"),
    ("^{x}$", "", "{x}", "{x}"),  # a brace that is no interval is a literal
    ("^a(?#comment)b$", "", "ab", "ab"),
    ("^[a|b]$", "", "|", "|"),
    ("^[]a]$", "", "]", "]"),
    ("^(x)\\1$", "", "xx", "xx"),
    ("^(?<n>x)\\k<n>$", "", "xx", "xx"),
    ("^(?'n'x)\\k'n'$", "", "xx", "xx"),
    ("ABC", "REG_ICASE", "abc", "abc"),
    ("ABC", "IGNORECASE", "abc", "abc"),
]


@pytest.mark.parametrize(("pattern", "flags", "text", "expected"), SAME_MEANING)
def test_translation_keeps_rubys_meaning(
    pattern: str, flags: str, text: str, expected: str | None
) -> None:
    found = _search(pattern, text, flags)
    assert (found.group() if found else None) == expected


def test_named_groups_turn_plain_groups_into_non_capturing_ones() -> None:
    # Onigmo: once a pattern names a group, (..) no longer captures, so group 2 is "ver"
    found = _search(r"^(?<maker>\w+)-(\d+) (?<ver>[\d.]+)$", "Zeta-77 1.2")
    assert found is not None
    assert found.groups() == ("Zeta", "1.2")
    assert found.group("ver") == "1.2"


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("^a\\Gb", "\\G"),
        ("^a\\Kb", "\\K"),
        ("^\\p{Alpha}+$", "\\p{...}"),
        ("^(?<n>a)\\g<n>$", "\\g<...>"),
        ("^[a-z&&[^aeiou]]$", "intersection"),
        ("^[a[bc]]$", "nested character class"),
        ("^[[:^alpha:]]$", "POSIX class"),
        ("^(?~abc)$", "unsupported group"),
        ("^(a", "unbalanced"),
        ("^a)", "unbalanced"),
        ("^[abc", "unterminated"),
        ("^a{2}+$", "interval"),
        ("abc\\", "ends with a backslash"),
        ("^\\xZZ$", "hex digits"),
    ],
)
def test_what_python_cannot_express_is_reported_not_raised(pattern: str, says: str) -> None:
    with pytest.raises(Untranslatable, match=re.escape(says)):
        translate(pattern).compile()


@pytest.mark.parametrize(
    ("pattern", "says"),
    [("^[z-a]$", "bad character range"), ("(?<=a+)b", "look-behind"), ("^(a)\\2$", "group")],
)
def test_patterns_re_rejects_are_reported_with_res_reason(pattern: str, says: str) -> None:
    with pytest.raises(Untranslatable, match="Python re rejects it") as caught:
        translate(pattern).compile()
    assert says in str(caught.value)


def test_unknown_flags_are_reported() -> None:
    with pytest.raises(Untranslatable, match="REG_EXTENDED"):
        flags_of("REG_ICASE,REG_EXTENDED")


def test_an_overlong_pattern_is_refused() -> None:
    with pytest.raises(Untranslatable, match="longer than"):
        translate("a" * 10_000)
