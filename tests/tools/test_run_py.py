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
