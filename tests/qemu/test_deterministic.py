"""test_deterministic.py - `make run DETERMINISTIC=1` (tools/run.py
--deterministic, QEMU -icount shift=3,sleep=off): the same seed gives the same
run. Two one-CPU boots of the self-test with seed=42 must print the same log,
byte for byte, timestamps and every figure included (under plain TCG they
differ: pressure failures, IRQ allocation counts, latencies). And the boot
line that gives the seed says how to reproduce it.
"""
import re

import pytest

import ktap


def selftest_lines(log):
    return [ln for ln in ktap.strip_timestamps(log).splitlines() if ln.startswith("selftest: ")]


@pytest.fixture(scope="module")
def two_runs(request):
    from conftest import run_boot
    return [run_boot(f"deterministic-{i}", "bios", cmdline="ktest=none seed=42",
                     deterministic=True) for i in (1, 2)]


def test_same_seed_same_figures(two_runs):
    a, b = two_runs
    for r in (a, b):
        r.expect(r.rc == 0, f"run.py status {r.rc}")
    figures = selftest_lines(a.raw)
    a.expect(any("atomic sources:" in ln for ln in figures), "no self-test summary")
    assert figures == selftest_lines(b.raw), "self-test figures differ between two runs"
    assert a.raw == b.raw, "the logs differ (timestamps or text) between two runs"


def test_seed_line_says_how_to_reproduce(two_runs):
    a = two_runs[0]
    a.expect(re.search(r"^cmdline: random seed 42 \(reproduce with seed=42; the same figures "
                       r"need a deterministic run: make run DETERMINISTIC=1\)$", a.log, re.M),
             "the seed line does not say how to reproduce the run")


def test_every_suite_passes_deterministic(boot):
    """All KTAP suites under -icount, where time is exact: a delay computed with
    a truncated rate (tsc_delay_us() with 999 ticks a microsecond at 999.9 MHz)
    comes out short and traps.tsc_clock fails; under plain TCG the slack of a
    slow host hid it."""
    b = boot("bios", deterministic=True)
    b.expect_success()
