"""test_bench_linux.py - `make bench-linux` without booting anything: the parser of the
serial log (tools/bench_linux.py) on a real run's log, the checks that reject an unusable
run, the initramfs archive, the QEMU command (bench-qemu's machine and settings), and the
report's Linux column (tools/bench-report.py) with and without build/bench-linux.json."""
import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys
import types

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(ROOT, "tools")
sys.path.insert(0, TOOLS)
import bench_linux  # noqa: E402
import run  # noqa: E402

LOG = os.path.join(ROOT, "tests", "data", "bench-linux", "serial-6.1.192.log")
EXPECTED = {"order0": 702.0, "order0_atomic": 695.0, "order3": 886.0, "order4": 1449.0,
            "order9": 9971.0, "order10": 33656.0, "bulk64": 411.5}


def sample():
    with open(LOG) as f:
        return f.read()


def bench_report():
    spec = importlib.util.spec_from_file_location("bench_report",
                                                  os.path.join(TOOLS, "bench-report.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_parses_a_real_run():
    """Every figure of the real log, keyed as bench-qemu's, and the version from the
    module's own line; another module's "lab_bench: ... failed" line is not an error."""
    p = bench_linux.parse_log(sample())
    assert {r["key"]: r["ticks"] for r in p["results"]} == EXPECTED
    assert p["version"] == "6.1.0-57-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)"
    assert p["mem_auto_init"] == "stack:all(zero), heap alloc:off, heap free:off"
    assert p["cmdline"] == bench_linux.CMDLINE
    assert p["complete"] and p["errors"] == []
    assert bench_linux.check(p) == []


@pytest.mark.parametrize("edit, reason", [
    (lambda t: t.replace("LINUX-BENCH end", ""), "did not finish"),
    (lambda t: re.sub(r".*bench: order10 .*\n", "", t), "no figure for order10"),
    (lambda t: t.replace("heap alloc:off", "heap alloc:on"), "heap initialisation is on"),
    (lambda t: t.replace("LINUX-BENCH insmod: 0", "LINUX-BENCH insmod: 1"), "insmod"),
    (lambda t: t.replace("bench: done", "bench: order9: order-9 allocation failed"),
     "order-9 allocation failed"),
    (lambda t: re.sub(r".*bench: linux .*\n", "", t), "no 'bench: linux <version>'"),
    (lambda t: t.replace("order3 886.0", "order3 886.0 ticks per pair (x)\n"
                         "LINUX-BENCH dmesg: [ 1.0] bench: order3 900.0"),
     "two different figures"),
])
def test_rejects_an_unusable_run(edit, reason):
    """A run that did not finish, lost a case, zeroed its pages, or failed is refused,
    with the reason named."""
    why = bench_linux.check(bench_linux.parse_log(edit(sample())))
    assert any(reason in w for w in why), why


def test_install_step(monkeypatch):
    """Only the missing packages are installed, with apt-get update and one retry if the
    first attempt fails; without root the step stops and names the command to run."""
    calls = []

    def fake_run(cmd, env=None):
        calls.append(cmd)
        return types.SimpleNamespace(returncode=1 if len(calls) == 1 else 0)

    monkeypatch.setattr(bench_linux, "installed", lambda p: p != "cpio")
    monkeypatch.setattr(bench_linux.subprocess, "run", fake_run)
    monkeypatch.setattr(bench_linux.os, "geteuid", lambda: 0)
    bench_linux.install()
    apt = ["apt-get", "install", "-y", "--no-install-recommends", "cpio"]
    assert calls == [apt, ["apt-get", "update"], apt]
    monkeypatch.setattr(bench_linux.os, "geteuid", lambda: 1000)
    with pytest.raises(bench_linux.BenchError, match="sudo apt-get install -y cpio"):
        bench_linux.install()


def test_pick_version(tmp_path):
    """The newest image by version order (6.1.0-10 after 6.1.0-9) that has headers; an
    explicit version without headers is refused by name."""
    boot, mods = tmp_path / "boot", tmp_path / "modules"
    boot.mkdir()
    for ver, headers in (("6.1.0-9-amd64", True), ("6.1.0-10-amd64", True),
                         ("6.5.0-1-amd64", False)):
        (boot / f"vmlinuz-{ver}").write_bytes(b"")
        if headers:
            (mods / ver / "build").mkdir(parents=True)
            (mods / ver / "build" / "Makefile").write_text("")
    ver, vmlinuz = bench_linux.pick_version(None, str(boot), str(mods))
    assert ver == "6.1.0-10-amd64" and vmlinuz == f"{boot}/vmlinuz-6.1.0-10-amd64"
    with pytest.raises(bench_linux.BenchError, match="vmlinuz-6.5.0-1-amd64 with headers"):
        bench_linux.pick_version("6.5.0-1-amd64", str(boot), str(mods))


def test_a_hang_prints_the_log_and_fails(tmp_path, capsys):
    """A guest that never ends is killed at the timeout; the serial log is printed and
    the step fails (a stand-in process prints a line and sleeps)."""
    log = tmp_path / "serial.log"
    cmd = [sys.executable, "-c", "import time; print('Booting Linux', flush=True); "
           "time.sleep(60)"]
    with pytest.raises(bench_linux.BenchError, match="did not finish within 1 s"):
        bench_linux.boot(cmd, str(log), 1)
    out = capsys.readouterr().out
    assert "TIMEOUT after 1 s" in out
    assert "Booting Linux" in out.split("the serial log")[1]


def test_console_copies_are_not_figures():
    """Only init.sh's LINUX-BENCH lines count: a figure printed straight on the console
    (no prefix) is ignored, so the same line twice is not two results."""
    text = sample() + "[    2.0] bench: order0 1.0 ticks per pair (console copy)\n"
    p = bench_linux.parse_log(text)
    assert {r["key"]: r["ticks"] for r in p["results"]}["order0"] == 702.0


def read_newc(data):
    """name -> (mode, rdevmajor, rdevminor, data) from a newc archive."""
    out, off = {}, 0
    while True:
        assert data[off:off + 6] == b"070701", off
        f = [int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off += 110 + namesize
        off += -off % 4
        body = data[off:off + size]
        off += size + (-size % 4)
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, rmaj, rmin, body)


def test_initramfs_archive(tmp_path, monkeypatch):
    """The newc archive the kernel unpacks: /init executable with init.sh's text, the
    module, busybox, /dev/console as char 5:1; byte-identical when built twice."""
    ko = tmp_path / "lab_bench.ko"
    ko.write_bytes(b"\x7fELF module")
    bb = tmp_path / "busybox"
    bb.write_bytes(b"\x7fELF static busybox")
    monkeypatch.setattr(bench_linux, "BUSYBOX", str(bb))
    a = bench_linux.build_initramfs(str(ko), str(tmp_path / "a.cpio.gz"))
    b = bench_linux.build_initramfs(str(ko), str(tmp_path / "b.cpio.gz"))
    assert open(a, "rb").read() == open(b, "rb").read()
    members = read_newc(gzip.decompress(open(a, "rb").read()))
    assert members["init"][0] == 0o100755
    assert members["init"][3] == open(bench_linux.INIT_SCRIPT, "rb").read()
    assert members["bin/busybox"][3] == b"\x7fELF static busybox"
    assert members["lab_bench.ko"][3] == b"\x7fELF module"
    assert members["dev/console"][:3] == (0o020600, 5, 1)
    if subprocess.run(["sh", "-c", "command -v cpio"], capture_output=True).returncode == 0:
        listing = subprocess.run(["cpio", "-it"], input=gzip.decompress(open(a, "rb").read()),
                                 capture_output=True).stdout.decode().split()
        assert sorted(listing) == sorted(members)


def test_initramfs_refuses_a_dynamic_busybox(tmp_path, monkeypatch):
    bb = tmp_path / "busybox"
    bb.write_bytes(b"\x7fELF ... /lib64/ld-linux-x86-64.so.2 ...")
    monkeypatch.setattr(bench_linux, "BUSYBOX", str(bb))
    with pytest.raises(bench_linux.BenchError, match="dynamically linked"):
        bench_linux.build_initramfs(str(tmp_path / "x.ko"), str(tmp_path / "i.gz"))


def test_same_machine_as_bench_qemu():
    """The Linux boot uses run.py's machine with bench-qemu's memory, CPUs and -icount
    (read from tests/bench/bench.mk's recipe, so the two cannot drift apart)."""
    mk = open(os.path.join(ROOT, "tests", "bench", "bench.mk")).read()
    recipe = mk[mk.index("\nbench-qemu:"):]
    recipe = recipe[:recipe.index("\n\n")]
    mem = re.search(r"--mem (\S+)", recipe).group(1)
    smp = re.search(r"--smp (\S+)", recipe).group(1)
    flags = re.search(r"--qemuflags '([^']*)'", recipe).group(1)
    cmd = bench_linux.qemu_cmd("/boot/vmlinuz-x", "/tmp/initrd")
    args = types.SimpleNamespace(accel="tcg", mem=mem, smp=smp, cpu="max", path="bios", cmdline="",
                                 qemuflags=flags)
    orig, run.make_iso = run.make_iso, lambda workdir, cmdline: "x.iso"
    try:
        labyrinth = run.qemu_command(args, "/nonexistent")
    finally:
        run.make_iso = orig
    base = labyrinth[:labyrinth.index("-cdrom")]
    assert cmd[:len(base)] == base
    assert cmd[-len(flags.split()):] == flags.split()
    assert cmd[cmd.index("-append") + 1] == bench_linux.CMDLINE
    assert "init_on_alloc=0" in bench_linux.CMDLINE.split()


def linux_json(tmp_path):
    p = bench_linux.parse_log(sample())
    del p["errors"], p["complete"]
    p["date"] = 0
    path = tmp_path / "bench-linux.json"
    path.write_text(json.dumps(p))
    return str(path)


QEMU = {"date": 0, "results": [
    {"key": "order0", "ticks": 198.0, "unit": "pair", "what": "order-0 pair, per-CPU list"},
    {"key": "order10", "ticks": 520.0, "unit": "pair", "what": "order-10 pair"},
    {"key": "pool", "ticks": 148.0, "unit": "pair", "what": "pool pair"}]}


def test_report_linux_column_from_the_file(tmp_path):
    """The Linux column and its header come from bench-linux.json; no constants."""
    br = bench_report()
    assert not hasattr(br, "LINUX_TICKS")
    run_ = br.load_linux(linux_json(tmp_path))
    table = "\n".join(br.guest_table(QEMU, run_))
    assert "| Linux 6.1.192 (Debian 6.1.0-57-amd64) |" in table
    assert "| order-0 pair, per-CPU list | 198.0 | pair | 702.0 | 3.5x |" in table
    assert "| order-10 pair | 520.0 | pair | 33,656.0 | 64.7x |" in table
    assert "| pool pair | 148.0 | pair | - | - |" in table
    section = "\n".join(br.linux_section(run_))
    assert "What Linux does that Labyrinth does not" in section
    assert "free_pages_prepare() walks all 2^order - 1 tail pages" in section
    assert "costs 18.0 ticks per page" in section and "16.0 per page" in section


def test_report_without_the_file(tmp_path):
    """No bench-linux.json: every Linux cell says how to measure it (no old numbers)."""
    br = bench_report()
    out = tmp_path / "B.md"
    q = tmp_path / "q.json"
    q.write_text(json.dumps(QEMU))
    subprocess.run([sys.executable, os.path.join(TOOLS, "bench-report.py"), "--qemu", str(q),
                    "--linux", str(tmp_path / "missing.json"), "--out", str(out)], check=True)
    text = out.read_text()
    rows = [l for l in text.splitlines() if l.startswith("| order-") or l.startswith("| pool")]
    assert len(rows) == 3
    # the Linux cell, then "faster by": no figure from anywhere else
    assert all(f"| {br.LINUX_NOT_MEASURED} | - |" in r for r in rows), rows
    assert "702" not in text and "33,656" not in text


def test_report_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "bench-linux.json"
    bad.write_text(json.dumps({"results": [{"key": "order0"}]}))
    res = subprocess.run([sys.executable, os.path.join(TOOLS, "bench-report.py"),
                          "--linux", str(bad), "--out", str(tmp_path / "B.md")],
                         capture_output=True, text=True)
    assert res.returncode != 0 and "not a `make bench-linux` result" in res.stderr


def test_report_cites_nothing_dangling(tmp_path):
    """The generated report passes docs/check_refs.py (make docs): the Linux section names
    Linux functions, but no file path that this tree lacks."""
    out = tmp_path / "BENCHMARKS.md"
    q = tmp_path / "q.json"
    q.write_text(json.dumps(QEMU))
    subprocess.run([sys.executable, os.path.join(TOOLS, "bench-report.py"), "--qemu", str(q),
                    "--linux", linux_json(tmp_path), "--out", str(out)], check=True)
    res = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "check_refs.py"), str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
