"""The benchmarks' own helpers that their figures rest on."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.proc import cpu_s


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
