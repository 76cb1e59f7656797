"""conftest.py - the QEMU boot fixture for the test matrix.

boot(path, mem=..., smp=..., cmdline=...) runs tools/run.py (the same runner
as `make run`) with a timeout and returns a Boot with the exit status and the
serial log. Assertion helpers put the serial log into the failure message,
so a hang or a failed boot always shows what the kernel printed.
"""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import ktap  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOGDIR = os.path.join(ROOT, "build", "qemu-logs")
TIMEOUTS = {"bios": 60, "grub-efi": 120, "efi": 120}
PATH_NAMES = {
    "bios": "BIOS -> GRUB -> multiboot2",
    "grub-efi": "UEFI -> GRUB -> multiboot2",
    "efi": "UEFI -> Labyrinth EFI loader",
}


class Boot:
    def __init__(self, name, rc, log):
        self.name, self.rc, self.raw = name, rc, log
        self.log = ktap.strip_timestamps(log)

    def tail(self, n=80):
        return "\n".join(self.log.splitlines()[-n:])

    def expect(self, cond, what):
        assert cond, f"{self.name}: {what}\n---- serial log (last lines) ----\n{self.tail()}"

    def expect_success(self):
        self.expect(self.rc != 124, "QEMU timed out (hang)")
        self.expect(self.rc == 0, f"kernel did not report success (run.py status {self.rc})")
        counts = ktap.summary(self.raw)
        self.expect(counts is not None, "no ktest summary line")
        self.expect(counts[1] == 0, f"KTAP failures: {counts}")
        self.expect(counts[0] > 0, "no KTAP case passed")
        suites, cases = ktap.parse(self.raw)
        bad = [f"{s}.{c}" for s, cs in cases.items() for c, r in cs.items() if r == "not ok"]
        self.expect(not bad, f"failed KTAP cases: {bad}")


def run_boot(name, path, mem="128M", smp=1, cmdline="", cpu=None, timeout=None, qemuflags="",
             deterministic=False):
    os.makedirs(LOGDIR, exist_ok=True)
    log = os.path.join(LOGDIR, name.replace("/", "_") + ".log")
    cmd = [sys.executable, os.path.join(ROOT, "tools", "run.py"), "--path", path,
           "--mem", mem, "--smp", str(smp), "--cmdline", cmdline, "--log", log,
           "--timeout", str(timeout or TIMEOUTS[path]), "--qemuflags", qemuflags]
    if cpu:
        cmd += ["--cpu", cpu]
    if deterministic:  # run.py --deterministic: exact figures for a seed
        cmd += ["--deterministic"]
    res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    with open(log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    print(f"{name}: booted {PATH_NAMES[path]} with {mem}, {smp} CPU(s), "
          f"cmdline '{cmdline}': run.py status {res.returncode}")
    return Boot(name, res.returncode, text)


@pytest.fixture
def boot(request):
    def _boot(path, **kw):
        return run_boot(request.node.name, path, **kw)
    return _boot
