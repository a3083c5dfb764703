"""Fast checks of the Synapse helper's pure parts; nothing is installed or started."""

import json
import socket
import sys
from pathlib import Path

from bot.synapse import Homeserver, free_port, override_config, registration_mac


def test_registration_mac_matches_hand_computed_values() -> None:
    # hmac.new(b"s3cret", b"abc\0alice\0pw\0admin", sha1), cross-checked against
    # synapse._scripts.register_new_matrix_user.
    assert registration_mac("s3cret", "abc", "alice", "pw", True) == (
        "fff9f57189c2d1a494c19759e16d592b0f64ce32"
    )
    assert registration_mac("s3cret", "abc", "alice", "pw", False) == (
        "d7cd8fe38bb2b37bacf757920ef46050075d427d"
    )


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 0 < port < 65536
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def _render(relaxed: bool) -> str:
    return override_config(
        port=48123,
        shared_secret="secret",
        log_config=Path("/data/log.yaml"),
        relaxed_ratelimits=relaxed,
    )


def test_override_binds_loopback_only_and_keeps_message_limit() -> None:
    text = _render(relaxed=False)
    assert "127.0.0.1" in text and "48123" in text
    config = json.loads(text)  # JSON is valid YAML, which Synapse reads
    (listener,) = config["listeners"]
    assert listener["bind_addresses"] == ["127.0.0.1"]
    assert listener["port"] == 48123
    assert "rc_message" not in config  # Synapse's default, so tests can hit 429
    assert config["rc_login"]["failed_attempts"]["burst_count"] >= 1000
    assert config["rc_invites"]["per_user"]["per_second"] >= 1000
    assert config["enable_registration"] is False
    assert config["registration_shared_secret"] == "secret"


def test_relaxed_override_lifts_message_limit() -> None:
    assert json.loads(_render(relaxed=True))["rc_message"]["burst_count"] >= 1000


def test_a_homeserver_not_started_has_no_process_id(tmp_path: Path) -> None:
    assert Homeserver(tmp_path, free_port(), Path(sys.executable)).pid is None
