"""``camaudit scan`` end to end on loopback (127.0.0.2, never a real address): usage errors,
the table and JSON, secrets kept out of every output, exit codes, and Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli import build_parser
from cli import scan as cli

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.2"  # on lo, but not lo's own address (which a scan skips)
SECRET = "Tr0ub4dor-and-3"


def run_cli(*argv: str) -> tuple[int, str, str]:
    parser = build_parser()
    args = parser.parse_args(["scan", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = cli.cmd_scan(args, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--interface", "lo", "--targets", "8.8.8.0/24"], "--allow-public"),
        (["--interface", "lo", "--targets", "10.0.0.0/8"], "--force"),
        (
            ["--interface", "lo", "--targets", "127.0.0.2", "--methods", "ports,telepathy"],
            "telepathy",
        ),
        (["--targets", "127.0.0.2"], "--interface"),
        (["--interface", "lo", "--targets", "127.0.0.2", "--ports", "80,99999"], "65535"),
    ],
)
def test_usage_errors_exit_2_with_a_reason(argv: list[str], message: str) -> None:
    code, _out, err = run_cli(*argv)
    assert code == cli.EXIT_USAGE
    assert message in err


class WebCamera:
    """An HTTP server on 127.0.0.2:8080 in its own thread (the CLI runs its own loop)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head.decode("latin-1"))
                await asyncio.sleep(self.delay)
                body = b"<html><title>Network Camera</title></html>"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nServer: Hikvision-Webs\r\nContent-Type: text/html\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
            writer.close()

        self.server = self.loop.run_until_complete(asyncio.start_server(serve, HOST, 8080))
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> WebCamera:
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def camera() -> Iterator[WebCamera]:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        try:
            probe.bind((HOST, 8080))
        except OSError:
            pytest.skip("127.0.0.2:8080 is taken on this machine")
    with WebCamera() as cam:
        yield cam


def test_scan_prints_a_table_and_writes_json_without_secrets(
    camera: WebCamera, tmp_path: Path
) -> None:
    creds = tmp_path / "creds.toml"
    creds.write_text(
        f'[[credential]]\ntarget = "{HOST}"\nusername = "admin"\npassword = "{SECRET}"\n'
    )
    out_json = tmp_path / "scan.json"
    code, out, err = run_cli(
        "--interface", "lo", "--targets", HOST, "--methods", "ports,http",
        "--ports", "8080", "--credentials", str(creds), "--json", str(out_json),
    )  # fmt: skip
    assert code in (cli.EXIT_OK, cli.EXIT_COVERED), err
    assert HOST in out
    data = json.loads(out_json.read_text())
    (device,) = data["devices"]
    evidence = {e["field"]: e["value"] for e in device["evidence"]}
    assert evidence["http.server"] == "Hikvision-Webs"
    assert evidence["http.title"] == "Network Camera"
    assert evidence["ports"] == [8080]
    assert data["status"] == "complete"
    assert data["options"]["credentials_for"] == [f"{HOST}/32"]
    for text in (out, err, out_json.read_text()):
        assert SECRET not in text


def test_json_to_stdout_is_pure_json(camera: WebCamera) -> None:
    code, out, err = run_cli(
        "--interface", "lo", "--targets", HOST, "--methods", "ports,http", "--ports", "8080",
        "--json", "-",
    )  # fmt: skip
    # "Server: Hikvision-Webs" names a covered maker (nmap-service-probes 9811): exit code 3
    assert code == cli.EXIT_COVERED, err
    data = json.loads(out)
    assert [d["ip"] for d in data["devices"]] == [HOST]
    assert HOST in err  # the table went to stderr


def test_ctrl_c_returns_within_a_second_with_what_was_found(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        try:
            probe.bind((HOST, 8080))
        except OSError:
            pytest.skip("127.0.0.2:8080 is taken on this machine")
    with WebCamera(delay=60):  # a tarpit: the http phase would take a minute
        env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1", "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "scan", "--interface", "lo", "--targets", HOST,
             "--methods", "ports,http", "--ports", "8080", "--timeout", "60"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 20
            while not any("phase identify" in ln for ln in lines) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out = proc.stdout.read() if proc.stdout else ""
            proc.wait(5)
            elapsed = time.monotonic() - sent
            reader.join(5)
        finally:
            if proc.poll() is None:
                proc.kill()
    err = "".join(lines)
    assert elapsed < 1.0, err
    assert proc.returncode == cli.EXIT_CANCELLED, err
    assert HOST in out and "cancelled" in err
