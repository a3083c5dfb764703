"""The benchmarks' own helpers that their figures rest on."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.proc import cpu_s, peak_mb, rss_mb


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
