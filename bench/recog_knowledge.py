"""rapid7/recog as camaudit's second knowledge source: self-test, load time, identify speed and
vendor-right rate on recog's own examples, each against camaudit without recog in the same run.

Takes a recog checkout (or an export of its ``xml/`` and ``LICENSE``) outside the repository;
nothing of it is written into the repository (recog's data is not ours to commit).

- self-test: vendors.recog.selftest over every file (passed / failed / not run, untranslatable);
- load: what identify() pays once: reading the installed ``index.json`` (patterns already
  translated), and compiling every pattern (done lazily, per pattern, on first use); the XML
  parse and translation that ``vendors update --recog`` does, for comparison;
- speed: identify() over the identify_speed records plus records carrying recog-read fields
  (realms, SSH / FTP / telnet greetings, certificate subjects, SNMP sysDescr, SIP agents),
  with recog loaded and without it (the peer), memoised (best of N) and on a first pass;
- vendor right: every example of recog's camera, recorder and encoder fingerprints and of its
  fingerprints naming a covered maker (Huawei, ZTE, Hytera, Hikvision, Dahua), put into the
  evidence field our probes would fill (through the probes' own greeting parsers), identified
  with and without recog; right = the catalogue maker (or brand) recog's vendor names.

    .venv/bin/python -m bench.recog_knowledge /tmp/recog-export --commit 14fa1a7 [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.identify_speed import _oui_only, _time, build_records
from bench.results import write_section
from core.model import DeviceType, EvidenceValue, SiteProfile, SiteUse

SECTION = "## recog as a second knowledge source"
COVERED = ("huawei", "zte", "hytera", "hikvision", "dahua")
FLAGGED = ("covered", "covered_for_use", "likely_covered")
TARGET_RATE, TARGET_LOAD, TARGET_RIGHT = 20_000, 0.5, 0.95
_REALM = re.compile(r'realm="([^"]*)"', re.IGNORECASE)


# ------------------------------------------------------------------------------ loading


def load_files(checkout: Path) -> tuple[list[Any], float]:
    from vendors.recog.db import read_directory

    start = time.perf_counter()
    files = read_directory(checkout / "xml")
    return files, time.perf_counter() - start


def index_load(files: list[Any], result: Any, commit: str | None) -> tuple[Any, float, float]:
    """Install-like index in a temp dir; time reading it back, then compiling every pattern."""
    from vendors.recog import store

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        manifest = store.Manifest(
            commit, None, "bench", "bench", (), store.self_test_record(result)
        )
        (directory / store.MANIFEST).write_bytes(manifest.to_json())
        (directory / store.INDEX).write_bytes(store.render_index(files, result))
        start = time.perf_counter()
        installed = store.load(directory)
        load_s = time.perf_counter() - start
    start = time.perf_counter()
    for recog_file in installed.db.files:
        for fingerprint in recog_file.fingerprints:
            fingerprint.regex()
    compile_s = time.perf_counter() - start
    return installed.db, load_s, compile_s


def _fresh_db(files: list[Any], result: Any) -> Any:
    from vendors.recog import store

    return store.parse_index(store.render_index(files, result), "rapid7/recog (bench)")


def engine(db: Any | None) -> Any:
    from vendors.catalogue import load_catalogue
    from vendors.fingerprints import load_rules
    from vendors.identify import Engine
    from vendors.oui import default_registry
    from vendors.recog.source import Recognizer

    catalogue = load_catalogue()
    recog = Recognizer(db, catalogue) if db is not None else None
    return Engine(load_rules(), catalogue, default_registry(), recog=recog)


# ------------------------------------------------------------------- examples as evidence


def evidence_for(matches: str, text: str) -> dict[str, EvidenceValue] | None:
    """What our probes would record for a recog example of kind ``matches`` (None: no probe
    of ours reads this kind of value)."""
    from discovery.banner import parse_greeting
    from discovery.base import ParseError

    raw = text.encode("utf-8", "surrogateescape")
    try:
        if matches == "ssh.banner":
            return {"banner.ssh": parse_greeting("ssh", b"SSH-2.0-" + raw)}
        if matches == "ftp.banner":
            return {"banner.ftp": parse_greeting("ftp", b"220 " + raw)}
        if matches in ("telnet.banner", "telnet_banners"):
            return {"banner.telnet": parse_greeting("telnet", raw)}
    except (ParseError, UnicodeError):
        return None
    if matches == "http_header.wwwauth":
        found = _REALM.search(text)
        return {"http.realm": found.group(1)} if found else None
    if matches == "mdns.device-info.txt":
        key, sep, value = text.partition("=")
        return {f"mdns.txt.{key}": value} if sep else None
    direct = {
        "http_header.server": "http.server",
        "html_title": "http.title",
        "rtsp_header.server": "rtsp.server",
        "snmp.sys_description": "snmp.sysdescr",
        "sip_header.server": "sip.server",
        "sip_header.user_agent": "sip.user_agent",
        "x509.subject": "tls.subject",
        "x509.issuer": "tls.issuer",
        "favicon.md5": "http.favicon_md5",
        "dhcp_vendor_class": "dhcp.vendor_class",
    }
    return {direct[matches]: text} if matches in direct else None


@dataclass
class Case:
    category: str  # camera | recorder | encoder | telecom
    ref: str
    vendor: str
    maker: str | None
    brand: str | None
    evidence: dict[str, EvidenceValue]


@dataclass
class Selection:
    cases: list[Case] = field(default_factory=list)
    uncatalogued: Counter[str] = field(default_factory=Counter)
    component_only: Counter[str] = field(default_factory=Counter)
    no_field: Counter[str] = field(default_factory=Counter)


def select(db: Any, files: list[Any]) -> Selection:
    """Examples of camera / recorder / encoder fingerprints and of covered makers' ones."""
    from vendors.catalogue import load_catalogue
    from vendors.recog.meaning import device_type, resolve_vendor

    catalogue = load_catalogue()
    usable = {fp.ref for f in db.files for fp in f.fingerprints}
    out = Selection()
    for recog_file in files:
        for fp in recog_file.fingerprints:
            if fp.ref not in usable:
                continue
            for example in fp.examples:
                result = fp.match(example.text) or {}
                vendor = next(
                    (v for ns in ("hw", "os", "service") if (v := result.get(f"{ns}.vendor"))), None
                )
                kind = device_type(
                    next((d for ns in ("hw", "os") if (d := result.get(f"{ns}.device"))), None)
                )
                resolved = resolve_vendor(catalogue, vendor) if vendor else None
                category = _category(kind, resolved.maker if resolved else None)
                if category is None or vendor is None or resolved is None:
                    continue
                if not (resolved.maker or resolved.brand):
                    # a SoC maker's name (HiSilicon) says who made the chip, not the box
                    which = out.component_only if resolved.component else out.uncatalogued
                    which[f"{vendor} ({category})"] += 1
                    continue
                evidence = evidence_for(recog_file.matches, example.text)
                if evidence is None:
                    out.no_field[recog_file.matches] += 1
                    continue
                out.cases.append(
                    Case(category, fp.ref, vendor, resolved.maker, resolved.brand, evidence)
                )
    return out


def _category(kind: Any, maker: str | None) -> str | None:
    if kind in (DeviceType.CAMERA, DeviceType.RECORDER, DeviceType.ENCODER):
        return str(kind.value)
    return "telecom" if maker in COVERED else None


@dataclass
class Tally:
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    flagged: int = 0
    covered_total: int = 0
    misses: list[str] = field(default_factory=list)


def score(identify: Callable[[Any], Any], judge: Callable[[Any], Any], cases: list[Case]) -> Tally:
    tally = Tally()
    for case in cases:
        identity = identify(case.evidence)
        right = (
            identity.maker == case.maker if case.maker else identity.brand == case.brand
        )  # brand-only names (ANNKE): the brand, the catalogue gives the maker
        tally.total[case.category] += 1
        tally.right[case.category] += right
        if not right:
            tally.misses.append(f"{case.ref} {case.vendor}: got {identity.maker}/{identity.brand}")
        if case.maker in COVERED:
            tally.covered_total += 1
            statuses = {v.status.value for v in judge(identity).values()}
            tally.flagged += bool(statuses & set(FLAGGED))
    return tally


def _judge() -> Callable[[Any], Any]:
    from vendors.judge import judge_all
    from vendors.policies import load_policies

    packs = [p for p in load_policies().packs if p.id == "ndaa889"]
    site = SiteProfile(uses=(SiteUse.PUBLIC_SAFETY,))
    return lambda identity: judge_all(identity, packs, site)


# -------------------------------------------------------------------------------- speed


def speed_records(cases: list[Case], count: int, seed: int = 12) -> list[dict[str, EvidenceValue]]:
    """identify_speed's records, one in four replaced by a recog-read example record."""
    rng = random.Random(seed)
    records = build_records(count)
    pool = [c.evidence for c in cases]
    for index in range(0, count, 4):
        records[index] = dict(rng.choice(pool))
    return records


def speed(
    files: list[Any], result: Any, cases: list[Case], count: int, runs: int
) -> dict[str, float]:
    records = speed_records(cases, count)
    first = engine(_fresh_db(files, result))  # patterns compile lazily inside this pass
    first_s = _time(first.identify, records, 1)
    without, oui = engine(None), _oui_only()
    _time(without.identify, records, 1)
    warm_s = without_s = oui_s = float("inf")
    for _ in range(runs):  # interleaved, so a busy spell on the machine hits all three alike
        warm_s = min(warm_s, _time(first.identify, records, 1))
        without_s = min(without_s, _time(without.identify, records, 1))
        oui_s = min(oui_s, _time(oui, records, 1))
    unique: list[dict[str, EvidenceValue]] = [
        {"http.server": f"Unseen-Server/{i}.{i % 7}"} for i in range(2_000)
    ]
    fresh = engine(_fresh_db(files, result))
    fresh.identify({"http.server": "warm-up"})  # index the files that read http.server
    unique_s = _time(fresh.identify, unique, 1)
    plain_unique_s = _time(engine(None).identify, unique, 1)
    return {
        "records": count, "warm_s": warm_s, "first_s": first_s, "without_s": without_s,
        "oui_s": oui_s, "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else -1.0,
        "unique": len(unique), "unique_s": unique_s, "plain_unique_s": plain_unique_s,
    }  # fmt: skip


# ------------------------------------------------------------------------------- report


def _pct(right: int, total: int) -> str:
    return f"{100 * right / total:.1f} % ({right}/{total})" if total else "-"


def render(m: dict[str, Any]) -> str:
    st, sp, withr, without = m["selftest"], m["speed"], m["with"], m["without"]
    rows = []
    for category in ("camera", "recorder", "encoder", "telecom"):
        total = withr.total[category]
        rows.append(
            f"| {category} | {total} | {_pct(withr.right[category], total)} | "
            f"{_pct(without.right[category], total)} |"
        )
    right, total = sum(withr.right.values()), sum(withr.total.values())
    right0 = sum(without.right.values())
    rows.append(f"| **all** | {total} | {_pct(right, total)} | {_pct(right0, total)} |")
    rate = lambda s: sp["records"] / s  # noqa: E731
    ok = lambda good: "meets" if good else "does NOT meet"  # noqa: E731
    load_total = m["index_s"] + m["compile_s"]
    uncatalogued = ", ".join(f"{k} {v}" for k, v in m["uncatalogued"].most_common())
    return "\n".join([
        SECTION,
        "",
        f"Measured {dt.date.today().isoformat()} with `.venv/bin/python -m bench.recog_knowledge "
        f"<export of rapid7/recog>` (Python {platform.python_version()}; {platform.machine()}) "
        f"on rapid7/recog commit {m['commit']} (its `xml/` and `LICENSE`, exported outside the "
        "repository; nothing of recog is committed here). Peer, in the same run: camaudit "
        "without recog (our rules, OUI registry, catalogue).",
        "",
        f"**Self-test** (recog's verify: every example matches its own fingerprint and yields "
        f"its params): {st.fingerprints:,} fingerprints in {st.files} files; examples "
        f"{st.passed:,} passed, {len(st.failed)} failed, {st.not_run} not run; "
        f"{st.untranslatable} untranslatable to Python `re`; {st.runaway} runaway-prone in Python "
        f"(not used: {'; '.join(str(f) for f in st.unusable if 'runaway' in f.message)}); "
        f"{len(st.disabled)} disabled; "
        f"{len(st.warnings)} warnings (capture params no example checks). Time "
        f"{m['selftest_s']:.2f} s (with recog's \"matched first\" check and the backtracking "
        "probe), after parsing and translating the XML in "
        f"{m['parse_s']:.3f} s.",
        "",
        "| one-time cost | time | target |",
        "|---|---|---|",
        f"| load the installed copy (manifest + index of translated patterns) | "
        f"{m['index_s']:.3f} s | |",
        "| compile every indexed pattern (lazily, per pattern, when its literal is first met; "
        "usually a small part) | "
        f"{m['compile_s']:.3f} s | |",
        f"| **load + compile all** | **{load_total:.3f} s** | < {TARGET_LOAD} s: "
        f"{ok(load_total < TARGET_LOAD)} |",
        f"| for comparison: parse + translate the XML (what `vendors update` does) | "
        f"{m['parse_s']:.3f} s | |",
        "",
        f"| identify() over {sp['records']:,} records (1 in 4 carries a recog-read field) | time "
        "| records / s | vs without recog |",
        "|---|---|---|---|",
        f"| with recog, memoised (best of {m['runs']}) | {sp['warm_s']:.3f} s | "
        f"{rate(sp['warm_s']):,.0f} | {sp['warm_s'] / sp['without_s']:.2f}x the time |",
        f"| with recog, first pass (empty memo, patterns compiled as met) | {sp['first_s']:.3f} s "
        f"| {rate(sp['first_s']):,.0f} | {sp['first_s'] / sp['without_s']:.2f}x the time |",
        f"| without recog (peer), memoised | {sp['without_s']:.3f} s | "
        f"{rate(sp['without_s']):,.0f} | 1.00x |",
        f"| OUI-only lookup (the Identification speed section's peer) | {sp['oui_s']:.3f} s | "
        f"{rate(sp['oui_s']):,.0f} | {sp['oui_s'] / sp['without_s']:.2f}x the time |",
        f"| {sp['unique']:,} never-seen `http.server` values, with recog | {sp['unique_s']:.3f} s "
        f"| {sp['unique'] / sp['unique_s']:,.0f} | "
        f"{sp['unique_s'] / sp['plain_unique_s']:.1f}x the time of the same without recog |",
        "",
        f"With recog loaded and memoised, identify() {ok(rate(sp['warm_s']) >= TARGET_RATE)} the "
        f"{TARGET_RATE:,} records/s target in this run (1-minute load average "
        f"{sp['load']:.1f} on {os.cpu_count()} cores while it ran: other sessions were busy, "
        "so the ratios are the figures to read). A value never seen before costs a pass over the "
        "fingerprints of the files that read its field (~450 for `http.server`): a substring "
        "test of each one's required literal (found at install from the parsed pattern; "
        f"{m['needles']:,} of {m['indexed']:,} indexed fingerprints have one), then the regex "
        "of the few whose literal is there (last row); a fleet repeats its banners, so the "
        "memo answers most.",
        "",
        "**Vendor right on recog's own examples** (each example put into the field our probe "
        "fills, through the probe's own greeting parser; right = the catalogue maker, or the "
        "brand for a brand-only name such as ANNKE, that the fingerprint's vendor param names):",
        "",
        "| fingerprints | examples | with recog | without recog (peer) |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Covered makers' examples flagged by ndaa889 (covered, covered for use or likely, site "
        f"use public_safety): with recog {_pct(withr.flagged, withr.covered_total)}, without "
        f"{_pct(without.flagged, without.covered_total)}.",
        "",
        f"With recog the rate {ok(right >= TARGET_RIGHT * total)} the {TARGET_RIGHT:.0%} target. "
        "Caveat: these are recog's own examples, which its fingerprints match by construction "
        "(the self-test checks it), so the figure measures the translation, the field mapping, "
        "the vendor-to-catalogue reading and that our decision does not overrule recog wrongly; "
        "it is not accuracy on unseen devices (bench/RESULTS.md, Identification accuracy). "
        f"Left out: {sum(m['uncatalogued'].values())} examples whose vendor the catalogue does "
        f"not know ({uncatalogued or 'none'}), "
        f"{sum(m['component_only'].values())} that name only a chip maker "
        f"({', '.join(f'{k} {v}' for k, v in m['component_only'].items()) or 'none'}; "
        "identify() sets the component flag), and "
        f"{sum(m['no_field'].values())} of kinds no probe of ours reads "
        f"({', '.join(f'{k} {v}' for k, v in m['no_field'].most_common()) or 'none'}).",
        *(["", "Misses with recog: " + "; ".join(withr.misses[:12])] if withr.misses else []),
        *(
            [
                "(A telnet miss: our telnet probe joins a greeting's lines with \"\\n\" and drops "
                "blank ones (discovery/banner.py); a recog pattern that needs the raw "
                "`\\r\\n\\r` bytes cannot match that, even tried with CRLF line ends.)"
            ]
            if any(x.startswith("telnet_banners") for x in withr.misses)
            else []
        ),
    ])  # fmt: skip


def measure(checkout: Path, commit: str, count: int, runs: int) -> dict[str, Any]:
    from vendors.recog.selftest import run_self_test

    files, parse_s = load_files(checkout)
    start = time.perf_counter()
    result = run_self_test(files)
    selftest_s = time.perf_counter() - start
    db, index_s, compile_s = index_load(files, result, commit)
    chosen = select(db, files)
    judge = _judge()
    with_recog = score(engine(db).identify, judge, chosen.cases)
    without = score(engine(None).identify, judge, chosen.cases)
    return {
        "commit": commit, "runs": runs, "selftest": result, "selftest_s": selftest_s,
        "parse_s": parse_s, "index_s": index_s, "compile_s": compile_s,
        "with": with_recog, "without": without, "uncatalogued": chosen.uncatalogued,
        "component_only": chosen.component_only,
        "no_field": chosen.no_field, "speed": speed(files, result, chosen.cases, count, runs),
        "indexed": sum(len(f.fingerprints) for f in db.files),
        "needles": sum(bool(fp.needle) for f in db.files for fp in f.fingerprints),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="recog checkout or export (xml/, LICENSE)")
    parser.add_argument("--commit", default="unknown", help="the recog commit it holds")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args(argv)
    text = render(measure(args.checkout, args.commit, args.records, args.runs))
    print(text)
    if args.write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
