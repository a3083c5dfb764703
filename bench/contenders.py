"""The processes the benchmarks time: Flattening run as a host runs it, and the bare
matrix-nio client (bench/echo.py) that is every benchmark's baseline."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from bench.common import BENCH_ENV, ROOT
from bench.proc import rss_mb, stop
from bot.synapse import Homeserver, RegisteredUser


class FlatteningBot:
    """`python -m bot run -c config.toml` in its own folder, as a host starts it."""

    RUNNING = "synced; Flattening"

    def __init__(
        self,
        directory: Path,
        config: str,
        *,
        log_level: str = "INFO",
        module: str = "bot",
        env: dict[str, str] | None = None,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.toml").write_text(config)
        self.log = directory / "bot.log"
        self.log_level = log_level
        self.module = module
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self._offset = 0

    def start(self) -> None:
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.started = time.monotonic()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module, "--log-level", self.log_level,
                 "run", "-c", "config.toml"],
                cwd=self.directory, stdout=out, stderr=subprocess.STDOUT,
                env={**BENCH_ENV, **self.env},
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")[self._offset :]

    def wait_for_log(self, text: str, timeout: float = 120) -> float:
        """Seconds from start until `text` appears in this run's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return time.monotonic() - self.started
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the bot exited early:\n{self.output()[-3000:]}")
            time.sleep(0.02)
        raise RuntimeError(f"the bot never logged {text!r}:\n{self.output()[-3000:]}")

    def wait_running(self, timeout: float = 120) -> float:
        return self.wait_for_log(self.RUNNING, timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop(self.proc, sig, grace=20)

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")


class BareBot:
    """The baseline: bench/echo.py, a bare matrix-nio client answering `!ping` and `echo`."""

    def __init__(
        self,
        hs: Homeserver,
        account: RegisteredUser,
        rooms: list[str],
        store: Path | None = None,
        extra: Iterable[str] = (),
    ) -> None:
        args = [sys.executable, "-m", "bench.echo", hs.base_url, account.user_id,
                account.device_id, account.access_token, *rooms]  # fmt: skip
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
            args += ["--store", str(store)]
        args += list(extra)
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=BENCH_ENV
        )
        self.started = time.monotonic()
        self._after_ready: list[str] = []

    def wait_ready(self, timeout: float = 120) -> str:
        """Wait for its "ready" line; returns everything it printed before. From then on
        its output is read by a thread (`lines()`), so a full pipe never blocks it."""
        assert self.proc.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                raise RuntimeError("the bare bot exited:\n" + "".join(seen))
            if line.startswith("ready"):
                threading.Thread(target=self._read_on, daemon=True).start()
                return "".join(seen)
            seen.append(line)
        raise RuntimeError("the bare bot never got ready")

    def _read_on(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._after_ready.append(raw.decode(errors="replace").rstrip("\n"))

    def lines(self) -> list[str]:
        """What it printed after "ready", so far."""
        return list(self._after_ready)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        stop(self.proc)
