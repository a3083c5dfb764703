"""matrix-reminder-bot, a published nio bot, as a second yardstick next to the bare client.

Installed from the package registry into a virtual environment of the bench's own under
~/.cache/flattening (once), and configured from the format its package reads
(matrix_reminder_bot/config.py: YAML with matrix, storage, allowlist, blocklist).
Version 0.4.0 has no `!ping` and ignores unknown commands; `!help` without a topic is
its cheapest answer (one short notice, not marked as a reply).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.proc import stop
from bot.synapse import Homeserver, RegisteredUser, cache_dir

VERSION = "0.4.0"
COMMAND = "!help"


class Unavailable(RuntimeError):
    """It could not be installed or started; the bench says so and goes on without it."""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _works(python: Path) -> bool:
    if not python.exists():
        return False
    check = [str(python), "-c", "import matrix_reminder_bot.main"]
    return subprocess.run(check, env=_env(), capture_output=True).returncode == 0


def ensure(log: bool = True) -> Path:
    """The python of a venv with matrix-reminder-bot, installed on first use."""
    cache = cache_dir()
    target = cache / f"matrix-reminder-bot-{VERSION}"
    python = target / "bin" / "python"
    if _works(python):
        return python
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"matrix-reminder-bot-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _works(python):
            return python
        if log:
            print(f"Installing matrix-reminder-bot {VERSION} into {target} (one-off)...")
        tmp = Path(tempfile.mkdtemp(prefix="mrb.tmp-", dir=cache))
        try:
            for cmd in (
                [sys.executable, "-m", "venv", str(tmp)],
                [str(tmp / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", f"matrix-reminder-bot=={VERSION}"],
            ):  # fmt: skip
                done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
                if done.returncode != 0:
                    raise Unavailable(f"{' '.join(cmd[:4])} failed:\n{done.stderr[-1500:]}")
            if target.exists():
                shutil.rmtree(target)
            os.rename(tmp, target)  # run as `python -m`, so no script's path matters
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"installing took too long: {exc}") from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if not _works(python):
        raise Unavailable(f"installed into {target} but `import matrix_reminder_bot` fails")
    return python


def config(hs: Homeserver, account: RegisteredUser, device_id: str) -> str:
    return f"""
command_prefix: "!"
matrix:
  user_id: "{account.user_id}"
  user_password: "{account.password}"
  homeserver_url: "{hs.base_url}"
  device_id: "{device_id}"
  device_name: "reminder-bench"
storage:
  database: "sqlite://reminders.db"
  store_path: "./store"
reminders:
  timezone: "Europe/Berlin"
allowlist:
  enabled: false
  regexes: []
blocklist:
  enabled: false
  regexes: []
logging:
  level: INFO
  file_logging:
    enabled: false
  console_logging:
    enabled: true
"""


class ReminderBot:
    def __init__(self, python: Path, directory: Path, config_text: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.yaml").write_text(config_text)
        self.directory = directory
        self.log = directory / "reminder.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(python), "-m", "matrix_reminder_bot.main", "config.yaml"],
                cwd=directory, stdout=out, stderr=subprocess.STDOUT, env=_env(),
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                raise Unavailable(f"it exited:\n{self.log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.1)
        raise Unavailable(f"it never logged {text!r}")

    def stop(self) -> None:
        stop(self.proc)
