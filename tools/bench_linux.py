#!/usr/bin/python3
"""bench_linux.py - `make bench-linux`: Labyrinth's in-guest allocator loops run on
Debian's own Linux kernel, under the same QEMU as `make bench-qemu`.

Steps (each says what it does; any failure stops the run with the reason):
  1. install (--install): apt-get install -y linux-image-amd64 linux-headers-amd64
     busybox-static cpio, only for the packages missing. This is the benchmark's own
     install step: `make test` and CI never run it.
  2. the Linux version: the newest /boot/vmlinuz-<ver> that has headers
     (/lib/modules/<ver>/build), or --version <ver>. The host's running kernel
     is not Debian's, so the version is always passed explicitly.
  3. the module: tests/bench/linux/ (lab_bench.c, Kbuild) copied to
     build/bench-linux/module and built with make -C /lib/modules/<ver>/build M=...
  4. the initramfs, written here as a newc cpio (gzip): /init
     (tests/bench/linux/init.sh), /bin/busybox (busybox-static), /lab_bench.ko,
     /dev/console.
  5. the boot: tools/run.py's machine (qemu_base(): TCG, -cpu max, the same
     devices) with bench-qemu's settings (1 CPU, 1 GiB, -icount shift=0), plus
     -kernel/-initrd/-append. Under a timeout: a hang prints the serial log and fails.
  6. the serial log's "LINUX-BENCH " lines (printed by init.sh) parsed into
     --out (build/bench-linux.json): the kernel's version string, its command line,
     its "mem auto-init" line and the figures keyed as bench-qemu's.

tools/bench-report.py reads the JSON for the "Linux" column of the report.
"""
import argparse
import datetime
import glob
import gzip
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import run  # noqa: E402  (tools/run.py: the QEMU machine, the serial pump)

PACKAGES = ["linux-image-amd64", "linux-headers-amd64", "busybox-static", "cpio"]
MODULE_SRC = os.path.join(ROOT, "tests", "bench", "linux")
MODULE_FILES = ["lab_bench.c", "Kbuild"]
INIT_SCRIPT = os.path.join(MODULE_SRC, "init.sh")
BUSYBOX = "/bin/busybox"
# bench-qemu's machine (tests/bench/bench.mk): one CPU, 1 GiB, -icount shift=0.
MEM, SMP, ICOUNT = "1G", 1, "-icount shift=0"
# console=ttyS0: the serial port is the log. init_on_alloc=0 init_on_free=0:
# Debian builds with INIT_ON_ALLOC_DEFAULT_ON, which would zero every
# allocated block (Labyrinth zeroes only on __GFP_ZERO). Not quiet: the boot
# messages on the serial log show where a hung boot stopped (~10 s more
# under TCG; the timed loops run with interrupts off, away from the console).
# nokaslr: the same layout every boot, so the run repeats.
# panic=-1: a panic reboots at once, which -no-reboot turns into QEMU's exit
# (instead of waiting for the timeout).
CMDLINE = "console=ttyS0 init_on_alloc=0 init_on_free=0 nokaslr panic=-1"
# The cases the module runs (tests/bench/linux/lab_bench.c), keyed as
# tests/bench/kernel_bench.c's.
KEYS = ["order0", "order0_atomic", "order3", "order4", "order9", "order10", "bulk64"]
PREFIX = "LINUX-BENCH "
# The module's printk lines, after dmesg's "[ time] " (pr_fmt "bench: ").
BENCH_MSG = re.compile(r"(?:^|\] )bench: (.*?)\s*$")
FIGURE = re.compile(r"(\w+) (\d+\.\d) ticks per (\w+) \((.*)\)$")


class BenchError(Exception):
    """A step that cannot go on; the message names the reason."""


# ---- 1. install ----

def installed(pkg):
    res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                         capture_output=True, text=True)
    return res.returncode == 0 and res.stdout.strip() == "install ok installed"


def install():
    missing = [p for p in PACKAGES if not installed(p)]
    if not missing:
        print("bench-linux: installed already: " + " ".join(PACKAGES), flush=True)
        return
    if os.geteuid() != 0:
        raise BenchError("missing packages " + " ".join(missing) + " and not root: run "
                         "`sudo apt-get install -y " + " ".join(missing) + "` first")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
    print("bench-linux: " + " ".join(cmd), flush=True)
    if subprocess.run(cmd, env=env).returncode == 0:
        return
    # A fresh machine's package lists may not know the packages yet.
    print("bench-linux: apt-get update, then once more", flush=True)
    if subprocess.run(["apt-get", "update"], env=env).returncode != 0 or \
            subprocess.run(cmd, env=env).returncode != 0:
        raise BenchError("apt-get install " + " ".join(missing) + " failed (see above)")


# ---- 2. the version ----

def version_key(ver):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", ver)]


def pick_version(explicit=None, boot="/boot", modules="/lib/modules"):
    """(version, vmlinuz): Debian's kernel image that has its headers installed
    (the newest by version order: 6.1.0-10 after 6.1.0-9)."""
    if explicit:
        cands = [explicit]
    else:
        cands = sorted((os.path.basename(p)[len("vmlinuz-"):]
                        for p in glob.glob(f"{boot}/vmlinuz-*")), key=version_key, reverse=True)
    for ver in cands:
        vmlinuz = f"{boot}/vmlinuz-{ver}"
        build = f"{modules}/{ver}/build"
        if os.path.exists(vmlinuz) and os.path.exists(os.path.join(build, "Makefile")):
            return ver, vmlinuz
    if explicit:
        raise BenchError(f"no /boot/vmlinuz-{explicit} with headers in "
                         f"/lib/modules/{explicit}/build")
    raise BenchError("no /boot/vmlinuz-* with headers in /lib/modules/<ver>/build: run "
                     "`make bench-linux` as root once (it installs " + " ".join(PACKAGES) + ")")


def package_version(ver):
    res = subprocess.run(["dpkg-query", "-W", "-f=${Version}", f"linux-image-{ver}"],
                         capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


# ---- 3. the module ----

def build_module(ver, workdir):
    moddir = os.path.abspath(os.path.join(workdir, "module"))  # Kbuild wants M absolute
    os.makedirs(moddir, exist_ok=True)
    for f in MODULE_FILES:
        shutil.copy(os.path.join(MODULE_SRC, f), moddir)
    cmd = ["make", "-C", f"/lib/modules/{ver}/build", f"M={moddir}", "modules"]
    print("bench-linux: " + " ".join(cmd), flush=True)
    # Not our make's flags and command-line variables (SMP=, CMDLINE=, -j):
    # Kbuild would take them as its own.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    if subprocess.run(cmd, env=env).returncode != 0:
        raise BenchError(f"the module did not build against /lib/modules/{ver}/build")
    return os.path.join(moddir, "lab_bench.ko")


# ---- 4. the initramfs: a newc ("070701") cpio archive, gzip ----

def newc_entry(ino, name, mode, data=b"", rdev=(0, 0)):
    """One newc member: 13 eight-digit hex fields, the name (NUL-terminated) and
    the data, each padded to 4 bytes. mtime 0, uid/gid 0: the archive is
    byte-for-byte the same for the same inputs."""
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = head + namez
    out += b"\0" * (-len(out) % 4)
    return out + data + b"\0" * (-len(data) % 4)


def newc_archive(members):
    """members: (name, mode, data, rdev); the trailer is added."""
    out = b""
    for ino, (name, mode, data, rdev) in enumerate(members, start=1):
        out += newc_entry(ino, name, mode, data, rdev)
    return out + newc_entry(0, "TRAILER!!!", 0)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def build_initramfs(ko, out):
    if not os.path.exists(BUSYBOX):
        raise BenchError(f"no {BUSYBOX}: install busybox-static (make bench-linux does)")
    if b"ld-linux" in read(BUSYBOX)[:4096]:  # PT_INTERP: dynamically linked
        raise BenchError(f"{BUSYBOX} is dynamically linked (the initramfs has no libc): "
                         "install busybox-static")
    d, f, c = 0o040755, 0o100755, 0o020600
    members = [("dev", d, b"", (0, 0)), ("proc", d, b"", (0, 0)), ("sys", d, b"", (0, 0)),
               ("bin", d, b"", (0, 0)), ("dev/console", c, b"", (5, 1)),
               ("bin/busybox", f, read(BUSYBOX), (0, 0)),
               ("init", f, read(INIT_SCRIPT), (0, 0)),
               ("lab_bench.ko", 0o100644, read(ko), (0, 0))]
    with open(out, "wb") as fp:
        with gzip.GzipFile(filename="", fileobj=fp, mode="wb", mtime=0) as gz:
            gz.write(newc_archive(members))
    return out


# ---- 5. the boot ----

def qemu_cmd(vmlinuz, initrd, cmdline=CMDLINE, cpu="max", qemuflags=ICOUNT):
    return run.qemu_base("tcg", MEM, SMP, cpu) + [
        "-kernel", vmlinuz, "-initrd", initrd, "-append", cmdline] + shlex.split(qemuflags)


def boot(cmd, log_path, timeout):
    """Runs QEMU with its serial output on the terminal and in log_path; the
    serial log's text. A timeout kills QEMU, prints the log and fails."""
    print("bench-linux: " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc, t = run.start_qemu(cmd, log)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        t.join(2)
    text = read(log_path).decode(errors="replace")
    if rc is None:
        sys.stdout.write(f"\nbench-linux: TIMEOUT after {timeout} s, QEMU killed; the serial "
                         f"log ({log_path}):\n" + text + "\n")
        raise BenchError(f"Linux did not finish within {timeout} s (make bench-linux "
                         "BENCH_LINUX_TIMEOUT=N or --timeout N sets the limit; "
                         "a busy machine makes TCG slow: rerun once before calling it a hang)")
    print(f"bench-linux: QEMU exited ({rc}) after {time.monotonic() - start:.0f} s", flush=True)
    return text


# ---- 6. the log ----

def parse_dmesg_line(rest, out, seen):
    """One kernel log line: the module's "bench: ..." messages (not other
    modules' "lab_bench: ..." ones) and the heap auto-init setting."""
    if "mem auto-init:" in rest:
        out["mem_auto_init"] = rest[rest.index("mem auto-init:") + 15:].strip()
        return
    msg = BENCH_MSG.search(rest)
    if not msg:
        return
    msg = msg.group(1)
    m = FIGURE.match(msg)
    if msg.startswith("linux "):
        out["version"] = msg[len("linux "):]
    elif m:
        r = {"key": m.group(1), "ticks": float(m.group(2)), "unit": m.group(3),
             "what": m.group(4)}
        if r["key"] in seen and seen[r["key"]] != r:
            out["errors"].append(f"{r['key']}: two different figures in one log")
        seen[r["key"]] = r
    elif re.search(r"fail|fell short", msg):
        out["errors"].append("the module said: " + msg)


def parse_log(text):
    """The LINUX-BENCH lines of a serial log (tests/bench/linux/init.sh):
    {"version", "cmdline", "mem_auto_init", "spectre_v2", "results": [{key, ticks,
    unit, what}], "errors": [...], "complete": bool}."""
    out = {"version": None, "cmdline": None, "mem_auto_init": None, "spectre_v2": None,
           "results": [], "errors": [], "complete": False}
    seen = {}
    for raw in text.splitlines():
        i = raw.find(PREFIX)
        if i < 0:
            continue
        line = raw[i + len(PREFIX):].strip()
        kind, _, rest = line.partition(" ")
        if kind == "end":
            out["complete"] = True
        elif kind in ("cmdline:", "spectre_v2:", "insmod:"):
            if kind == "insmod:" and rest != "0":
                out["errors"].append(f"insmod lab_bench.ko exited with {rest}")
            elif kind != "insmod:":
                out[kind[:-1]] = rest
        elif kind == "dmesg:":
            parse_dmesg_line(rest, out, seen)
    out["results"] = list(seen.values())
    return out


def check(parsed):
    """The reasons the parsed log is not a complete, valid run (empty: it is)."""
    why = list(parsed["errors"])
    if not parsed["complete"]:
        why.append("the log has no 'LINUX-BENCH end' line: init.sh did not finish")
    if not parsed["version"]:
        why.append("no 'bench: linux <version>' line from the module")
    missing = [k for k in KEYS if k not in {r["key"] for r in parsed["results"]}]
    if missing:
        why.append("no figure for " + ", ".join(missing))
    auto = parsed["mem_auto_init"]
    if auto is None:
        why.append("no 'mem auto-init' line: cannot tell whether init_on_alloc=0 took")
    elif "heap alloc:off" not in auto or "heap free:off" not in auto:
        why.append(f"heap initialisation is on ({auto}): init_on_alloc=0/init_on_free=0 "
                   "did not take, the figures would include zeroing")
    return why


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--install", action="store_true", help="step 1 (apt-get) if needed")
    ap.add_argument("--version", help="the Debian kernel version (default: the newest "
                    "/boot/vmlinuz-* with headers)")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-linux"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-linux.json"))
    ap.add_argument("--parse", metavar="LOG", help="only step 6, from a saved serial log")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, run.end_qemus)
    signal.signal(signal.SIGHUP, run.end_qemus)
    try:
        if args.timeout <= 0:
            raise BenchError("--timeout must be > 0: every QEMU run has a timeout")
        meta = {}
        if args.parse:
            text = read(args.parse).decode(errors="replace")
        else:
            if args.install:
                install()
            ver, vmlinuz = pick_version(args.version)
            os.makedirs(args.workdir, exist_ok=True)
            ko = build_module(ver, args.workdir)
            initrd = build_initramfs(ko, os.path.join(args.workdir, "initramfs.cpio.gz"))
            cmd = qemu_cmd(vmlinuz, initrd)
            text = boot(cmd, os.path.join(args.workdir, "serial.log"), args.timeout)
            meta = {"package": f"linux-image-{ver} {package_version(ver)}",
                    "qemu": " ".join(shlex.quote(c) for c in cmd)}
        parsed = parse_log(text)
        why = check(parsed)
        if why:
            raise BenchError("the run is not usable:\n  - " + "\n  - ".join(why))
    except BenchError as e:
        print(f"bench-linux: {e}", file=sys.stderr)
        return 1
    del parsed["errors"], parsed["complete"]
    parsed.update(meta, date=int(datetime.datetime.now().timestamp()))
    with open(args.out, "w") as f:
        json.dump(parsed, f, indent=1)
    print(f"bench-linux: Linux {parsed['version']}")
    for r in parsed["results"]:
        print(f"  {r['key']:<14} {r['ticks']:10.1f} ticks per {r['unit']}")
    print(f"bench-linux: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
