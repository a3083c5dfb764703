"""The benchmarks' own helpers that their figures rest on."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.proc import cpu_s, peak_mb, rss_mb, stop


def test_cpu_time_is_read_from_proc_and_grows_with_work() -> None:
    before = cpu_s(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # burn 0.2 s of CPU
        pass
    assert cpu_s(os.getpid()) - before >= 0.15


def test_cpu_time_of_no_process_or_a_gone_one_is_zero() -> None:
    assert cpu_s(None) == 0.0
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert cpu_s(gone.pid) == 0.0


def test_memory_of_a_gone_process_is_zero_when_sampled_and_an_error_when_judged() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert rss_mb(gone.pid) == 0.0
    with pytest.raises(OSError):
        peak_mb(gone.pid)
    assert peak_mb(os.getpid()) >= rss_mb(os.getpid()) > 10


def test_stop_asks_first_and_kills_what_does_not_listen() -> None:
    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stop(polite)
    assert polite.returncode == -15  # SIGTERM was enough
    deaf = subprocess.Popen(
        [sys.executable, "-c",
         "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
         "print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert deaf.stdout is not None and deaf.stdout.readline() == b"ready\n"
    stop(deaf, grace=0.5)
    assert deaf.returncode == -9  # killed after the grace period
    stop(deaf)  # already gone: nothing to do
