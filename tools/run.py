#!/usr/bin/python3
"""run.py - boot Labyrinth in QEMU one of three ways, with a timeout.

Used by `make run*` and by the QEMU test matrix (tests/qemu/), so both boot
exactly the same way.

  --path bios      SeaBIOS -> GRUB (i386-pc) -> multiboot2      (build/labyrinth.iso)
  --path grub-efi  OVMF -> GRUB (x86_64-efi) -> multiboot2      (build/labyrinth.iso)
  --path efi       OVMF -> our GNU-EFI loader -> kernel ELF     (build/esp.img)

--numa N splits the memory into N equal nodes (memory-backend-ram objects,
the last takes any remainder) and spreads the CPUs round-robin: CPU i on
node i % N. Anything finer (distances, memoryless nodes) goes in --qemuflags
as QEMU's own -object/-numa options.

The kernel command line reaches GRUB through a per-run grub.cfg (a fresh ISO
costs ~0.3 s) and our EFI loader through \\cmdline.txt on a per-run copy of
the ESP. The serial console is the terminal (and --log FILE). Exit status:
0 when the kernel reported success through isa-debug-exit, 1 when it
reported failure, 124 on timeout, 2 when QEMU itself failed or an argument
was refused (before QEMU starts: every size, count and the command line are
checked, see check_args()).

Timeout (--timeout): without it, a run on a terminal (stdin and stdout are
ttys, e.g. `make run`) goes on until the kernel exits or you press Ctrl-C;
otherwise it fits the run: the path's boot time, plus the self-test's three
active phases (selftest_ms= on the command line), plus time per GiB and per
CPU, doubled under --deterministic (auto_timeout()). --timeout 0 = no timeout; --timeout N = N seconds.

--deterministic: QEMU counts instructions instead of following the host's
clock (-icount shift=3,sleep=off: every guest instruction is 8 ns of guest
time, an idle CPU jumps to its next timer), so the same seed gives the same
self-test figures and, with one CPU, a byte-identical log. With --smp > 1
QEMU runs the CPUs in turn on one thread, switching on a host-time kick
timer: timestamps around CPU bring-up differ between runs (the figures were
the same in 3 of 3 runs of SMP=2 seed=42, but nothing guarantees it).

Debugging: --gdb starts gdb on this terminal, attached to QEMU stopped at
the first instruction; Ctrl-C in gdb interrupts the guest (QEMU runs in a
session of its own, and this runner ignores SIGINT while gdb runs); quitting
gdb ends QEMU. --gdb-wait is the two-terminal form: QEMU waits for gdb on a
port of this user's (25000 + uid % 5000, or the next free one), and
build/gdbinit says how to attach (`make gdb-attach`).

--build DIR boots another build (make BUILD=DIR; tests/qemu/test_exercises.py
boots kernels built with another MAX_PAGE_ORDER). With LAB_RUN_CHECK=1 in the
environment, run.py checks its arguments, prints them as JSON and boots
nothing (tests/tools/test_make_run.py: what make handed over).
"""
import argparse
import json
import re
import signal
import socket
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd"
# isa-debug-exit: the kernel writes 0x10 (success) or 0x11 (failure);
# QEMU exits with (value << 1) | 1.
EXIT_SUCCESS_QEMU = (0x10 << 1) | 1
EXIT_FAILURE_QEMU = (0x11 << 1) | 1
DEFAULT_TIMEOUT = {"bios": 60, "grub-efi": 120, "efi": 120}
DETERMINISTIC_FLAGS = ["-icount", "shift=3,sleep=off"]
BOOT_CMDLINE_MAX = 1024   # boot/boot_info.h, with its NUL
MAX_NUMNODES = 8          # include/labyrinth/numa.h
MAX_SMP = 255             # QEMU's pc machine without an IOMMU
GDB_PORT_BASE = 25000     # like xv6: 25000 + uid % 5000, the next free one if taken


class ArgError(Exception):
    """A make variable / run.py argument that cannot work; the message names it."""


# GRUB's shell (grub.cfg) reads these in an unquoted word: a quote or $
# starts an expansion or a quoted string, ; ends the command, { } | & < >
# are its syntax, # starts a comment, \ escapes. A single quote cannot be
# carried even inside quotes; the others could be, but no kernel parameter
# uses them (kernel/params.c), so they are refused with the reason rather
# than passed on as a surprise.
CMDLINE_BAD = {
    "'": "a quote: GRUB's shell would read it as the start of a quoted string",
    '"': "a quote: GRUB's shell would read it as the start of a quoted string",
    "$": "'$': GRUB's shell would expand it as a variable ($HOME -> empty)",
    ";": "';': GRUB's shell would end the multiboot2 command there and run the rest as a command",
    "\\": "a backslash: GRUB's shell would take it as an escape",
    "#": "'#': GRUB's shell starts a comment with it at the start of a word",
    "`": "a backquote: shells would run what follows",
}
for _c in "{}|&<>":
    CMDLINE_BAD[_c] = f"'{_c}': part of GRUB's shell syntax, not a kernel parameter character"


def grub_words(cmdline):
    """The command line as grub.cfg words: each in single quotes, so GRUB
    passes it as it is (no globbing, no expansion); check_cmdline() refused
    a quote inside, the one thing single quotes cannot hold."""
    return " ".join(f"'{w}'" for w in cmdline.split())


def make_iso(workdir, cmdline):
    """A copy of the GRUB ISO whose grub.cfg carries this command line."""
    isodir = os.path.join(workdir, "isodir")
    os.makedirs(os.path.join(isodir, "boot", "grub"))
    shutil.copy(os.path.join(BUILD, "labyrinth.elf"), os.path.join(isodir, "boot"))
    with open(os.path.join(ROOT, "iso", "grub.cfg")) as f:
        cfg = f.read().replace("@CMDLINE@", grub_words(cmdline))
    with open(os.path.join(isodir, "boot", "grub", "grub.cfg"), "w") as f:
        f.write(cfg)
    iso = os.path.join(workdir, "labyrinth.iso")
    res = subprocess.run(["grub-mkrescue", "-o", iso, isodir],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        sys.exit("run.py: grub-mkrescue failed:\n" + res.stdout)
    return iso


def make_esp(workdir, cmdline):
    """A copy of the ESP image with \\cmdline.txt holding this command line."""
    esp = os.path.join(workdir, "esp.img")
    shutil.copy(os.path.join(BUILD, "esp.img"), esp)
    if cmdline:
        txt = os.path.join(workdir, "cmdline.txt")
        with open(txt, "w") as f:
            f.write(cmdline + "\n")
        subprocess.run(["mcopy", "-o", "-i", esp, txt, "::/cmdline.txt"], check=True)
    return esp


def ovmf_drives(workdir):
    vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
    shutil.copy(OVMF_VARS, vars_copy)
    return ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vars_copy}"]


def mem_mib(mem):
    """QEMU's -m syntax (a number with an optional K/M/G/T suffix, default M) in MiB.
    Raises ArgError for anything else, or for less than 1 MiB."""
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", str(mem), re.I)
    if not m:
        raise ArgError(f"MEM={mem!r}: not a size; write a number with an optional K, M, G "
                       "or T suffix (M if none), e.g. MEM=128M or MEM=5G")
    mib = int(float(m.group(1)) * units[m.group(2).upper() or "M"])
    if mib < 1:
        raise ArgError(f"MEM={mem!r}: no memory; the guest needs at least "
                       f"{MIN_MEM_MIB} MiB")
    return mib


MIN_MEM_MIB = 8  # with 4 MiB, GRUB (BIOS) stops: "error: out of memory"; 8 MiB boots


def count(name, value, lo, hi, why):
    """A whole number in [lo, hi], else ArgError naming the make variable."""
    s = str(value).strip()
    if not re.fullmatch(r"\d+", s):
        raise ArgError(f"{name}={value!r}: not a whole number ({why})")
    n = int(s)
    if not lo <= n <= hi:
        raise ArgError(f"{name}={value}: must be {lo}..{hi} ({why})")
    return n


def check_cmdline(cmdline):
    """Refuses what GRUB (grub.cfg) and the EFI loader's cmdline.txt cannot
    carry to the kernel unchanged: the first bad character, with the reason."""
    if len(cmdline) >= BOOT_CMDLINE_MAX:
        raise ArgError(f"CMDLINE: {len(cmdline)} characters; the kernel keeps "
                       f"{BOOT_CMDLINE_MAX - 1} (BOOT_CMDLINE_MAX, boot/boot_info.h)")
    for i, c in enumerate(cmdline):
        if c in CMDLINE_BAD:
            raise ArgError(f"CMDLINE={cmdline!r}: character {i + 1} is {CMDLINE_BAD[c]}; "
                           "kernel parameters are key=value words (kernel/params.c)")
        if not (" " <= c <= "~"):
            raise ArgError(f"CMDLINE={cmdline!r}: character {i + 1} ({c!r}) is not printable "
                           "ASCII; the kernel command line is key=value words")


def check_args(args):
    """Every make variable, before QEMU starts (ArgError with the reason)."""
    mib = mem_mib(args.mem)
    if mib < MIN_MEM_MIB:
        raise ArgError(f"MEM={args.mem}: {mib} MiB; the guest needs at least {MIN_MEM_MIB} MiB "
                       "(with less, GRUB runs out of memory loading the kernel)")
    if args.numa_raw is not None:
        args.numa = count("NUMA", args.numa_raw, 1, MAX_NUMNODES,
                          "memory nodes; MAX_NUMNODES in include/labyrinth/numa.h; "
                          "leave NUMA unset for none")
        if mib // args.numa < 1:
            raise ArgError(f"NUMA={args.numa}: {args.mem} is less than 1 MiB per node")
    smp = count("SMP", args.smp, 1, MAX_SMP, "the number of CPUs")
    args.smp = str(smp)
    check_cmdline(args.cmdline)
    if args.timeout is not None:
        try:
            args.timeout = float(args.timeout)
        except ValueError:
            args.timeout = -1
        if not 0 <= args.timeout < 1e7:
            raise ArgError(f"TIMEOUT={args.timeout_raw}: seconds (0 = none; unset = none on a "
                           "terminal, else fitted to the run)")
    try:
        flags = shlex.split(args.qemuflags)
    except ValueError as e:
        raise ArgError(f"QEMUFLAGS={args.qemuflags!r}: {e}")
    if args.deterministic:
        if args.accel != "tcg":
            raise ArgError(f"DETERMINISTIC=1 with ACCEL={args.accel}: instruction counting "
                           "(-icount) needs ACCEL=tcg")
        if "-icount" in flags:
            raise ArgError("DETERMINISTIC=1 sets -icount itself; drop it from QEMUFLAGS")
    if args.accel not in ACCELS:
        raise ArgError(f"ACCEL={args.accel}: tcg (default) or kvm; tcg,thread=multi or "
                       "tcg,thread=single choose TCG's threading (one host thread per "
                       "vCPU, or one for all)")
    if args.accel == "kvm" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise ArgError("ACCEL=kvm: /dev/kvm is missing or not accessible to you")


# QEMU's -accel values run.py passes on. Plain tcg lets QEMU choose its
# threading (QEMU 7.2 picks multi-threaded for an x86 guest on an x86 host,
# single-threaded under -icount); make bench-smp asks for thread=multi.
ACCELS = ("tcg", "kvm", "tcg,thread=multi", "tcg,thread=single")


def cmdline_param(cmdline, key, default):
    """The value of key=value on the command line (the last one wins, as in
    kernel/cmdline.c), else default."""
    val = default
    for w in cmdline.split():
        k, eq, v = w.partition("=")
        if k == key:
            val = v if eq else "1"
    return val


def auto_timeout(args):
    """Seconds a run of this shape may take before it counts as hung: the
    path's boot, the self-test's three active phases (selftest_ms=, default
    250; guest time, which is host time under plain TCG and slower under
    --deterministic, where the CPUs also take turns), 4 s per GiB (struct
    page set-up and the suites that walk all memory), 2 s per CPU (bring-up,
    and TCG shares the host's cores among them), and `bench`."""
    t = DEFAULT_TIMEOUT[args.path]
    smp = int(args.smp)
    slow = 3 * smp if args.deterministic else 2
    if cmdline_param(args.cmdline, "selftest", "1") not in ("0", "n", "no", "off", "false"):
        try:
            ms = int(cmdline_param(args.cmdline, "selftest_ms", "250"))
        except ValueError:
            ms = 250  # the kernel refuses it and uses its default
        t += 3 * ms / 1000 * slow
    t += 4 * mem_mib(args.mem) / 1024 + 2 * smp
    if args.deterministic:
        t *= 2
    if cmdline_param(args.cmdline, "bench", "0") not in ("0", "n", "no", "off", "false"):
        t += 600
    return int(t)


def pick_timeout(args):
    """None = no timeout (interactive); else seconds."""
    if args.timeout is not None:
        return args.timeout or None
    if args.gdb or args.gdb_wait:
        return None  # a debugging session lasts as long as you debug
    if sys.stdin.isatty() and sys.stdout.isatty():
        return None
    return auto_timeout(args)


def numa_flags(nodes, mem, smp):
    """-object/-numa options for `nodes` equal nodes, CPUs round-robin."""
    total = mem_mib(mem)
    each = total // nodes
    if each < 1:
        sys.exit(f"run.py: --numa {nodes}: {mem} is less than 1 MiB per node")
    flags = []
    for n in range(nodes):
        size = each if n < nodes - 1 else total - each * (nodes - 1)
        cpus = "".join(f",cpus={c}" for c in range(int(smp)) if c % nodes == n)
        flags += ["-object", f"memory-backend-ram,id=numa{n},size={size}M",
                  "-numa", f"node,nodeid={n}{cpus},memdev=numa{n}"]
    return flags


def qemu_base(accel, mem, smp, cpu):
    """The machine every run uses (tools/bench-linux.py boots Linux on it too)."""
    return ["qemu-system-x86_64", "-accel", accel, "-m", mem,
            "-smp", str(smp), "-cpu", cpu, "-display", "none",
            "-serial", "stdio", "-no-reboot", "-nic", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def qemu_command(args, workdir):
    cmd = qemu_base(args.accel, args.mem, args.smp, args.cpu)
    if args.path == "bios":
        cmd += ["-cdrom", make_iso(workdir, args.cmdline)]
    elif args.path == "grub-efi":
        cmd += ovmf_drives(workdir) + ["-cdrom", make_iso(workdir, args.cmdline)]
    else:
        cmd += ovmf_drives(workdir) + ["-drive", f"format=raw,file={make_esp(workdir, args.cmdline)}"]
    if getattr(args, "gdb_port", None):
        cmd += ["-gdb", f"tcp:127.0.0.1:{args.gdb_port}", "-S"]
    if getattr(args, "deterministic", False):
        cmd += DETERMINISTIC_FLAGS
    if getattr(args, "numa", 0):  # callers may build args without it (test_gdb.py)
        cmd += numa_flags(args.numa, args.mem, args.smp)
    return cmd + shlex.split(args.qemuflags)


# ANSI/VT escape sequences: CSI (ESC [ params final, e.g. ESC[2J, ESC[0m, ESC[=3h) and
# two-byte ESC sequences, with which SeaBIOS, GRUB and OVMF clear and colour the screen.
ESCAPES = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


def strip_escapes(data):
    """data without terminal escape sequences (for the saved log, not the terminal)."""
    return ESCAPES.sub(b"", data)


def pump(stream, sinks):
    """Copies QEMU's serial output to the terminal and, without escape codes, the log."""
    for line in iter(stream.readline, b""):
        for s in sinks:
            s.write(line if s is sys.stdout.buffer else strip_escapes(line))
            s.flush()


QEMUS = []  # started by this run: ended with it (SIGTERM, SIGHUP)


def end_qemus(signum, frame):
    for p in QEMUS:
        if p.poll() is None:
            p.kill()
    sys.exit(128 + signum)


def start_qemu(cmd, log, own_session=False):
    """QEMU with its serial output pumped to the terminal and the log. In its
    own session when gdb shares the terminal: Ctrl-C then reaches gdb (which
    interrupts the guest through the stub), never QEMU."""
    sinks = [sys.stdout.buffer] + ([log] if log else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=own_session)
    QEMUS.append(proc)
    t = threading.Thread(target=pump, args=(proc.stdout, sinks), daemon=True)
    t.start()
    return proc, t


def wait_qemu(proc, t, timeout):
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        t.join(2)
        print(f"\nrun.py: TIMEOUT after {timeout} s: the kernel neither exited nor "
              "reported; QEMU killed (TIMEOUT=N sets another limit, TIMEOUT=0 none)",
              flush=True)
        return 124
    t.join(2)
    return rc


def gdb_port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_gdb_port(after=None):
    """This user's port (25000 + uid % 5000, as xv6), or the next free one:
    a second session never attaches to someone else's QEMU."""
    base = GDB_PORT_BASE + os.getuid() % 5000
    for port in range(base if after is None else after + 1, base + 100):
        if gdb_port_free(port):
            return port
    raise ArgError(f"no free TCP port for gdb in {base}..{base + 99}")


def start_qemu_for_gdb(args, cmd, log, own_session):
    """QEMU, returned once its gdb stub listens (gdb can attach now). If the
    port was taken between the check and QEMU's bind (two sessions started
    together), QEMU fails at once: the next free port is tried."""
    for _ in range(5):
        proc, t = start_qemu(cmd, log, own_session)
        end = time.monotonic() + 30
        while time.monotonic() < end and proc.poll() is None:
            if not gdb_port_free(args.gdb_port):
                return proc, t
            time.sleep(0.05)
        if proc.poll() is None:
            return proc, t
        t.join(2)
        args.gdb_port = pick_gdb_port(after=args.gdb_port)
        cmd[cmd.index("-gdb") + 1] = f"tcp:127.0.0.1:{args.gdb_port}"
        print(f"run.py: the gdb port was taken meanwhile; trying {args.gdb_port}", flush=True)
    raise ArgError("QEMU could not open a gdb port (see its message above)")


def write_gdbinit(path, port):
    """The commands that attach gdb to this run: symbols, the stub, the helpers."""
    with open(path, "w") as f:
        f.write(f"# written by tools/run.py for the QEMU waiting on port {port}\n"
                f"file {os.path.join(BUILD, 'labyrinth.elf')}\n"
                f"target remote 127.0.0.1:{port}\n"
                f"source {os.path.join(ROOT, 'tools', 'gdb', 'labyrinth.py')}\n")


def start_gdb(gdbinit, extra):
    """gdb on this terminal; extra = more -ex commands (tests)."""
    gdb = ["gdb", "-q", "-x", gdbinit]
    for e in extra:
        gdb += ["-ex", e]
    return subprocess.Popen(gdb)


def run_with_gdb(args, cmd, log):
    """One terminal: QEMU in its own session, gdb in the foreground. SIGINT
    is ignored here while gdb runs (Ctrl-C is gdb's: it stops the guest);
    when gdb quits, QEMU is ended with it."""
    proc, t = start_qemu_for_gdb(args, cmd, log, own_session=True)
    write_gdbinit(args.gdbinit, args.gdb_port)
    gdbinit, extra = args.gdbinit, args.gdb_ex
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        gdb = start_gdb(gdbinit, extra)
        gdb.wait()
    finally:
        signal.signal(signal.SIGINT, old)
    if proc.poll() is None:
        print("run.py: gdb has quit; stopping QEMU", flush=True)
        proc.kill()
    return wait_qemu(proc, t, 10)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", choices=["bios", "grub-efi", "efi"], default="bios")
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--smp", default="1")
    ap.add_argument("--cpu", default=os.environ.get("CPU", "max"))
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--timeout", default=None,
                    help="seconds; 0 = none; unset = none on a terminal, else fitted "
                    "to the run (auto_timeout)")
    ap.add_argument("--qemuflags", default="")
    ap.add_argument("--numa", dest="numa_raw", default=None,
                    help="N equal NUMA nodes, CPUs round-robin (unset = no -numa options)")
    ap.add_argument("--deterministic", action="store_true",
                    help="QEMU -icount shift=3,sleep=off: same seed, same figures")
    ap.add_argument("--log", help="also write the serial output here")
    ap.add_argument("--build", default=BUILD,
                    help="the build folder to boot from (labyrinth.elf, esp.img); "
                    "default build/ (make BUILD=...)")
    ap.add_argument("--gdb", action="store_true",
                    help="stop at the first instruction, gdb on this terminal")
    ap.add_argument("--gdb-wait", action="store_true",
                    help="stop at the first instruction and wait for gdb (make gdb-attach)")
    ap.add_argument("--gdbinit", default=None,
                    help="where --gdb/--gdb-wait write the attach commands "
                    "(default: gdbinit in the build folder)")
    ap.add_argument("--gdb-ex", action="append", default=[],
                    help="with --gdb: one more gdb command after attaching (tests)")
    args = ap.parse_args(argv)
    args.numa, args.timeout_raw = 0, args.timeout
    return args


def main():
    global BUILD
    args = parse_args()
    BUILD = os.path.abspath(args.build)
    args.gdbinit = args.gdbinit or os.path.join(BUILD, "gdbinit")
    signal.signal(signal.SIGTERM, end_qemus)
    signal.signal(signal.SIGHUP, end_qemus)
    try:
        check_args(args)
        timeout = pick_timeout(args)
        args.gdb_port = pick_gdb_port() if args.gdb or args.gdb_wait else None
    except ArgError as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    if os.environ.get("LAB_RUN_CHECK"):  # tests: what make handed over, checked
        print(json.dumps({"mem": args.mem, "smp": args.smp, "numa": args.numa,
                          "cmdline": args.cmdline, "qemuflags": args.qemuflags,
                          "timeout": timeout, "deterministic": args.deterministic}))
        return 0
    if args.deterministic and int(args.smp) > 1:
        print(f"run.py: deterministic with {args.smp} CPUs: QEMU runs them in turn, switching "
              "on a host-time timer, so timestamps around CPU bring-up differ between runs "
              "and the figures are not guaranteed to repeat; SMP=1 repeats byte for byte",
              flush=True)
    with tempfile.TemporaryDirectory(prefix="labyrinth-run-") as workdir:
        cmd = qemu_command(args, workdir)
        print("run.py: " + " ".join(shlex.quote(c) for c in cmd), flush=True)
        if timeout is None and not (args.gdb or args.gdb_wait):
            print("run.py: no timeout (interactive; TIMEOUT=N sets one); Ctrl-C stops QEMU",
                  flush=True)
        log = open(args.log, "wb") if args.log else None
        start = time.monotonic()
        try:
            if args.gdb:
                rc = run_with_gdb(args, cmd, log)
            elif args.gdb_wait:
                proc, t = start_qemu_for_gdb(args, cmd, log, own_session=False)
                write_gdbinit(args.gdbinit, args.gdb_port)
                print(f"run.py: QEMU waits for gdb on 127.0.0.1:{args.gdb_port}; in another "
                      f"terminal: make gdb-attach   (or: gdb -x {args.gdbinit})", flush=True)
                rc = wait_qemu(proc, t, timeout)
            else:
                rc = wait_qemu(*start_qemu(cmd, log), timeout)
        except ArgError as e:
            print(f"run.py: {e}", file=sys.stderr)
            return 2
        if args.gdb:
            if rc not in (EXIT_SUCCESS_QEMU, EXIT_FAILURE_QEMU):
                print("run.py: gdb session over; QEMU ended with it", flush=True)
                return 0
        if log:
            log.close()
    elapsed = time.monotonic() - start
    if rc == EXIT_SUCCESS_QEMU:
        print(f"run.py: kernel reported success ({elapsed:.1f} s)")
        return 0
    if rc == EXIT_FAILURE_QEMU:
        print(f"run.py: kernel reported FAILURE ({elapsed:.1f} s)")
        return 1
    if rc == 124:
        return 124
    print(f"run.py: QEMU exited with status {rc} without a kernel report ({elapsed:.1f} s)")
    return 2


if __name__ == "__main__":
    sys.exit(main())
