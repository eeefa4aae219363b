"""The PDF sign-off report, read back the way a person would: pdftotext and pdftoppm."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.model import VerdictStatus
from discovery.methods import ALL_METHODS
from inventory.canonical import sha256_hex
from inventory.dispositions import make_disposition
from inventory.export_json import write_json
from inventory.report_data import ReportMeta, build_report_data
from inventory.report_pdf import identity_line, write_pdf
from inventory.report_sign import installation_key, sign_pdf_bytes
from inventory.report_verify import verify_with_json
from tests.inventory.factories import T0, device, fleet, scan

META = ReportMeta(
    "Acme Corp", "Main plant", "alice", "J. Smith", "Compliance officer", generated_at=T0
)


def _data(devices: list[Any], dispositions: dict[str, Any] | None = None) -> dict[str, Any]:
    record = scan(devices)
    record.id = 12
    return build_report_data(record, META, dispositions)


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    devices = fleet(5)
    decision = make_disposition(
        devices[0].key,
        "scheduled_for_removal",
        "bob",
        "replace with Axis",
        "2026-12-31",
        recorded_at=T0,
    )
    data = _data(devices, {devices[0].key: decision})
    pdf = tmp_path_factory.mktemp("pdf") / "report.pdf"
    write_pdf(data, pdf)
    return pdf, data


def test_title_page_names_the_audit(small: tuple[Path, dict[str, Any]]) -> None:
    pdf, _ = small
    title = _pages(pdf)[0]
    for text in (
        "Camera inventory audit",
        "Acme Corp",
        "Main plant",
        "alice",
        "2026-11-02T09:00:00+00:00",
        "198.18.0.0/22",
        "arp, wsd, onvif, http",
        "NDAA §889",
        "FCC Covered List",
        "general_commercial",
    ):
        assert text in title, text
    signoff = next(p for p in _pages(pdf) if "Sign-off" in p)
    assert "oui 2026-10-01" in " ".join(signoff.split())  # data versions, by the signature


def test_summary_counts_policies_and_far_reminder(small: tuple[Path, dict[str, Any]]) -> None:
    pdf, _ = small
    first = " ".join(_pages(pdf)[0].split())
    assert "5 devices found; 3 flagged under a policy that binds this site" in first
    # per policy: flagged (with the statuses), needs a person, not covered, open decisions
    assert re.search(r"NDAA §889 3 \(1 covered, 1 covered for use, 1 likely covered\)", first)
    assert "1 business day" in first and "10 business" in first
    text = " ".join(" ".join(_pages(pdf)).split())
    assert "NDAA FY2019 §889, §889(f)(3)(B)" in text


def test_a_finding_shows_identity_evidence_citation_and_disposition(
    small: tuple[Path, dict[str, Any]],
) -> None:
    pdf, _ = small
    text = " ".join(" ".join(_pages(pdf)).split())
    assert "198.18.0.2: Sold as Annke, made by Hikvision (OEM rebrand) Likely covered" in text
    assert "Decisive evidence: mac = 02:00:00:00:00:01 → hikvision (0.60)" in text
    assert "FCC Covered List, 47 CFR 1.50002 (2021-03-12)" in text
    assert "scheduled_for_removal 2026-12-31: replace with Axis (bob, 2026-11-02)" in text
    assert "Findings (4 devices)" in text  # covered, likely, for-use, component risk
    # Not-covered devices appear only in the inventory appendix, not as findings.
    assert "198.18.0.4: Made and sold by Axis" not in text


def test_every_page_carries_the_data_hash_and_its_number(
    small: tuple[Path, dict[str, Any]],
) -> None:
    pdf, data = small
    pages = _pages(pdf)
    digest = sha256_hex(data)
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"SHA-256: {digest}" in page
        assert f"page {number} of {len(pages)}" in page


def test_sign_off_states_the_reasonable_inquiry_scope(
    small: tuple[Path, dict[str, Any]],
) -> None:
    pdf, _ = small
    pages = [" ".join(p.split()) for p in _pages(pdf)]
    signoff = next(p for p in pages if "Sign-off" in p)
    assert "FAR 4.2101" in signoff and "listed on page 1" in signoff
    assert "J. Smith" in signoff and "Compliance officer" in signoff and "Signature" in signoff
    assert "Not examined" in pages[0]
    # every method the scan did not run (the factory's scan ran arp, wsd, onvif and http)
    not_run = [m for m in ALL_METHODS if m not in ("arp", "wsd", "onvif", "http")]
    assert {"sadp", "rtsp", "pcap"} <= set(not_run)
    assert "methods not run: " + ", ".join(not_run) in pages[0]


def test_pages_render_to_images(small: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    pdf, _ = small
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(_pages(pdf))
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_verify_accepts_its_data_and_rejects_changed_data(
    small: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    unsigned, data = small
    pdf = tmp_path / "signed.pdf"  # verify also checks the signature (test_report_sign.py)
    pdf.write_bytes(sign_pdf_bytes(unsigned.read_bytes(), installation_key()))
    write_json(data, tmp_path / "data.json")
    assert verify_with_json(pdf, tmp_path / "data.json").ok
    changed = dict(
        data, devices=[dict(data["devices"][0], serial="SN-TAMPERED"), *data["devices"][1:]]
    )
    write_json(changed, tmp_path / "changed.json")
    result = verify_with_json(pdf, tmp_path / "changed.json")
    assert not result.ok and "MISMATCH" in result.message


def test_long_and_hostile_strings_wrap_inside_the_page(tmp_path: Path) -> None:
    long_model = "DS-" + "X" * 180 + " " + "very long model name " * 12
    odd = device(
        "198.18.0.77",
        "44:19:b6:00:00:77",
        "hikvision",
        "<b>annke</b> & co\x07",
        VerdictStatus.COVERED,
        model=long_model,
        location="Ωmega hall — 東棟 3F " * 6,
    )
    pdf = tmp_path / "long.pdf"
    write_pdf(_data([odd, *fleet(3)]), pdf)
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for page in bbox.split("<page ")[1:]:  # portrait and landscape pages
        width = re.match(r'width="([\d.]+)"', page)
        assert width is not None
        right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', page)]
        assert max(right_edges) <= float(width.group(1)) - 30  # nothing in the right margin
    text = " ".join(" ".join(_pages(pdf)).split())
    assert "<b>annke</b> & co" in text  # shown as text, not taken as markup


def test_inventory_table_splits_across_pages_with_its_header(tmp_path: Path) -> None:
    pdf = tmp_path / "big.pdf"
    data = _data(fleet(150))
    write_pdf(data, pdf)
    pages = _pages(pdf)
    appendix = [p for p in pages if "Brand / maker" in p]
    assert len(appendix) >= 3  # the table continues over several pages ...
    for page in appendix:  # ... and each starts with the column header
        assert re.search(r"IP\s+MAC\s+Brand / maker\s+Model\s+Serial", page)
    listed = set(re.findall(r"198\.18\.0\.\d+", "".join(appendix)))
    assert len(listed) == 150


@pytest.mark.parametrize(
    ("maker", "brand", "relationship", "sentence"),
    [
        ("hikvision", "annke", "oem", "Sold as Annke, made by Hikvision (OEM rebrand)"),
        ("hikvision", "hikvision", "own_brand", "Made and sold by Hikvision"),
        ("hikvision", "ezviz", "subsidiary", "Sold as Ezviz, a brand of Hikvision's group"),
        ("dahua", None, "unknown", "Made by Dahua (brand not identified)"),
        (None, "lorex", "unknown", "Sold as Lorex; who made it could not be established"),
        (None, None, "unknown", "Maker not identified"),
    ],
)
def test_identity_line(maker: Any, brand: Any, relationship: str, sentence: str) -> None:
    """A record's identity reads in core.presentation's words, ids by their display names."""
    rec = {"maker": maker, "brand": brand, "relationship": relationship}
    assert identity_line(rec).startswith(sentence)
    assert identity_line(rec, {"ezviz": "EZVIZ"}).replace("EZVIZ", "Ezviz").startswith(sentence)


def test_report_without_any_finding_or_policy(tmp_path: Path) -> None:
    devices = [d for d in fleet(7) if d.verdicts["ndaa889"].status is VerdictStatus.NOT_COVERED]
    for dev in devices:
        dev.verdicts.clear()
    record = dataclasses.replace(scan(devices), policies=())
    record.id = 1
    pdf = tmp_path / "none.pdf"
    write_pdf(build_report_data(record, META), pdf)
    text = " ".join(" ".join(_pages(pdf)).split())
    assert "business day" not in text
    assert "No policy that binds this site was applied" in text


def test_a_scan_with_no_devices_still_reports(tmp_path: Path) -> None:
    record = scan([])
    record.id = 2
    pdf = tmp_path / "empty.pdf"
    write_pdf(build_report_data(record, META), pdf)
    text = " ".join(" ".join(_pages(pdf)).split())
    assert "No device was found in this scan." in text
    assert "Appendix: full inventory (0 devices)" in text and "Sign-off" in text
