"""ARP frames as bytes: the request we send and the replies we accept."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from discovery import arp

# A real ARP reply from a Hikvision camera (Ethernet + ARP, 42 bytes, from the lab capture
# layout: dst = scanner, src = camera, who-has answered with the camera's own MAC).
REPLY = bytes.fromhex(
    "0200000000014419b6000001080600010800060400024419b6000001c612000a020000000001c6120001"
)


def test_request_frame_layout() -> None:
    frame = arp.build_request("02:00:00:00:00:01", "198.18.0.1", "198.18.0.10")
    assert len(frame) == 42
    assert frame[:6] == b"\xff" * 6 and frame[12:14] == b"\x08\x06"
    assert frame[20:22] == b"\x00\x01"  # who-has
    assert frame[-4:] == bytes([198, 18, 0, 10])


def test_reply_gives_ip_and_mac() -> None:
    assert arp.parse_reply(REPLY) == ("198.18.0.10", "44:19:b6:00:00:01")


def test_requests_and_other_frames_are_ignored() -> None:
    request = arp.build_request("02:00:00:00:00:01", "198.18.0.1", "198.18.0.10")
    assert arp.parse_reply(request) is None
    assert arp.parse_reply(REPLY[:30]) is None
    assert arp.parse_reply(REPLY[:12] + b"\x08\x00" + REPLY[14:]) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100))
def test_any_frame_parses_or_is_ignored(data: bytes) -> None:
    result = arp.parse_reply(data)
    assert result is None or len(result) == 2
