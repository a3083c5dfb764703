"""The README's first command: `flattening demo` gives a person a homeserver, an account
and two rooms (plain and encrypted) where the bot answers."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.member import Member

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parents[2]


async def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo.out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--dir", str(tmp_path / "demo")],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 180
        while "is running as" not in out.read_text(errors="replace"):
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            await asyncio.sleep(0.2)
        text = out.read_text()
        url = re.search(r"Homeserver:\s+(\S+)", text)
        user = re.search(r"User:\s+(\S+)", text)
        password = re.search(r"Password:\s+(\S+)", text)
        assert url and user and password, text
        state = json.loads((tmp_path / "demo" / "demo.json").read_text())

        member = Member(url.group(1), user.group(1), password.group(1), tmp_path / "member")
        await member.login()
        try:
            for room in (state["plain_room"], state["encrypted_room"]):
                await member.wait_joined(room, state["bot_user"])
                pong = await member.ask(room, "!ping")
                assert pong.body.startswith("pong")
                help_ = await member.ask(room, "!help")
                assert "**Labour**" in help_.body and "**Knowledge**" in help_.body
        finally:
            await member.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out.read_text()[-3000:]
    assert "Traceback" not in out.read_text()
