"""Credentials: per device or subnet, most specific first; a password never shows in text."""

from __future__ import annotations

from pathlib import Path

import pytest

from discovery import credentials
from discovery.credentials import CredentialsError, load_credentials, parse_credentials

SECRET = "hunter2-Very-Secret"

FILE = f"""
[[credential]]
target = "198.18.0.0/24"
username = "viewer"
password = "{SECRET}-subnet"

[[credential]]
target = "198.18.0.7"
username = "admin"
password = "{SECRET}"
"""


def user(store: credentials.CredentialStore, ip: str) -> str | None:
    cred = store(ip)
    return cred.username if cred else None


def test_most_specific_target_wins() -> None:
    store = parse_credentials(FILE)
    assert user(store, "198.18.0.7") == "admin"
    assert user(store, "198.18.0.8") == "viewer"
    assert store("198.18.1.1") is None
    assert store("not an ip") is None


def test_password_never_in_repr_or_errors(tmp_path: Path) -> None:
    store = parse_credentials(FILE)
    assert SECRET not in repr(store) and SECRET not in repr(store("198.18.0.7"))
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[[credential]]\ntarget = "nowhere"\nusername = "a"\npassword = "{SECRET}"\n')
    with pytest.raises(CredentialsError) as info:
        load_credentials(bad)
    assert SECRET not in str(info.value)
    broken = tmp_path / "broken.toml"
    broken.write_text(f'[[credential]]\npassword = "{SECRET}\n')
    with pytest.raises(CredentialsError) as info:
        load_credentials(broken)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        '[[credential]]\ntarget = "198.18.0.1"\npassword = "x"\n',
        '[[credential]]\ntarget = "198.18.0.1"\nusername = "a"\n',
        'credential = "x"\n',
    ],
)
def test_incomplete_entries_are_refused(text: str) -> None:
    with pytest.raises(CredentialsError):
        parse_credentials(text)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="cannot read"):
        load_credentials(tmp_path / "nope.toml")


def test_keyring_entries_read_the_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.store = {("camaudit", "admin@198.18.0.7"): SECRET}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        store = parse_credentials(
            '[[credential]]\ntarget = "198.18.0.7"\nusername = "admin"\nkeyring = true\n'
        )
        cred = store("198.18.0.7")
        assert cred is not None and cred.password == SECRET
        with pytest.raises(CredentialsError, match=r"admin@198\.18\.0\.8"):
            parse_credentials(
                '[[credential]]\ntarget = "198.18.0.8"\nusername = "admin"\nkeyring = true\n'
            )
    finally:
        keyring.set_keyring(previous)
    assert credentials.KEYRING_SERVICE == "camaudit"


BASIC = f"""
[[credential]]
target = "198.18.0.0/24"
username = "viewer"
password = "{SECRET}-subnet"
allow_basic_over_http = true

[[credential]]
target = "198.18.0.7"
username = "admin"
password = "{SECRET}"
"""


def test_basic_over_http_is_off_unless_the_entry_allows_it() -> None:
    assert parse_credentials(FILE).basic_over_http_targets == []
    store = parse_credentials(BASIC)
    assert store.allows_basic_over_http("198.18.0.8")
    assert not store.allows_basic_over_http("198.18.0.7")  # its own, more specific entry
    assert not store.allows_basic_over_http("198.18.1.1")
    assert not store.allows_basic_over_http("not an ip")
    assert store.basic_over_http_targets == ["198.18.0.0/24"]


def test_basic_over_http_must_be_a_boolean() -> None:
    text = BASIC.replace("allow_basic_over_http = true", 'allow_basic_over_http = "yes"')
    with pytest.raises(CredentialsError, match="true or false") as info:
        parse_credentials(text)
    assert SECRET not in str(info.value)


def test_the_scan_record_names_basic_targets_and_no_secret() -> None:
    from discovery.request import ScanRequest

    record = ScanRequest(targets=("198.18.0.0/24",), credentials=parse_credentials(BASIC)).record()
    assert record.options["basic_over_http_for"] == ["198.18.0.0/24"]
    assert record.options["credentials_for"] == ["198.18.0.7/32", "198.18.0.0/24"]
    assert SECRET not in repr(record)
    assert ScanRequest(targets=("198.18.0.0/24",)).record().options["basic_over_http_for"] == []
