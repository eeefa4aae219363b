"""``camaudit report`` signs the PDF; ``report verify`` checks it, one line per finding.

Whose key: ``--sign-with FILE.p12`` or ``sign_with`` in the settings (password from
$CAMAUDIT_SIGN_PASSWORD or the OS keyring, never an option), else this installation's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

import main
from core.model import ScanStatus
from inventory.report_sign import PASSWORD_ENV, certificate, keyring_user
from inventory.store import Store
from tests.inventory.factories import fleet, scan


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "inv.sqlite3"
    with Store(path) as store:
        first = store.begin_scan(scan())
        store.add_devices(first, fleet(3))
        store.finish_scan(first, ScanStatus.COMPLETE)
    return path


@pytest.fixture(scope="module")
def p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed organisation certificate in a PKCS#12 file, password "pw-123"."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme Corp reports")])
    cert = certificate(name, key, 30)
    path = tmp_path_factory.mktemp("org") / "acme.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"acme", key, cert, None, serialization.BestAvailableEncryption(b"pw-123")
        )
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _report(capsys: Any, db: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    pdf, data = tmp_path / "r.pdf", tmp_path / "r.json"
    return run(capsys, "report", "--db", str(db), "-o", str(pdf), "--json-out", str(data), *extra)


def _verify(capsys: Any, tmp_path: Path) -> tuple[int, str, str]:
    return run(
        capsys, "report", "verify", str(tmp_path / "r.pdf"), "--json", str(tmp_path / "r.json")
    )


def test_signed_with_this_installations_key_by_default(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _report(capsys, db, tmp_path)[0] == 0
    code, out, err = _verify(capsys, tmp_path)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 3 and all(line.startswith("OK: ") for line in lines)
    assert "camaudit report signing key" in lines[0] and "this installation's key" in lines[0]


@dataclass
class Setup:
    """What the organisation-certificate tests share."""

    db: Path
    folder: Path
    p12: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch


@pytest.fixture
def setup(
    db: Path,
    tmp_path: Path,
    p12: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Setup:
    return Setup(db, tmp_path, p12, capsys, monkeypatch)


def test_signed_with_the_organisation_p12_password_from_the_environment(setup: Setup) -> None:
    setup.monkeypatch.setenv(PASSWORD_ENV, "pw-123")
    code, _, err = _report(setup.capsys, setup.db, setup.folder, "--sign-with", str(setup.p12))
    assert code == 0, err
    code, out, _ = _verify(setup.capsys, setup.folder)
    assert code == 0 and "Common Name: Acme Corp reports" in out.splitlines()[0]


def test_the_p12_named_in_the_settings_with_its_password_in_the_keyring(setup: Setup) -> None:
    import keyring

    setup.monkeypatch.delenv(PASSWORD_ENV, raising=False)
    asked: list[tuple[str, str]] = []

    def get_password(service: str, user: str) -> str | None:
        asked.append((service, user))
        return "pw-123" if (service, user) == ("camaudit", keyring_user(setup.p12)) else None

    setup.monkeypatch.setattr(keyring, "get_password", get_password)
    settings = setup.folder / "settings.toml"
    settings.write_text(f'[report]\nsign_with = "{setup.p12}"\n')
    code, _, err = _report(setup.capsys, setup.db, setup.folder, "--settings", str(settings))
    assert code == 0, err
    assert asked == [("camaudit", f"pkcs12:{setup.p12.resolve()}")]
    assert "Acme Corp reports" in _verify(setup.capsys, setup.folder)[1]


def test_a_wrong_password_is_one_line_and_writes_nothing(setup: Setup) -> None:
    setup.monkeypatch.setenv(PASSWORD_ENV, "guess")
    code, _, err = _report(setup.capsys, setup.db, setup.folder, "--sign-with", str(setup.p12))
    assert code == 1 and "Traceback" not in err
    expected = f"camaudit: error: {setup.p12}: not a readable PKCS#12 file (wrong password?)"
    assert err.strip() == expected
    assert not (setup.folder / "r.pdf").exists()


def test_there_is_no_password_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main.main(["report", "--help"])
    text = capsys.readouterr().out
    assert "--sign-with" in text and "--password" not in text and "CAMAUDIT_SIGN_PASSWORD" in text


def test_a_tampered_report_fails_with_one_line_per_finding(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _report(capsys, db, tmp_path)[0] == 0
    pdf = tmp_path / "r.pdf"
    raw = bytearray(pdf.read_bytes())
    raw[len(raw) // 3] ^= 0x01
    pdf.write_bytes(bytes(raw))
    code, out, err = _verify(capsys, tmp_path)
    assert code == 1
    assert err.splitlines()[0].startswith("MISMATCH: signature: ")
    assert all(line.startswith(("OK: ", "MISMATCH: ")) for line in (out + err).splitlines())
