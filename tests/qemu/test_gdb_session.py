"""test_gdb_session.py - debugging as xv6 has it, through tools/run.py itself:

- two terminals: `run.py --gdb-wait` (make qemu-gdb) waits on this user's port,
  a second one at the same time gets another port, and gdb attaches with the
  gdbinit it wrote (make gdb-attach);
- the helpers' guards: at reset and at the start of mm_init() they say why
  they cannot answer; unknown options are refused; lab-dmesg reads the log
  from memory; lab-trace, lab-help and the struct page pretty-printer answer;
- one terminal: `run.py --gdb` (make gdb), Ctrl-C (SIGINT to the terminal's
  process group) stops the guest in gdb and leaves QEMU running.
Small boots (128 MiB, ktest=none), a few seconds each.
"""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT

RUN_PY = os.path.join(ROOT, "tools", "run.py")


@pytest.fixture(autouse=True)
def need_gdb():
    if not shutil.which("gdb"):
        pytest.skip("gdb not installed")
    if not os.path.exists(os.path.join(ROOT, "build", "labyrinth.iso")):
        pytest.skip("kernel not built (make iso)")


def wait_for(proc, pattern, timeout, seen):
    """Reads proc's stdout until pattern appears; returns the match."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = re.search(pattern, seen[0])
        if m:
            return m
        r, _, _ = select.select([proc.stdout], [], [], 0.5)
        if r:
            chunk = os.read(proc.stdout.fileno(), 65536).decode("utf-8", "replace")
            if not chunk:
                break
            seen[0] += chunk
    pytest.fail(f"no {pattern!r} within {timeout} s:\n{seen[0][-3000:]}")


def start_waiting(tmp_path, name, cmdline):
    gdbinit = tmp_path / f"{name}.gdbinit"
    p = subprocess.Popen([sys.executable, RUN_PY, "--gdb-wait", "--gdbinit", str(gdbinit),
                          "--cmdline", cmdline, "--timeout", "120"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    seen = [""]
    port = int(wait_for(p, r"QEMU waits for gdb on 127\.0\.0\.1:(\d+)", 60, seen).group(1))
    return p, port, gdbinit, seen


def stop(p):
    """run.py ends its QEMU on SIGTERM (the one-terminal QEMU is in a session
    of its own, out of reach of a signal to run.py's group)."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    p.wait(10)


def test_two_terminals_own_ports_and_helpers(tmp_path):
    """make qemu-gdb twice at once: two ports, neither attaching to the other;
    then gdb -x gdbinit (make gdb-attach) with the helpers' guards."""
    a, port_a, gdbinit, seen = start_waiting(tmp_path, "a", "ktest=none selftest=0 trace=alloc")
    b = None
    try:
        b, port_b, _, _ = start_waiting(tmp_path, "b", "ktest=none selftest=0")
        assert port_a != port_b
        base = 25000 + os.getuid() % 5000
        assert base <= port_a < base + 100 and base <= port_b < base + 100
        assert f"target remote 127.0.0.1:{port_a}" in gdbinit.read_text()
        stop(b)
        cmds = ["lab-buddyinfo", "hbreak mm_init", "continue", "lab-zoneinfo",
                "lab-buddyinfo --bogus", "lab-pcp extra", "delete", "hbreak vm_init", "continue",
                "lab-dmesg", "print *$lab_pfn_to_page(0x100)", "delete", "hbreak ktest_run_all",
                "continue", "lab-trace --last 2", "lab-help", "delete", "detach"]
        g = subprocess.run(["gdb", "-batch", "-nx", "-x", str(gdbinit)] +
                           [x for c in cmds for x in ("-ex", c)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        out = g.stdout
        rc = a.wait(120)
    finally:
        stop(a)
        if b:
            stop(b)
    seen[0] += a.stdout.read().decode("utf-8", "replace")
    assert rc == 0, f"run.py status {rc}\n{seen[0][-2000:]}\n---- gdb ----\n{out}"
    # At reset (real mode): a sentence, not a Python gdb.MemoryError.
    assert "the kernel's memory cannot be read yet" in out and "MemoryError" not in out, out
    # At the start of mm_init(): no zones yet.
    assert "the memory manager is not up yet: mm_init()" in out, out
    assert "lab-buddyinfo: unknown option --bogus" in out, out
    assert "lab-pcp: unexpected argument 'extra'" in out, out
    # lab-dmesg: the log as the kernel printed it, from memory.
    assert re.search(r"^\[ *\d+\.\d+\] Labyrinth: a memory manager you can walk through$",
                     out, re.M), out
    log_lines = [ln.strip() for ln in seen[0].replace("\r", "").splitlines()]
    dmesg = re.findall(r"^(\[ *\d+\.\d+\] .*?)\s*$", out, re.M)
    assert len(dmesg) > 50 and all(ln.strip() in log_lines for ln in dmesg), dmesg[-5:]
    assert any("pages to the buddy allocator" in ln for ln in dmesg)
    assert re.search(r"struct page \{pfn 0x100, flags 0x4\(reserved\), order 0", out), out
    assert re.search(r"^cpu 0: \d+ events recorded", out, re.M) and \
        re.search(r"#\d+ tsc \d+ story \d+ TR_\w+ ", out), out
    assert all(c in out for c in ("lab-buddyinfo", "lab-dmesg", "lab-trace", "lab-help")), out


def test_ctrl_c_stops_the_guest_not_qemu(tmp_path):
    """make gdb, then Ctrl-C: the terminal's SIGINT reaches run.py and gdb (and
    before the fix QEMU too, which died and took the session with it)."""
    p = subprocess.Popen([sys.executable, RUN_PY, "--gdb", "--gdbinit", str(tmp_path / "gdbinit"),
                          "--cmdline", "ktest=none selftest_ms=20000",
                          "--gdb-ex", "continue", "--gdb-ex", "lab-dmesg --tail 1",
                          "--gdb-ex", "info registers rip", "--gdb-ex", "kill"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    seen = [""]
    try:
        wait_for(p, r"# Subtest: selftest", 90, seen)   # the guest runs, 60 s of self-test
        os.killpg(p.pid, signal.SIGINT)                  # what Ctrl-C on the terminal does
        wait_for(p, r"gdb session over", 60, seen)
        p.wait(30)
    finally:
        stop(p)
    out = seen[0]
    assert "received signal SIGINT" in out, out[-3000:]
    assert re.search(r"^rip +0xffffffff8", out, re.M), out[-3000:]  # QEMU still answered
    assert "Remote connection closed" not in out, out[-3000:]
    assert p.returncode == 0, out[-2000:]
