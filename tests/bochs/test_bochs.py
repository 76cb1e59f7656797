"""test_bochs.py - the Bochs boot matrix (tools/bochs.py, as `make run-bochs`).

Bochs checks descriptors and paging like hardware and offers x2APIC and the
TSC-deadline timer, which QEMU 7.2's TCG never exercises. Each case boots
the BIOS ISO with 1 or 2 CPUs on a CPU model and expects every KTAP case to
pass; the log must show the APIC mode the model offers and every CPU online.

  corei7_haswell_4770  x2APIC, TSC-deadline timer, 1 GiB pages, SMEP; no CPUID
                       frequency (max leaf 0xd): the PIT calibration alone
  core2_penryn_t9600   xAPIC (MMIO), no TSC-deadline, no 1 GiB pages, no SMEP

Every boot must also be quiet: each Bad page state, WARNING or refusal in the
log is one the test suites announce on the line before it (test_quiet.py's
rule, which QEMU checks at loglevel=4 and Bochs here at the default level).

A Bochs boot takes ~10-60 s here (up to ~2 min on a loaded host); the matrix is
four boots, plus one on corei7_skylake_x for the TSC cross-check (~130 s in all
with two helpers' loads on two cores).
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import ktap  # noqa: E402
from conftest import Boot  # noqa: E402
from test_quiet import unexplained_reports  # noqa: E402

LOGDIR = os.path.join(ROOT, "build", "bochs-logs")
TIMEOUT = 240
# model: (APIC mode, TSC-deadline timer) as arch/x86_64/apic.c reports them
MODELS = {
    "corei7_haswell_4770": ("x2APIC", True),
    "core2_penryn_t9600": ("xAPIC", False),
}


def bochs_boot(name, model, smp, cmdline="", mem="128M"):
    os.makedirs(LOGDIR, exist_ok=True)
    log = os.path.join(LOGDIR, name.replace("/", "_") + ".log")
    cmd = [sys.executable, os.path.join(ROOT, "tools", "bochs.py"), "--cpu", model,
           "--smp", str(smp), "--mem", mem, "--cmdline", cmdline, "--log", log,
           "--timeout", str(TIMEOUT)]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    out = res.stdout.decode("utf-8", "replace")
    print(f"{name}: Bochs {model}, {smp} CPU(s): bochs.py status {res.returncode}\n"
          + out[-3000:])
    return Boot(name, res.returncode, text)


@pytest.mark.parametrize("smp", [1, 2])
@pytest.mark.parametrize("model", list(MODELS))
def test_bochs_boot(request, model, smp):
    b = bochs_boot(request.node.name, model, smp)
    b.expect_success()
    mode, deadline = MODELS[model]
    m = re.search(r"^apic: (x2APIC|xAPIC) mode, boot CPU .*$", b.log, re.M)
    b.expect(m is not None, "no APIC mode line")
    b.expect(m.group(1) == mode, f"{model}: {m.group(1)} mode, want {mode}")
    b.expect(m.group(0).endswith(", TSC-deadline timer") == deadline,
             f"{model}: TSC-deadline timer {'not ' if deadline else ''}reported: {m.group(0)}")
    # smp.test_timer_oneshot armed the timer the way the boot line says
    shot = "TSC deadline" if deadline else "APIC count"
    b.expect(f"# one-shot ({shot}) fired" in b.log, f"{model}: no one-shot on the {shot} path")
    bad, _ = unexplained_reports(b.log)
    b.expect(not bad, f"reports with no announcement just before them: {bad}")
    b.expect(f"smp: Brought up {smp} CPU" in b.log, f"not all {smp} CPUs came online")
    m = re.search(r"tsc: Detected (\d+)\.\d+ MHz", b.log)
    b.expect(m is not None, "no TSC frequency line")
    # Bochs' TSC runs at ips (tools/bochs.py: 50 MHz) whatever CPUID says.
    b.expect(45 <= int(m.group(1)) <= 55, f"TSC frequency {m.group(1)} MHz, Bochs runs 50")


def test_bochs_tsc_cross_check(request):
    """corei7_skylake_x reports a 3500 MHz base clock in CPUID leaf 0x16 while
    Bochs' TSC runs at 50 MHz (ips): the PIT measurement must win, the log
    must say so, and the clock and timer-rate cases must pass. With CPUID
    trusted, test_timer_every_cpu counts 2100 ticks in "300 ms" and fails."""
    b = bochs_boot(request.node.name, "corei7_skylake_x", 1, cmdline="ktest=traps,smp selftest=0")
    b.expect_success()
    m = re.search(r"tsc: CPUID says 3500\.000 MHz but the PIT measured (\d+)\.\d+ MHz "
                  r"\(more than 2% apart\): using the measurement", b.log)
    b.expect(m is not None, "the CPUID/PIT disagreement was not reported")
    # The measurement lands on either side of 50 MHz (49.996 and 50.0xx both seen).
    b.expect(45 <= int(m.group(1)) <= 55, f"PIT measured {m.group(1)} MHz, Bochs runs 50")
    _, cases = ktap.parse(b.raw)
    b.expect(cases.get("traps", {}).get("tsc_clock") == "ok", "tsc_clock did not pass")
    b.expect(cases.get("smp", {}).get("test_timer_every_cpu") == "ok", "timer rate did not pass")
