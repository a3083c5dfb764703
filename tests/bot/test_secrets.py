"""Files holding secrets are readable by their owner only, whatever the umask: the demo's
config (the bot's password), the homeserver's shared secret, admin token and keys, and
the bot's credentials in the store."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import demo, matrix, synapse
from bot.config import MatrixConfig
from bot.synapse import Homeserver, RegisteredUser


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The common default, under which plain writes are world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


FAKE_SYNAPSE = """#!/bin/sh
# Stands in for Synapse's python: `-c import synapse` succeeds, and --generate-config
# writes a config and a signing key the way Synapse does, under the caller's umask.
case "$*" in
  *--generate-config*)
    echo "registration_shared_secret: generated" > hs.yaml
    echo "ed25519 a_key secret" > localhost.signing.key
    ;;
esac
exit 0
"""


def fake_python(tmp_path: Path) -> Path:
    python = tmp_path / "fake-python"
    python.write_text(FAKE_SYNAPSE)
    python.chmod(0o755)
    return python


def test_homeserver_directory_and_secrets_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "hs"
    port = synapse.configure(directory, fake_python(tmp_path), port=48999)
    assert port == 48999
    assert mode(directory) == 0o700
    for name in (
        "hs.yaml",
        "localhost.signing.key",
        "flattening-homeserver.json",
        "overrides.yaml",
    ):
        assert mode(directory / name) == 0o600, name
    assert "shared_secret" in json.loads((directory / "flattening-homeserver.json").read_text())
    # A second start over an older, looser directory tightens it again.
    directory.chmod(0o755)
    (directory / "hs.yaml").chmod(0o644)
    synapse.configure(directory, fake_python(tmp_path), port=48999)
    assert mode(directory) == 0o700 and mode(directory / "hs.yaml") == 0o600


def test_the_remembered_admin_token_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "hs"
    synapse.configure(directory, fake_python(tmp_path), port=48999)
    hs = Homeserver(directory, 48999, fake_python(tmp_path))
    admin = RegisteredUser("@admin:localhost", "pw", "admin-token", "DEV")
    monkeypatch.setattr(hs, "register", lambda *a, **k: admin)
    monkeypatch.setattr(hs, "request", lambda *a, **k: {})
    hs.lift_ratelimit("@someone:localhost")
    state = directory / "flattening-homeserver.json"
    assert json.loads(state.read_text())["admin_token"] == "admin-token"
    assert mode(state) == 0o600


class FakeHomeserver:
    base_url = "http://127.0.0.1:48999"

    def register(self, username: str, password: str | None = None) -> RegisteredUser:
        return RegisteredUser(f"@{username}:localhost", password or "pw", "tok", "DEV")

    def lift_ratelimit(self, user_id: str) -> None:
        pass

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        return {"room_id": f"!{body['name'].split()[-1].strip('()')}:localhost"}


def test_demo_config_and_state_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "start_homeserver", lambda *a, **k: FakeHomeserver())
    directory = tmp_path / "demo"
    _, state = demo.prepare(directory)
    assert mode(directory) == 0o700
    config = directory / "config.toml"
    assert mode(config) == 0o600 and state["bot_password"] in config.read_text()
    assert mode(directory / "demo.json") == 0o600
    # Reused on the next run, and still private.
    config.chmod(0o644)
    demo.prepare(directory)
    assert mode(config) == 0o600
    # A folder the person chose (`--dir .`) is not closed behind their back; what is
    # secret in it is.
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    demo.prepare(chosen)
    assert mode(chosen) == 0o755
    assert mode(chosen / "config.toml") == 0o600 and mode(chosen / "demo.json") == 0o600


def test_credentials_in_the_store_are_private_even_over_a_stale_temporary_file(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    cfg = MatrixConfig("https://test.org", "@flattening:test.org", "pw", "", "dev", store)
    client = matrix.new_client(cfg)
    try:
        assert mode(store) == 0o700
        stale = store / "credentials.tmp"
        stale.write_text("{}")
        stale.chmod(0o644)
        matrix._write_credentials(
            store / "credentials.json", {"user_id": "@flattening:test.org", "access_token": "t"}
        )
        assert mode(store / "credentials.json") == 0o600
    finally:
        # The client was never used; only its store directory matters here.
        del client


def test_an_existing_loose_store_is_tightened(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o755)
    store.chmod(0o755)
    cfg = MatrixConfig("https://test.org", "@flattening:test.org", "pw", "", "dev", store)
    matrix.new_client(cfg)
    assert mode(store) == 0o700
