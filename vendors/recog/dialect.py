"""recog's regular expressions (Ruby / Onigmo syntax) rewritten for Python's ``re``.

recog's patterns are written for Ruby, where several things read differently from Python:

- ``^`` and ``$`` always match at line boundaries (Python needs ``re.MULTILINE``); ``\\Z`` is
  "end, or before a final newline" and ``\\z`` is the very end (Python's ``\\Z``);
- Ruby's ``m`` flag (and recog's ``REG_DOT_NEWLINE`` / ``REG_MULTILINE`` attributes) lets ``.``
  match a newline: Python's ``s``; ``(?i)`` in the middle of a pattern switches the flag on for
  the rest of the enclosing group (alternatives included), which Python only accepts scoped;
- ``\\h`` is a hex digit (not horizontal space), ``\\d \\w \\s \\b`` are ASCII only;
- ``(?<name>...)`` names a group, and once a pattern names one, its plain groups stop capturing;
- ``[[:alpha:]]`` POSIX brackets, ``\\xH``, ``\\u{...}``, ``\\cX``, letters escaped for no reason.

What has no Python equivalent (``\\G``, ``\\K``, ``\\p{..}``, subexpression calls, set
intersection ``&&``, nested classes, absent operators, ...) raises :class:`Untranslatable` with
the reason, so a caller can report the fingerprint instead of crashing.  Pure string work.
"""

from __future__ import annotations

import importlib
import re
import warnings
from dataclasses import dataclass
from typing import Any

# recog-ruby's regexp factory accepts these names in a fingerprint's ``flags`` attribute.
FLAG_NAMES: dict[str, int] = {
    "REG_ICASE": re.IGNORECASE,
    "IGNORECASE": re.IGNORECASE,
    "REG_DOT_NEWLINE": re.DOTALL,
    "REG_MULTILINE": re.DOTALL,  # Ruby's MULTILINE is Python's DOTALL
    "REG_LINE_ANY_CRLF": re.DOTALL,
}
BASE_FLAGS = re.MULTILINE | re.ASCII  # Ruby: ^ $ at every line; \d \w \s ASCII only
MAX_PATTERN_CHARS = 8192

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "ascii": "\\x00-\\x7f",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "word": "a-zA-Z0-9_",
    "xdigit": "0-9a-fA-F",
}
_HEX = "0-9a-fA-F"
_LINEBREAK = "(?:\\r\\n|[\\n\\v\\f\\r\\x85\\u2028\\u2029])"
_SAME_ESCAPES = frozenset("dDwWsSbBntrfva")
_OUTSIDE_CLASS = {
    "A": "\\A",
    "z": "\\Z",  # Ruby's \z is the very end: Python's \Z
    "Z": "(?=\\n?\\Z)",  # Ruby's \Z: the end, or before a final newline
    "R": _LINEBREAK,
    "h": f"[{_HEX}]",
    "H": f"[^{_HEX}]",
    "e": "\\x1b",
}
_UNSUPPORTED_ESCAPES = {
    "G": "\\G (match start anchor)",
    "K": "\\K (keep)",
    "X": "\\X (grapheme cluster)",
    "p": "\\p{...} (character property)",
    "P": "\\P{...} (character property)",
    "g": "\\g<...> (subexpression call)",
    "y": "\\y (grapheme boundary)",
    "Y": "\\Y (grapheme boundary)",
    "O": "\\O (any character)",
    "M": "\\M- (meta character)",
}
_GROUP_NAME = re.compile(r"[A-Za-z_]\w*")
_INLINE_FLAGS = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")
_INTERVAL = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_PLAIN_RUN = re.compile(r"[^\\\[(){]+")


class Untranslatable(ValueError):
    """A recog pattern Python's ``re`` cannot express; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Translated:
    """A pattern rewritten for ``re``, with the flags to compile it with."""

    pattern: str
    flags: int

    def compile(self) -> re.Pattern[str]:
        """Compile; a pattern ``re`` rejects (or warns about) raises :class:`Untranslatable`."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # FutureWarning on "possible nested set" and kin
            try:
                return re.compile(self.pattern, self.flags)
            except (re.error, FutureWarning, DeprecationWarning, RecursionError) as exc:
                raise Untranslatable(f"Python re rejects it: {exc}") from None


def flags_of(names: str | None) -> int:
    """The ``re`` flags for a ``flags="REG_ICASE,REG_DOT_NEWLINE"`` attribute."""
    flags = BASE_FLAGS
    for raw in (names or "").split(","):
        name = raw.strip()
        if not name:
            continue
        if name not in FLAG_NAMES:
            raise Untranslatable(
                f"unsupported flag {name!r} (recog accepts {', '.join(FLAG_NAMES)})"
            )
        flags |= FLAG_NAMES[name]
    return flags


def translate(pattern: str, flag_names: str | None = None) -> Translated:
    """Rewrite one recog pattern (and its ``flags`` attribute) for Python's ``re``."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise Untranslatable(f"pattern longer than {MAX_PATTERN_CHARS} characters")
    return Translated(_Translator(pattern).run(), flags_of(flag_names))


class _Translator:
    """One left-to-right pass over a pattern (the state is the open groups)."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.pos = 0
        self.out: list[str] = []
        self.plain_groups: list[int] = []  # indexes in out of "(" that capture
        self.named = False
        # per open group (the whole pattern is the outermost): scoped-flag groups to close
        self.pending: list[int] = [0]

    def fail(self, why: str) -> Untranslatable:
        return Untranslatable(f"{why} at offset {self.pos}")

    def run(self) -> str:
        src = self.src
        while self.pos < len(src):
            plain = _PLAIN_RUN.match(src, self.pos)
            if plain is not None:  # most of a pattern reads the same in both dialects
                self.out.append(plain.group())
                self.pos = plain.end()
                continue
            char = src[self.pos]
            if char == "\\":
                self.out.append(self.escape(in_class=False))
            elif char == "[":
                self.out.append(self.char_class())
            elif char == "(":
                self.open_group()
            elif char == ")":
                self.close_group()
            elif char == "{":
                self.interval()
            else:
                self.out.append(char)
                self.pos += 1
        if len(self.pending) != 1:
            raise self.fail("unbalanced parenthesis")
        self.out.append(")" * self.pending[0])
        if self.named:  # Onigmo: with named groups present, plain groups do not capture
            for index in self.plain_groups:
                self.out[index] = "(?:"
        return "".join(self.out)

    # ------------------------------------------------------------------------ groups

    def open_group(self) -> None:
        src, start = self.src, self.pos
        if not src.startswith("(?", start):
            self.plain_groups.append(len(self.out))
            self.out.append("(")
            self.pos += 1
            self.pending.append(0)
            return
        rest = src[start + 2 : start + 3]
        if rest == "#":
            end = src.find(")", start)
            if end < 0:
                raise self.fail("unterminated comment group")
            self.pos = end + 1
            return
        for opener in ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>"):
            if src.startswith(opener, start):
                self.out.append(opener)
                self.pos += len(opener)
                self.pending.append(0)
                return
        if rest in ("<", "'"):
            self.named_group(rest)
            return
        flags = _INLINE_FLAGS.match(src, start)
        if flags is None:
            raise self.fail(f"unsupported group {src[start : start + 4]!r}")
        self.inline_flags(flags)

    def named_group(self, quote: str) -> None:
        close = ">" if quote == "<" else "'"
        found = _GROUP_NAME.match(self.src, self.pos + 3)
        if found is None or self.src[found.end() : found.end() + 1] != close:
            raise self.fail("malformed group name")
        self.named = True
        self.out.append(f"(?P<{found.group()}>")
        self.pos = found.end() + 1
        self.pending.append(0)

    def inline_flags(self, found: re.Match[str]) -> None:
        on, off, end = found.group(1), found.group(2) or "", found.group(3)
        ruby_to_python = {"i": "i", "m": "s", "x": "x"}
        on_py = "".join(ruby_to_python[f] for f in on)
        off_py = "".join(ruby_to_python[f] for f in off)
        self.pos = found.end()
        if not on_py and not off_py:
            # "(?:" is handled above; "(?-)" and "(?)" switch nothing
            if end == ":":
                self.out.append("(?:")
                self.pending.append(0)
            return
        head = f"(?{on_py}-{off_py}:" if off_py else f"(?{on_py}:"
        self.out.append(head)
        if end == ":":
            self.pending.append(0)
        else:  # (?i) applies to the rest of the enclosing group, alternatives included
            self.pending[-1] += 1

    def close_group(self) -> None:
        if len(self.pending) == 1:
            raise self.fail("unbalanced parenthesis")
        self.out.append(")" * self.pending.pop() + ")")
        self.pos += 1

    # ------------------------------------------------------------------- quantifiers

    def interval(self) -> None:
        found = _INTERVAL.match(self.src, self.pos)
        if found is None or (found.group(1) == "" and found.group(2) in (None, "")):
            self.out.append("\\{")  # a literal brace, as Ruby reads it
            self.pos += 1
            return
        low, high = found.group(1) or "0", found.group(2)
        text = f"{{{low}}}" if high is None else f"{{{low},{high}}}"
        self.pos = found.end()
        if self.src[self.pos : self.pos + 1] == "+":
            # Ruby reads X{n,m}+ as (X{n,m})+, Python as a possessive interval
            raise self.fail("'+' after an interval {n,m}")
        self.out.append(text)

    # ----------------------------------------------------------------------- escapes

    def escape(self, in_class: bool) -> str:
        src = self.src
        if self.pos + 1 >= len(src):
            raise self.fail("pattern ends with a backslash")
        char = src[self.pos + 1]
        self.pos += 2
        simple = self.simple_escape(char, in_class)
        if simple is not None:
            return simple
        if char == "x":
            return self.hex_escape()
        if char == "u":
            return self.unicode_escape()
        if char == "c" or (char == "C" and src[self.pos : self.pos + 1] == "-"):
            return self.control_escape(char)
        if char == "k" and not in_class:
            return self.backreference()
        if char.isdigit():
            return self.numeric_escape(char)
        if char in _UNSUPPORTED_ESCAPES:
            return self.bad(_UNSUPPORTED_ESCAPES[char])
        if char.isascii() and char.isalpha():
            return char  # Ruby reads an unknown letter escape as the letter itself
        return re.escape(char)

    def simple_escape(self, char: str, in_class: bool) -> str | None:
        """One-character escapes whose translation needs no more of the pattern."""
        if in_class and char in "bBH":
            return "\\x08" if char == "b" else self.bad(f"\\{char} inside a class")
        if char in _SAME_ESCAPES:
            return "\\" + char
        if in_class:
            return _HEX if char == "h" else ("\\x1b" if char == "e" else None)
        return _OUTSIDE_CLASS.get(char)

    def bad(self, what: str) -> str:
        raise self.fail(f"unsupported {what}")

    def hex_escape(self) -> str:
        found = re.compile(r"[0-9a-fA-F]{1,2}").match(self.src, self.pos)
        if found is None:
            raise self.fail("\\x without hex digits")
        self.pos = found.end()
        return f"\\x{int(found.group(), 16):02x}"

    def unicode_escape(self) -> str:
        src = self.src
        if src.startswith("{", self.pos):
            end = src.find("}", self.pos)
            codes = src[self.pos + 1 : end].split() if end > 0 else []
            if not codes or not all(re.fullmatch(r"[0-9a-fA-F]{1,6}", c) for c in codes):
                raise self.fail("malformed \\u{...}")
            self.pos = end + 1
            return "".join(re.escape(chr(int(c, 16))) for c in codes if int(c, 16) < 0x110000)
        found = re.compile(r"[0-9a-fA-F]{4}").match(src, self.pos)
        if found is None:
            raise self.fail("\\u needs four hex digits")
        self.pos = found.end()
        return f"\\u{found.group()}"

    def control_escape(self, char: str) -> str:
        if char == "C":
            self.pos += 1  # the "-" of \C-x
        target = self.src[self.pos : self.pos + 1]
        if not target or not target.isascii():
            raise self.fail("malformed control escape")
        self.pos += 1
        return f"\\x{ord(target) & 0x1F:02x}"

    def backreference(self) -> str:
        found = re.compile(r"<([A-Za-z_]\w*|\d+)>|'([A-Za-z_]\w*|\d+)'").match(self.src, self.pos)
        if found is None:
            raise self.fail("unsupported \\k reference")
        self.pos = found.end()
        name = found.group(1) or found.group(2)
        return f"\\{name}" if name.isdigit() else f"(?P={name})"

    def numeric_escape(self, first: str) -> str:
        if first == "0":  # octal: \0, \01, \012
            found = re.compile(r"[0-7]{0,2}").match(self.src, self.pos)
            digits = found.group() if found else ""
            self.pos += len(digits)
            return f"\\x{int('0' + digits, 8):02x}"
        found = re.compile(r"\d*").match(self.src, self.pos)
        tail = found.group() if found else ""
        self.pos += len(tail)
        return f"\\{first}{tail}"

    # ----------------------------------------------------------------- character sets

    def char_class(self) -> str:
        src = self.src
        self.pos += 1
        parts = ["["]
        if src.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        first = True
        while True:
            if self.pos >= len(src):
                raise self.fail("unterminated character class")
            char = src[self.pos]
            if char == "]" and not first:
                self.pos += 1
                break
            if char == "\\":
                parts.append(self.escape(in_class=True))
            elif char == "[":
                parts.append(self.posix_class())
            elif src.startswith("&&", self.pos):
                raise self.fail("unsupported class intersection &&")
            elif char in "|~&" or (char == "-" and src.startswith("--", self.pos)):
                parts.append("\\" + char)  # literal in both; escaped so re does not warn
                self.pos += 1
            else:
                parts.append(char)
                self.pos += 1
            first = False
        parts.append("]")
        return "".join(parts)

    def posix_class(self) -> str:
        found = re.compile(r"\[:(\^?)([a-z]+):\]").match(self.src, self.pos)
        if found is None:
            raise self.fail("unsupported nested character class")
        if found.group(1) or found.group(2) not in _POSIX_CLASSES:
            raise self.fail(f"unsupported POSIX class {found.group()}")
        self.pos = found.end()
        return _POSIX_CLASSES[found.group(2)]


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the parsed pattern tells before any matching (see :func:`analyse`)."""

    needle: str = ""  # a substring every match contains ("" when none is certain)
    icase: bool = False  # the needle is compared without case (and given in lower case)
    runaway: str = ""  # why the pattern can backtrack without end in Python's re, if it can


def analyse(translated: Translated) -> Analysis:
    """The required literal (a cheap, sound prefilter: a value without it cannot match, so
    the pattern need not even be compiled) and the runaway risk of a translated pattern.

    The literal is taken from the pattern's main sequence only (nothing under an
    alternative, a repeat or a lookaround); a case-insensitive one must be ASCII.  Runaway:
    an unbounded repeat whose body holds another unbounded repeat and no literal between
    them, ``(.+)*``: Ruby's engine copes, Python's takes exponential time on a value that
    almost matches.  Uses CPython's own regex parser; elsewhere it finds nothing.
    """
    try:
        sre: Any = importlib.import_module("re._constants")
        parsed = importlib.import_module("re._parser").parse(translated.pattern, translated.flags)
    except Exception:  # another Python, or a pattern it reads differently: nothing known
        return Analysis()
    walker = _Walker(sre)
    try:
        walker.walk(parsed.data, bool(translated.flags & re.IGNORECASE))
        runaway = walker.runaway(parsed.data)
    except RecursionError:
        return Analysis()
    return Analysis(walker.best, walker.best_icase, runaway)


class _Walker:
    """Walks CPython's parse tree of a pattern (``re._parser``)."""

    def __init__(self, sre: Any) -> None:
        self.sre = sre
        self.repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT)
        self.best = ""
        self.best_icase = False

    def walk(self, items: Any, icase: bool) -> None:
        run: list[str] = []
        for op, arg in items:
            if op is self.sre.LITERAL:
                run.append(chr(arg))
                continue
            self.keep(run, icase)
            if op is self.sre.SUBPATTERN:
                _group, add, remove, sub = arg
                inner = (icase or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
                self.walk(sub.data, inner)
        self.keep(run, icase)

    def keep(self, run: list[str], icase: bool) -> None:
        text = "".join(run)
        run.clear()
        if icase and not text.isascii():
            return
        if len(text) > len(self.best):
            self.best, self.best_icase = (text.lower() if icase else text), icase

    def runaway(self, items: Any) -> str:
        for op, arg in items:
            if op in self.repeats and arg[1] == self.sre.MAXREPEAT:
                body = arg[2].data
                if self.unbounded(body) and not self.delimited(body):
                    return "an unbounded repeat of something that repeats without bound, (x+)*"
            for sub in self.children(op, arg):
                if found := self.runaway(sub):
                    return found
        return ""

    def children(self, op: Any, arg: Any) -> list[Any]:
        if op in self.repeats:
            return [arg[2].data]
        if op is self.sre.SUBPATTERN:
            return [arg[3].data]
        if op is self.sre.BRANCH:
            return [sub.data for sub in arg[1]]
        return []

    def unbounded(self, items: Any) -> bool:
        return any(
            (op in self.repeats and arg[1] == self.sre.MAXREPEAT)
            or any(self.unbounded(sub) for sub in self.children(op, arg))
            for op, arg in items
        )

    def delimited(self, items: Any) -> bool:
        """A literal every pass of the body must cross (so passes cannot be split anew)."""
        return any(
            op is self.sre.LITERAL or (op is self.sre.SUBPATTERN and self.delimited(arg[3].data))
            for op, arg in items
        )
