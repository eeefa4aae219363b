"""Credentials for IPv6 devices and prefixes, and the warning for a file others may read
(issue 11)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.model import Observation, Problem
from discovery.base import ProbeContext
from discovery.credentials import CredentialsError, CredentialStore, load_credentials
from discovery.credentials import parse_credentials as parse
from discovery.events import Finished
from discovery.request import ScanRequest
from discovery.scan import ScanHooks, scan
from tests.discovery.tcp_fakes import sync

SECRET = "Six-Colours-Of-Secret"

V6 = f"""
[[credential]]
target = "fd00:198:18::/64"
username = "viewer"
password = "{SECRET}-prefix"

[[credential]]
target = "fd00:198:18::7"
username = "admin"
password = "{SECRET}"
allow_basic_over_http = true

[[credential]]
target = "fe80::2a0:deff:fe00:7%eth0"
username = "local"
password = "{SECRET}-ll"

[[credential]]
target = "198.18.0.0/24"
username = "v4"
password = "{SECRET}-v4"
"""


def user(store: CredentialStore, ip: str) -> str | None:
    cred = store(ip)
    return cred.username if cred else None


def test_ipv6_addresses_and_prefixes_match_most_specific_first() -> None:
    store = parse(V6)
    assert user(store, "fd00:198:18::7") == "admin"
    assert user(store, "fd00:198:18::8") == "viewer"
    assert user(store, "fd00:198:19::7") is None
    assert user(store, "198.18.0.9") == "v4"  # the families do not mix
    assert user(store, "::ffff:198.18.0.9") is None
    assert store.allows_basic_over_http("fd00:198:18::7")
    assert not store.allows_basic_over_http("fd00:198:18::8")
    assert "fd00:198:18::/64" in store.targets and "198.18.0.0/24" in store.targets


def test_a_link_local_device_matches_with_or_without_our_zone() -> None:
    store = parse(V6)
    assert user(store, "fe80::2a0:deff:fe00:7%eth0") == "local"
    assert user(store, "fe80::2a0:deff:fe00:7") == "local"
    assert user(store, "fe80::2a0:deff:fe00:8%eth0") is None


@pytest.mark.parametrize(
    "target", ["fd00::/129", "fd00::g", "fe80::1%", "198.18.0.1%eth0", "2001:db8::/64x"]
)
def test_a_bad_ipv6_target_is_a_clear_error(target: str) -> None:
    text = f'[[credential]]\ntarget = "{target}"\nusername = "a"\npassword = "{SECRET}"\n'
    with pytest.raises(CredentialsError, match="IPv4 or IPv6") as info:
        parse(text)
    assert SECRET not in str(info.value) and "\n" not in str(info.value)


def write(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "creds.toml"
    path.write_text(V6)
    os.chmod(path, mode)
    return path


def test_a_private_file_loads_without_a_warning(tmp_path: Path) -> None:
    assert load_credentials(write(tmp_path, 0o600)).warnings == ()
    assert load_credentials(write(tmp_path, 0o640 & ~0o040)).problems() == []


@pytest.mark.parametrize(
    ("mode", "who"), [(0o644, "group and others"), (0o640, "group"), (0o604, "others")]
)
def test_a_file_others_may_read_gets_one_warning_line(tmp_path: Path, mode: int, who: str) -> None:
    path = write(tmp_path, mode)
    store = load_credentials(path)
    (warning,) = store.warnings
    assert f"readable by {who} " in warning and f"chmod 600 {path}" in warning
    assert "\n" not in warning and SECRET not in warning
    assert user(store, "fd00:198:18::7") == "admin"  # still usable: a warning, not a refusal
    (problem,) = store.problems()
    assert (problem.source, problem.kind, problem.message) == (
        "credentials",
        "insecure_file",
        warning,
    )


@sync
async def test_the_scan_records_the_warning_where_the_user_sees_it(tmp_path: Path) -> None:
    store = load_credentials(write(tmp_path, 0o644))

    async def nothing(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
        heard: tuple[Observation | Problem, ...] = ()  # nobody answers
        for item in heard:
            yield item

    request = ScanRequest(("198.18.0.0/29",), interface="eth-test", methods=("wsd",),
                          origin="test", credentials=store)  # fmt: skip
    events = [e async for e in scan(request, ScanHooks(probes={"wsd": nothing}))]
    final = events[-1]
    assert isinstance(final, Finished)
    assert [(e.source, e.kind) for e in final.errors] == [("credentials", "insecure_file")]
    assert SECRET not in repr(final)
