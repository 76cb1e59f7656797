"""test_run_py.py - tools/run.py, the QEMU runner behind `make run*`, without
booting anything: the flags it builds from make's variables.
(The boots themselves are tests/qemu/.)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import run  # noqa: E402  (tools/run.py: the --numa / NUMA= flag builder)


def test_run_py_numa_flags():
    """make run NUMA=N: N equal nodes, CPUs round-robin, sizes adding up to -m."""
    flags = run.numa_flags(3, "1G", 4)
    assert flags == [
        "-object", "memory-backend-ram,id=numa0,size=341M", "-numa", "node,nodeid=0,cpus=0,cpus=3,memdev=numa0",
        "-object", "memory-backend-ram,id=numa1,size=341M", "-numa", "node,nodeid=1,cpus=1,memdev=numa1",
        "-object", "memory-backend-ram,id=numa2,size=342M", "-numa", "node,nodeid=2,cpus=2,memdev=numa2",
    ]
    assert run.mem_mib("2G") == 2048 and run.mem_mib("1536") == 1536


def test_run_py_strips_escapes_from_the_log():
    """Firmware and GRUB screen codes (seen in real SeaBIOS/GRUB/OVMF output) never reach
    a saved log; the text around them does."""
    raw = (b"\x1b[H\x1b[J\x1b[1;1H  Booting `Labyrinth'\r\n"
           b"\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\n"
           b"\x1b[0m\x1b[30m\x1b[47mWelcome to GRUB!\r\n"
           b"[    0.000000] tsc: Fast TSC calibration using PIT\r\n")
    out = run.strip_escapes(raw)
    assert b"\x1b" not in out
    assert out == (b"  Booting `Labyrinth'\r\nBdsDxe: loading Boot0001\r\nWelcome to GRUB!\r\n"
                   b"[    0.000000] tsc: Fast TSC calibration using PIT\r\n")
# ---- make variables, checked before QEMU starts (check_args) ----------------

import socket  # noqa: E402

import pytest  # noqa: E402


def args_for(*argv):
    a = run.parse_args(list(argv))
    run.check_args(a)
    return a


@pytest.mark.parametrize("argv, reason", [
    (["--mem", "0"], "MEM='0': no memory"),
    (["--mem", "12X"], "MEM='12X': not a size"),
    (["--mem=-1G"], "not a size"),
    (["--mem", "4M"], "at least 8 MiB"),
    (["--smp", "0"], "SMP=0: must be 1..255"),
    (["--smp", "two"], "SMP='two': not a whole number"),
    (["--numa", "0"], "NUMA=0: must be 1..8"),
    (["--numa", "9"], "NUMA=9: must be 1..8"),
    (["--cmdline", "note=it's"], "character 8 is a quote"),
    (["--cmdline", 'a="b c"'], "character 3 is a quote"),
    (["--cmdline", "x=$HOME;y"], "character 3 is '$': GRUB's shell would expand it"),
    (["--cmdline", "x=1;y"], "';': GRUB's shell would end the multiboot2 command"),
    (["--cmdline", "a=b\\c"], "a backslash"),
    (["--cmdline", "a=b\nc"], "not printable ASCII"),
    (["--cmdline", "a" * 1024], "the kernel keeps 1023"),
    (["--qemuflags", "-d 'int"], "QEMUFLAGS="),
    (["--deterministic", "--accel", "kvm"], "needs ACCEL=tcg"),
    (["--deterministic", "--qemuflags", "-icount shift=0"], "drop it from QEMUFLAGS"),
    (["--accel", "hvf"], "ACCEL=hvf: tcg (default) or kvm"),
    (["--accel", "tcg,thread=many"], "ACCEL=tcg,thread=many: tcg (default) or kvm"),
    (["--deterministic", "--accel", "tcg,thread=multi"], "needs ACCEL=tcg"),
    (["--timeout", "soon"], "TIMEOUT=soon: seconds"),
    (["--timeout=-5"], "TIMEOUT=-5: seconds"),
])
def test_run_py_refuses_bad_variables(argv, reason):
    """Every refusal names the variable and the reason (the bug: MEM=0, SMP=0,
    NUMA=0 reached QEMU; a quote in CMDLINE was a shell syntax error; $HOME;y
    reached GRUB as x=OME plus a command y)."""
    with pytest.raises(run.ArgError) as e:
        args_for(*argv)
    assert reason in str(e.value)


def test_run_py_accepts_good_variables():
    a = args_for("--mem", "1.5G", "--smp", "4", "--numa", "2",
                 "--cmdline", "ktest=buddy,pcp seed=42 trace=alloc,free fail_page_alloc=1,10,0,-1")
    assert run.mem_mib(a.mem) == 1536 and a.smp == "4" and a.numa == 2
    # make bench-smp: multi-threaded TCG, asked for by name
    assert args_for("--accel", "tcg,thread=multi", "--smp", "2").accel == "tcg,thread=multi"


def test_run_py_grub_words_are_quoted():
    """grub.cfg gets each word in single quotes: GRUB passes it as it is."""
    assert run.grub_words("ktest=buddy  seed=1") == "'ktest=buddy' 'seed=1'"
    assert run.grub_words("") == ""


def test_run_py_timeout_fits_the_run(monkeypatch):
    """selftest_ms=20000 is three 20 s phases: the old fixed 60 s killed it."""
    monkeypatch.setattr(run.sys.stdin, "isatty", lambda: False, raising=False)
    short = run.pick_timeout(args_for())
    long = run.pick_timeout(args_for("--cmdline", "selftest_ms=20000"))
    assert long >= short + 3 * 20 and long >= 120, (short, long)
    assert run.pick_timeout(args_for("--cmdline", "selftest_ms=20000 selftest=0")) <= short
    assert run.pick_timeout(args_for("--mem", "5G")) > short
    assert run.pick_timeout(args_for("--smp", "8")) > short
    det1 = run.pick_timeout(args_for("--deterministic"))
    det4 = run.pick_timeout(args_for("--deterministic", "--smp", "4"))
    assert det4 > det1 > short
    assert run.pick_timeout(args_for("--timeout", "0")) is None      # TIMEOUT=0: none
    assert run.pick_timeout(args_for("--timeout", "7")) == 7


def test_run_py_interactive_runs_have_no_timeout(monkeypatch):
    """make run on a terminal goes on until the kernel exits or Ctrl-C."""
    monkeypatch.setattr(run.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(run.sys.stdout, "isatty", lambda: True, raising=False)
    assert run.pick_timeout(args_for()) is None
    assert run.pick_timeout(args_for("--timeout", "30")) == 30


def test_run_py_deterministic_flags(tmp_path):
    a = args_for("--deterministic", "--path", "efi")
    a.gdb_port = None
    # qemu_command() of the efi path copies build/esp.img: only the flag list here.
    assert run.DETERMINISTIC_FLAGS == ["-icount", "shift=3,sleep=off"]
    assert a.deterministic


def test_run_py_gdb_port_is_per_user_and_free():
    """A second session never lands on someone else's QEMU: the user's port
    (25000 + uid % 5000), or the next free one when it is taken."""
    base = run.GDB_PORT_BASE + run.os.getuid() % 5000
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", base))
            s.listen(1)
        except OSError:
            pytest.skip(f"port {base} is in use by something else already")
        port = run.pick_gdb_port()
        assert base < port < base + 100
    assert run.pick_gdb_port() == base
