"""What Linux's /proc says of a process: the benchmarks' memory and CPU figures."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path


def _status_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/PID/status in MB (OSError if the process is gone)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    """Resident memory now, in MB; 0 if the process is gone (sampled while things run)."""
    with contextlib.suppress(OSError):
        return _status_mb(pid, "VmRSS")
    return 0.0


def peak_mb(pid: int) -> float:
    """The highest resident memory the process has had, in MB: a goal is judged on it, so
    a process gone is an error, not 0 MB."""
    return _status_mb(pid, "VmHWM")


def loaded(pid: int, needle: str) -> bool:
    """Whether a file of `needle` (a package) is mapped into the process."""
    try:
        return f"/{needle}/" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def cpu_s(pid: int | None) -> float:
    """CPU seconds (user and system, every thread) a process has used so far; 0 if gone."""
    if pid is None:
        return 0.0
    with contextlib.suppress(OSError, IndexError, ValueError):
        # Fields after the command's closing parenthesis: utime and stime are 12th and 13th.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 10) -> None:
    """Ask a process to stop with `sig`; kill it if it has not within `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
