"""recog's own self-test, run over a fingerprint directory before camaudit uses it.

As recog's ``verify`` and its fingerprint spec do: every ``<example>`` must match its own
fingerprint and yield each value its attributes name; a fingerprint whose params use a capture
group no example checks, or whose example an earlier fingerprint of the same file would match
first, gets a warning.  A fingerprint that cannot be translated is *unusable* (its examples are
not run); one with a failing example is *disabled*: identification never uses it.

``guard`` is an optional context-manager factory the caller supplies to bound the time of one
example (the CLI uses a timer signal); a guard that raises :class:`TimeoutError` marks the
fingerprint that was running as disabled (a pattern that backtracks without end on one input
would on a device's banner too).  Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from vendors.recog.db import Example, Fingerprint, RecogFile, RecogMatchError

Guard = Callable[[], AbstractContextManager[Any]]
# A directory is refused when more than these shares of its examples / fingerprints fail.
MAX_FAILED_SHARE = 0.02
MAX_UNUSABLE_SHARE = 0.05
STRESS_CHARS = 2048  # identify() cuts longer values (vendors.identify.MAX_VALUE_CHARS)


@dataclass(frozen=True, slots=True)
class Finding:
    """One located problem: ``http_servers.xml:314: example 'x' ...``."""

    ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.ref}: {self.message}"


@dataclass(slots=True)
class SelfTest:
    """What the self-test found over a whole directory."""

    files: int = 0
    fingerprints: int = 0
    passed: int = 0
    not_run: int = 0
    unusable: list[Finding] = field(default_factory=list)
    failed: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)  # fingerprint refs
    stopped: str = ""  # why the test stopped before the end (its time budget ran out)

    @property
    def untranslatable(self) -> int:
        return sum("untranslatable" in f.message for f in self.unusable)

    @property
    def runaway(self) -> int:
        return sum(f.message.startswith("runaway-prone") for f in self.unusable)

    @property
    def examples(self) -> int:
        return self.passed + len(self.failed) + self.not_run

    @property
    def run(self) -> int:
        return self.passed + len(self.failed)

    def refusal(self) -> str | None:
        """Why the directory should not be installed, or None."""
        if self.stopped:
            return self.stopped
        if not self.fingerprints:
            return "no fingerprints at all"
        if self.run and len(self.failed) > MAX_FAILED_SHARE * self.run:
            return (
                f"{len(self.failed):,} of {self.run:,} examples fail their own fingerprint "
                f"(more than {MAX_FAILED_SHARE:.0%}); first: {self.failed[0]}"
            )
        if len(self.unusable) > MAX_UNUSABLE_SHARE * self.fingerprints:
            return (
                f"{len(self.unusable):,} of {self.fingerprints:,} fingerprints cannot be used "
                f"(more than {MAX_UNUSABLE_SHARE:.0%}); first: {self.unusable[0]}"
            )
        return None

    def summary(self) -> str:
        return (
            f"{self.fingerprints:,} fingerprints in {self.files} files; examples: "
            f"{self.passed:,} passed, {len(self.failed):,} failed, {self.not_run:,} not run; "
            f"{self.untranslatable:,} untranslatable, {self.runaway:,} runaway-prone, "
            f"{len(self.unusable) - self.untranslatable - self.runaway:,} malformed, "
            f"{len(self.disabled):,} disabled, {len(self.warnings):,} warnings"
        )


def _no_guard() -> AbstractContextManager[Any]:
    return contextlib.nullcontext()


def run_self_test(
    files: list[RecogFile], guard: Guard | None = None, budget: float | None = None
) -> SelfTest:
    """Check every example of every file (see the module docstring); with ``budget`` seconds
    given, a test that runs longer stops, and :meth:`SelfTest.refusal` says so."""
    result = SelfTest(files=len(files))
    deadline = time.monotonic() + budget if budget is not None else None
    for recog_file in files:
        _check_file(recog_file, result, guard or _no_guard, deadline)
        if result.stopped:
            break
    return result


def _check_file(
    recog_file: RecogFile, result: SelfTest, guard: Guard, deadline: float | None
) -> None:
    usable: list[Fingerprint] = []
    for fingerprint in recog_file.fingerprints:
        if deadline is not None and time.monotonic() > deadline:
            result.stopped = (
                f"the self-test ran out of time at {fingerprint.ref} "
                f"({result.fingerprints:,} fingerprints checked)"
            )
            return
        result.fingerprints += 1
        if fingerprint.regex() is None:
            result.unusable.append(Finding(fingerprint.ref, fingerprint.problem))
            result.not_run += len(fingerprint.examples)
            continue
        _check_params(fingerprint, result)
        for example in fingerprint.examples:
            _check_example(fingerprint, example, usable, result, guard)
        if fingerprint.ref not in result.disabled:
            _stress(fingerprint, result, guard)
        if fingerprint.ref not in result.disabled:
            usable.append(fingerprint)


def _stress(fingerprint: Fingerprint, result: SelfTest, guard: Guard) -> None:
    """Run the pattern over a long value grown from its own example and ending in a byte it
    cannot match: the classic shape that makes a backtracking pattern run without end.  A
    heuristic (not a proof), bounded by ``guard`` like the examples."""
    regex = fingerprint.regex()
    assert regex is not None
    seed = next((e.text for e in fingerprint.examples if e.text and not e.problem), "")
    if not seed:
        return
    value = (seed * (STRESS_CHARS // len(seed) + 1))[: STRESS_CHARS - 1] + "\x00"
    try:
        with guard():
            regex.search(value)
    except TimeoutError:
        result.failed.append(
            Finding(
                fingerprint.ref,
                "too slow on a long value grown from its example (runaway backtracking): disabled",
            )
        )
        result.disabled.add(fingerprint.ref)


def _check_params(fingerprint: Fingerprint, result: SelfTest) -> None:
    regex = fingerprint.regex()
    assert regex is not None
    asserted = {key for example in fingerprint.examples for key in example.expect}
    for name, (pos, _) in fingerprint.params.items():
        if pos > regex.groups:
            result.warnings.append(
                Finding(fingerprint.ref, f"{name} uses group {pos}; the pattern has {regex.groups}")
            )
        elif pos > 0 and name not in asserted and not name.startswith("_tmp."):
            result.warnings.append(
                Finding(fingerprint.ref, f"no example checks {name} (capture group {pos})")
            )


def _check_example(
    fingerprint: Fingerprint,
    example: Example,
    earlier: list[Fingerprint],
    result: SelfTest,
    guard: Guard,
) -> None:
    shown = _shown(example.text)
    if example.problem:
        _fail(fingerprint, result, f"example at line {example.line}: {example.problem}")
        return
    running = fingerprint
    try:
        with guard():
            got = fingerprint.match(example.text)
            wrong = _mismatch(example, got)
            shadow = None
            lowered = example.text.lower()
            for running in earlier:
                if running.may_match(example.text, lowered) and running.match(example.text):
                    shadow = running
                    break
    except TimeoutError:
        _fail(running, result, f"too slow on the example {shown} (runaway backtracking)")
        if running is not fingerprint:
            earlier.remove(running)
        return
    except RecogMatchError as exc:
        _fail(fingerprint, result, f"example {shown}: {exc}")
        return
    if wrong:
        _fail(fingerprint, result, f"example {shown}: {wrong}")
        return
    result.passed += 1
    if not fingerprint.may_match(example.text):  # the prefilter must never hide a match
        result.warnings.append(
            Finding(fingerprint.ref, f"prefilter {fingerprint.needle!r} misses {shown}: dropped")
        )
        fingerprint.needle = ""
    if shadow is not None:
        result.warnings.append(
            Finding(fingerprint.ref, f"example {shown} is matched first by {shadow.ref}")
        )


def _mismatch(example: Example, got: dict[str, str | None] | None) -> str:
    if got is None:
        return "does not match the pattern"
    for key, want in example.expect.items():
        if got.get(key) != want:
            return f"{key} is {got.get(key)!r}, the example says {want!r}"
    return ""


def _fail(fingerprint: Fingerprint, result: SelfTest, message: str) -> None:
    result.failed.append(Finding(fingerprint.ref, message))
    result.disabled.add(fingerprint.ref)


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
