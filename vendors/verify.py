"""Self-test of the identification data: ``python -m vendors.verify``.

Checks, the rapid7/recog way, every fingerprint file and the catalogue:

- every rule file parses, every regex compiles and its capture groups equal its captured params;
- every example asserts at least one value, matches its own rule and extracts what it claims;
- every fixed param and every capture group of a rule is asserted by at least one of its examples
  (a capture group counts only for an example in which that group supplied the value);
- no example is swallowed by an earlier rule of the same file (first match wins in a file);
- every maker / brand id a rule names exists in the catalogue;
- the catalogue loads (links point at known makers, the ownership graph has no cycle);
- the built-in policy packs name only catalogue makers.

Prints ``file:line: message`` for each broken entry and exits non-zero if there is any.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from vendors.catalogue import DATA_FILE, Catalogue, CatalogueError, load_catalogue
from vendors.fingerprints import DATA_DIR, Example, Problem, Rule, RuleFile, read_rules

_ID_PARAMS = {"maker": "makers", "brand": "brands"}


def check_example(rule: Rule, example: Example) -> str | None:
    """Why ``example`` fails its own rule, or None."""
    got = rule.extract(example.value)
    if got is None:
        return f"example {example.value!r} does not match rule {rule.id}"
    if not example.expect:
        extracts = ", ".join(f"{k} = {v!r}" for k, v in sorted(got.items())) or "nothing"
        what = f"example {example.value!r} of rule {rule.id}"
        return f"{what} asserts nothing (it extracts {extracts})"
    wrong = {k: (v, got.get(k)) for k, v in example.expect.items() if got.get(k) != v}
    if wrong:
        parts = ", ".join(f"{k}: expected {v!r}, got {g!r}" for k, (v, g) in wrong.items())
        return f"example {example.value!r} of rule {rule.id}: {parts}"
    return None


def _asserted_sources(rule: Rule, example: Example) -> set[str | int]:
    """The fixed params (by name) and capture groups (by number) whose values ``example`` asserts.

    A name both fixed and captured is credited to the group only when that group took part in
    the match, the way ``Rule.extract`` lets a non-empty capture override the fixed value.
    """
    found = rule.pattern.search(example.value)
    if found is None:
        return set()
    supplier: dict[str, str | int] = {name: name for name in rule.params}
    for index, name in rule.captures.items():
        if found.group(index):
            supplier[name] = index
    return {supplier[key] for key in example.expect if key in supplier}


def unasserted(rule: Rule) -> list[str]:
    """What ``rule`` extracts that none of its examples asserts (recog's capture-group check)."""
    asserted = set().union(*(_asserted_sources(rule, ex) for ex in rule.examples))
    missing = [
        f"rule {rule.id}: no example asserts {name} = {value!r} (a fixed param)"
        for name, value in rule.params.items()
        if name not in asserted
    ]
    missing += [
        f"rule {rule.id}: no example asserts {name} from capture group {index}"
        for index, name in sorted(rule.captures.items())
        if index not in asserted
    ]
    return missing


def _patterns_overlap(a: str, b: str) -> bool:
    if a.endswith("*") and b.endswith("*"):
        return a[:-1].startswith(b[:-1]) or b[:-1].startswith(a[:-1])
    if a.endswith("*"):
        return b.startswith(a[:-1])
    if b.endswith("*"):
        return a.startswith(b[:-1])
    return a == b


def _overlaps(a: Rule, b: Rule) -> bool:
    """True if some field is matched by both rules (so their order matters)."""
    return any(_patterns_overlap(fa, fb) for fa in a.fields for fb in b.fields)


def check_file(rule_file: RuleFile) -> list[Problem]:
    problems = []
    for index, rule in enumerate(rule_file.rules):
        for example in rule.examples:
            if why := check_example(rule, example):
                problems.append(Problem(rule_file.path, example.line, why))
                continue
            for earlier in rule_file.rules[:index]:
                if _overlaps(earlier, rule) and earlier.extract(example.value) is not None:
                    problems.append(
                        Problem(
                            rule_file.path,
                            example.line,
                            f"example {example.value!r} of rule {rule.id} is swallowed by "
                            f"earlier rule {earlier.id} (line {earlier.line})",
                        )
                    )
                    break
        problems.extend(Problem(rule_file.path, rule.line, why) for why in unasserted(rule))
    return problems


def check_ids(rule_file: RuleFile, catalogue: Catalogue) -> list[Problem]:
    problems = []
    for rule in rule_file.rules:
        for param, table in _ID_PARAMS.items():
            ident = rule.params.get(param)
            if ident is not None and ident not in getattr(catalogue, table):
                problems.append(
                    Problem(rule_file.path, rule.line, f"rule {rule.id}: unknown {param} {ident!r}")
                )
    return problems


def verify(rules_dir: Path = DATA_DIR, catalogue_path: Path = DATA_FILE) -> list[Problem]:
    """Every problem in the rule files and the catalogue (empty: all good)."""
    problems: list[Problem] = []
    catalogue: Catalogue | None = None
    try:
        catalogue = load_catalogue(catalogue_path)
    except CatalogueError as exc:
        problems.append(_catalogue_problem(catalogue_path, str(exc)))
    rules, found = read_rules(rules_dir)
    problems.extend(found)
    for rule_file in rules.files:
        problems.extend(check_file(rule_file))
        if catalogue is not None:
            problems.extend(check_ids(rule_file, catalogue))
    if catalogue is not None:
        problems.extend(policy_problems(catalogue))
    return problems


def policy_problems(catalogue: Catalogue) -> list[Problem]:
    """The built-in policy packs must name only catalogue makers (and load at all)."""
    try:
        from vendors.policies import load_policies  # noqa: PLC0415  (policies import us)
    except ImportError:  # policies not installed: nothing to cross-check
        return []
    loaded = load_policies(
        user_dir=Path("/nonexistent-camaudit-user-packs"), known_makers=catalogue.makers
    )
    return [Problem(e.path or Path("policies"), e.line or 0, e.message) for e in loaded.errors]


def _catalogue_problem(path: Path, message: str) -> Problem:
    # CatalogueError messages already read "file:line: ..."; keep the line for the printout.
    prefix = f"{path}:"
    if message.startswith(prefix):
        line_text, _, rest = message[len(prefix) :].partition(": ")
        if line_text.isdigit():
            return Problem(path, int(line_text), rest)
    return Problem(path, 0, message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vendors.verify", description=__doc__)
    parser.add_argument("--rules", type=Path, default=DATA_DIR, help="fingerprint directory")
    parser.add_argument("--catalogue", type=Path, default=DATA_FILE, help="catalogue file")
    args = parser.parse_args(argv)
    problems = verify(args.rules, args.catalogue)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    rules, _ = read_rules(args.rules)
    count = sum(len(r.examples) for r in rules.all_rules())
    print(f"ok: {len(rules.all_rules())} rules, {count} examples, catalogue {args.catalogue.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
