"""test_bochs_py.py - tools/bochs.py, the Bochs runner behind `make run-bochs`,
without booting anything: the verdict it reads from the serial log and the
bochsrc it writes. (The boots themselves are tests/bochs/.)"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import bochs  # noqa: E402


def test_bochs_py_verdicts():
    """The kernel's last lines decide the exit status; anything else is not a verdict."""
    assert bochs.verdict_of("[    2.8] kmain: done, all tests passed") == 0
    assert bochs.verdict_of("[    2.8] kmain: done, FAILED") == 1
    assert bochs.verdict_of("---[ end Kernel panic - not syncing: out of memory ]---") == 1
    assert bochs.verdict_of("Kernel panic - not syncing: Fatal exception") == 1
    assert bochs.verdict_of("grub.cfg: could not boot /boot/labyrinth.elf, see above") == 1
    assert bochs.verdict_of("ok 11 smp") is None
    assert bochs.verdict_of("kmain: doing") is None


def test_bochs_py_bochsrc():
    """SMP=, MEM=, BOCHS_CPU= reach the bochsrc; COM1 goes to the file the runner follows."""
    args = argparse.Namespace(mem="1G", smp=4, cpu="core2_penryn_t9600", ips=50000000)
    rc = bochs.bochsrc(args, "/w", "/w/l.iso", "/w/serial.log", "/w/bochs.log")
    assert "memory: guest=1024, host=1024\n" in rc
    assert "cpu: model=core2_penryn_t9600, count=4, ips=50000000" in rc
    assert "com1: enabled=1, mode=file, dev=/w/serial.log" in rc
    assert "ata0-slave: type=cdrom, path=/w/l.iso, status=inserted" in rc
    assert "boot: cdrom" in rc


def test_bochs_py_mem_above_host_limit():
    """Bochs 2.7 allocates at most 2048 MiB ('megs: 5120' is a Bochs panic, host_size out
    of range): a larger guest is backed on demand from 2048 MiB, guest=5120, host=2048."""
    args = argparse.Namespace(mem="5G", smp=1, cpu="corei7_haswell_4770", ips=50000000)
    rc = bochs.bochsrc(args, "/w", "/w/l.iso", "/w/serial.log", "/w/bochs.log")
    assert "memory: guest=5120, host=2048\n" in rc
    assert "megs:" not in rc


def test_bochs_py_own_errors(tmp_path):
    """A Bochs panic printed on its terminal before its log opens is what the user sees."""
    screen = tmp_path / "screen.out"
    screen.write_bytes(b"\x1b[0m00000000000i[      ] reading configuration from rc\r\n"
                       b"00000000000p[SIM   ] >>PANIC<< numerical parameter 'host_size' was "
                       b"set to 5120, which is out of range 1 to 2048\r\n"
                       b"00000000000e[SIM   ] notify called\r\n")
    own = bochs.bochs_own_errors(str(screen))
    assert "host_size' was set to 5120, which is out of range 1 to 2048" in own
    assert "reading configuration" not in own and "notify" not in own
    assert bochs.bochs_own_errors(str(tmp_path / "none")) == ""
