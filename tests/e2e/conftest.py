"""End-to-end fixtures: a real Synapse, the bot run as users run it, and members as nio clients."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.synapse import Homeserver, RegisteredUser, start_homeserver
from tests.conftest import fresh_postgres_database
from tests.e2e.member import Member

ROOT = Path(__file__).parents[2]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """One Synapse for each test process, default message rate limits kept on. The
    workers start theirs at the same time, on two cores: a generous timeout."""
    hs = start_homeserver(tmp_path_factory.mktemp("synapse"), log=print, timeout=180)
    try:
        yield hs
    finally:
        hs.stop()


class BotProcess:
    """`python -m bot run -c config.toml`, exactly as a host would start it."""

    def __init__(
        self,
        directory: Path,
        hs: Homeserver,
        account: RegisteredUser,
        inviter: str,
        db_url: str,
        extra: str = "",
    ) -> None:
        self.directory = directory
        self.account = account
        self.log = directory / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None
        (directory / "config.toml").write_text(
            f"""
[matrix]
homeserver = "{hs.base_url}"
user_id = "{account.user_id}"
password = "{account.password}"
store_path = "./store"

[storage]
database_url = "{db_url}"

[bot]
allowed_inviters = ["{inviter}"]
timezone = "Europe/Berlin"
{extra}
"""
        )

    def start(self, timeout: float = 120) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLATTENING_")}
        env["PYTHONPATH"] = str(ROOT)
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "-c", str(self.directory / "config.toml")],
                cwd=self.directory,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.wait_for_log("is running as", timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output()[self._offset :]:
                return
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"bot exited early:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"bot never logged {text!r}:\n{self.output()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("bot did not stop within 15 s of SIGTERM") from None


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The bot's own database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/flattening.db"
        return
    request.getfixturevalue("postgres_server")
    with fresh_postgres_database("flattening_e2e") as url:
        yield url


@pytest.fixture
def member_account(homeserver: Homeserver) -> RegisteredUser:
    user = homeserver.register(f"member-{uuid.uuid4().hex[:8]}")
    homeserver.lift_ratelimit(user.user_id)
    return user


@pytest.fixture
def bot_process(
    homeserver: Homeserver, member_account: RegisteredUser, bot_database: str, tmp_path: Path
) -> Iterator[BotProcess]:
    account = homeserver.register(f"flattening-{uuid.uuid4().hex[:8]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "bot"
    directory.mkdir()
    proc = BotProcess(directory, homeserver, account, member_account.user_id, bot_database)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
        errors = [line for line in proc.output().splitlines() if "Traceback" in line]
        assert not errors, proc.output()[-4000:]


@pytest.fixture
async def member(
    homeserver: Homeserver, member_account: RegisteredUser, tmp_path: Path
) -> AsyncIterator[Member]:
    m = Member(
        homeserver.base_url, member_account.user_id, member_account.password, tmp_path / "member"
    )
    await m.login()
    try:
        yield m
    finally:
        await m.close()
