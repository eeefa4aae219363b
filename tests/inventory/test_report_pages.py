"""The sign-off report looked at page by page, as a signer would (issue 14).

Six devices imported from a CSV for a US site, reported and verified through the command line;
then every page is rendered (pdftoppm) and read (pdftotext): no blank or nearly blank page, no
page holding only a heading, no word broken inside a table cell, no pack that does not bind
the site named except once on the "not applicable here" line, policies by display name.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import main
from core import presentation

SIX = """IP,MAC,Brand,Model,Serial,Location
10.0.0.11,44:19:b6:12:34:56,Hikvision,DS-2CD2143G2-I,DS-2CD2143G2-I20230101AACHJ12345678,Lobby
10.0.0.12,c0:56:e3:aa:bb:01,Annke,C800,ANK123456,Car park
10.0.0.13,3c:ef:8c:01:02:03,Dahua,IPC-HDW2431T-AS,6G0ABCDE12345,Warehouse
10.0.0.14,00:40:8c:11:22:33,Axis,P3265-LVE,ACCC8E112233,Entrance
10.0.0.15,02:11:22:33:44:55,,IPCAM-720P,,Back door
10.0.0.16,00:1f:54:aa:bb:cc,Lorex,LNB8005,LRX998877,Office
"""
MAX_PAGES = 6
INK_MIN = 0.02  # share of a page's pixels that are not white, below which it is "nearly blank"


def _cli(*argv: str) -> int:
    return main.main(list(argv))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("six")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp / "data"))  # the signing key made for this test
        csv = tmp / "six.csv"
        csv.write_text(SIX)
        db, pdf, js = tmp / "d.sqlite3", tmp / "r.pdf", tmp / "r.json"
        assert _cli("import", str(csv), "--db", str(db)) == 0
        assert _cli("report", "--db", str(db), "-o", str(pdf), "--json-out", str(js)) == 0
        assert _cli("report", "verify", str(pdf), "--json", str(js)) == 0
        yield pdf, json.loads(js.read_text())


def _page_texts(pdf: Path) -> list[str]:
    """Each page's text in reading order (not -layout: a table cell's lines stay together)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")[:-1]


def _body(page: str) -> list[str]:
    """A page's lines without its footer (the hash line, page X of Y, the verify hint)."""
    return [
        line
        for line in (x.strip() for x in page.splitlines())
        if line and not re.match(r"(Report data SHA-256|page \d+ of|camaudit [\d.]+: check)", line)
    ]


def test_six_devices_fit_in_six_pages_and_verify(report: tuple[Path, dict[str, Any]]) -> None:
    pdf, _ = report
    assert 1 <= len(_page_texts(pdf)) <= MAX_PAGES


def test_no_page_is_blank_nearly_blank_or_a_lone_heading(
    report: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    pdf, _ = report
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    texts = _page_texts(pdf)
    assert len(pngs) == len(texts)
    for number, (png, text) in enumerate(zip(pngs, texts, strict=True), 1):
        grey = Image.open(png).convert("L")
        inked = sum(grey.histogram()[:200]) / (grey.width * grey.height)
        assert inked >= INK_MIN, f"page {number} is nearly blank ({inked:.3f} inked)"
        assert len(_body(text)) >= 5, f"page {number} holds only {_body(text)}"


def test_packs_that_do_not_bind_are_named_once(report: tuple[Path, dict[str, Any]]) -> None:
    pdf, data = report
    others = [p for p in data["policies"] if not p["applies"]]
    assert {p["id"] for p in others} >= {"au_commonwealth_2023", "uk_sensitive_sites_2022"}
    text = " ".join(" ".join(_page_texts(pdf)).split())
    for policy in others:
        assert policy["id"] not in text
        assert text.count(policy["name"]) == 1, policy["name"]
        assert policy["title"][:30] not in text
    line = text[text.index("Not applicable here") :][:400]
    assert all(p["name"] in line for p in others)


def test_policies_by_display_name(report: tuple[Path, dict[str, Any]]) -> None:
    pdf, _ = report
    pages = _page_texts(pdf)
    assert "NDAA §889" in pages[0] and "FCC Covered List" in pages[0]
    for page in pages:
        body = "\n".join(_body(page))
        assert not re.search(r"\b(ndaa889|fcc_covered_list)\b", body.split("(id ")[0])


def test_page_one_answers_the_signer(report: tuple[Path, dict[str, Any]]) -> None:
    pdf, _ = report
    first = " ".join(_page_texts(pdf)[0].split())
    for text in (
        "Organisation type",
        "Examined",
        "Not examined",
        "6 devices found; 3 flagged under a policy that binds this site",
        "FAR 52.204-25(d)",
        "1 business day",
        "10 business days",
        "decisions still open",
    ):
        assert text in first, text


def _vocabulary(data: dict[str, Any]) -> set[str]:
    """Every whole word the report prints in table cells: labels, codes, names, device values."""
    words: set[str] = set()
    phrases = [presentation.style(s).label for s in presentation.STATUS_ORDER]
    phrases += [presentation.style(s).code for s in presentation.STATUS_ORDER]
    phrases += [p["name"] for p in data["policies"]]
    phrases += ["Brand / maker", "Location", "Decision", "Serial", "Model", "Policy", "Verdict"]
    for rec in data["devices"]:
        phrases += [str(rec[k] or "") for k in ("ip", "mac", "model", "serial", "location")]
        phrases += [str(rec[k] or "").title() for k in ("maker", "brand")]
    for phrase in phrases:
        words.update(w.strip(".,;:()") for w in phrase.split())
    return {w for w in words if len(w) >= 2}


def broken_words(lines: list[str], vocabulary: set[str]) -> list[str]:
    """Words split across two lines: the end of one line and the start of the next make a
    word the report prints while the end alone is not one ("N" + "ot" -> "Not")."""
    found = []
    for a, b in itertools.pairwise(lines):
        if not a.split() or not b.split():
            continue
        tail, head = a.split()[-1], b.split()[0]
        if tail + head in vocabulary and tail not in vocabulary:
            found.append(f"{tail}|{head}")
    return found


def test_the_broken_word_check_would_catch_the_old_appendix() -> None:
    vocabulary = {"Not", "covered", "Covered"}
    assert broken_words(["N", "ot", "co", "ve", "re", "d"], vocabulary) == ["N|ot"]
    assert broken_words(["Not co", "vered"], vocabulary) == ["co|vered"]
    assert broken_words(["Not covered", "Covered"], vocabulary) == []


def test_no_word_is_broken_inside_a_table_cell(report: tuple[Path, dict[str, Any]]) -> None:
    pdf, data = report
    vocabulary = _vocabulary(data)
    for number, page in enumerate(_page_texts(pdf), 1):
        assert broken_words(_body(page), vocabulary) == [], f"page {number}"


def test_the_inventory_is_on_landscape_pages_with_codes_and_a_legend(
    report: tuple[Path, dict[str, Any]],
) -> None:
    pdf, _ = report
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    pages = _page_texts(pdf)
    appendix = [i for i, p in enumerate(pages) if "Appendix: full inventory" in p]
    assert appendix
    for i in appendix:
        width, height = map(float, sizes[i])
        assert width > height
    text = " ".join(pages[appendix[0]].split())
    assert "Codes: COV Covered" in text and "CFU" in text and "NC Not covered" in text
