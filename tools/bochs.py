#!/usr/bin/python3
"""bochs.py - boot Labyrinth's BIOS ISO on Bochs, with a timeout.

Bochs (Debian's 2.7: bochs, bochsbios, vgabios, bochs-term) checks
descriptors, paging and the APIC more strictly than QEMU's TCG and offers
x2APIC and the TSC-deadline timer on its newer CPU models. Used by
`make run-bochs` and by tests/bochs/, so both boot the same way.

How a run goes:
  - the ISO is tools/run.py's make_iso() (a per-run grub.cfg carrying the
    command line), booted SeaBIOS-style from an ATAPI CD-ROM (ata0-slave);
  - a bochsrc is written to a temporary directory: `cpu: model=M, count=N`,
    `megs:`, COM1 into a file, the `term` display library (Debian's Bochs
    has no `nogui`) and `clock: sync=none`, so guest time is counted in
    instructions (ips) and a run is reproducible whatever the host's load;
  - Debian's Bochs is built with its debugger, which stops before the
    first instruction: a command file holding `c` lets it run;
  - the term display needs a terminal, so Bochs runs under script(1), its
    screen going to a file, never to ours;
  - Bochs has no isa-debug-exit: this script follows the serial log, copies
    it to the terminal (and --log), and when the kernel's last line appears
    (`kmain: done, ...`, a panic's end line, an oops' `Kernel panic`, a
    recursive fault, or GRUB's "could not boot") it stops Bochs and exits
    with the kernel's verdict.

Exit status: 0 when the kernel said "kmain: done, all tests passed", 1 when
it reported failure or panicked, 124 on timeout (the serial log so far is
above; a hang is a failure), 2 when Bochs itself stopped without a verdict
(the end of Bochs' own log is printed, e.g. a triple fault or a panic).
"""
import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  make_iso(), mem_mib(), ROOT

BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGABIOS = "/usr/share/vgabios/vgabios.bin"
DEFAULT_MODEL = "corei7_haswell_4770"  # x2APIC, TSC-deadline, 1 GiB pages, SMEP
DEFAULT_TIMEOUT = 240
# Instructions per emulated second: the TSC's rate and the PIT's pace.
DEFAULT_IPS = 50000000
# Bochs 2.7 allocates at most 2048 MiB of host memory (`megs:` is that limit
# too); a larger guest gets `memory: guest=N, host=2048`: Bochs backs each
# block the guest touches from that pool, and panics (a failed run, its log
# shown) if the guest touches more than 2048 MiB.
HOST_MEM_MAX_MIB = 2048

# The kernel's last words: (substring, exit status). kernel/main.c prints
# the first two; kernel/panic.c and arch/x86_64/traps.c the others; the
# last is iso/grub.cfg's when GRUB could not load the kernel.
VERDICTS = [
    ("kmain: done, all tests passed", 0),
    ("kmain: done, FAILED", 1),
    ("---[ end Kernel panic - not syncing", 1),
    ("Kernel panic - not syncing: Fatal exception", 1),
    ("traps: recursive fault while reporting", 1),
    ("grub.cfg: could not boot", 1),
]


def bochsrc(args, workdir, iso, serial, log):
    megs = run.mem_mib(args.mem)
    return "\n".join([
        f"memory: guest={megs}, host={min(megs, HOST_MEM_MAX_MIB)}",
        f"cpu: model={args.cpu}, count={args.smp}, ips={args.ips}, reset_on_triple_fault=0",
        f"romimage: file={BIOS}",
        f"vgaromimage: file={VGABIOS}",
        f"ata0-slave: type=cdrom, path={iso}, status=inserted",
        "boot: cdrom",
        f"com1: enabled=1, mode=file, dev={serial}",
        "display_library: term",
        "clock: sync=none, time0=local",
        f"log: {log}",
        # A Bochs panic (e.g. a triple fault, reset_on_triple_fault=0) ends
        # the run instead of asking a question nobody will answer.
        "panic: action=fatal",
        "error: action=report",
        "",
    ])


def verdict_of(line):
    for text, status in VERDICTS:
        if text in line:
            return status
    return None


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def bochs_own_errors(screen):
    """Bochs' panics and errors from its terminal output: a bad bochsrc is
    reported there, before Bochs opens its log file."""
    try:
        with open(screen, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ">>PANIC<<" in ln)


def stop(proc):
    """Stops Bochs and script(1) (its own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def follow(proc, serial, timeout, sinks):
    """Copies the serial log as it grows; returns (verdict, reason)."""
    start, pos, pending, verdict = time.monotonic(), 0, b"", None
    while True:
        data = b""
        if os.path.exists(serial):
            with open(serial, "rb") as f:
                f.seek(pos)
                data = f.read()
                pos += len(data)
        if data:
            for s in sinks:
                s.write(data)
                s.flush()
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                v = verdict_of(line.decode(errors="replace"))
                if v is not None and verdict is None:
                    verdict = v
        if verdict is not None:
            time.sleep(0.3)  # the rest of a panic's last lines, if any
            return verdict, None
        if proc.poll() is not None:
            return None, f"Bochs exited (status {proc.returncode}) without a kernel verdict"
        if timeout and time.monotonic() - start > timeout:
            return None, "timeout"
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--cpu", default=os.environ.get("BOCHS_CPU") or DEFAULT_MODEL,
                    help="Bochs CPU model (bochs -help cpu lists them)")
    ap.add_argument("--ips", type=int, default=DEFAULT_IPS,
                    help="instructions per emulated second (the TSC's rate)")
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds")
    ap.add_argument("--log", help="also write the serial output here")
    args = ap.parse_args()
    if not 1 <= args.smp <= 32:
        sys.exit(f"bochs.py: SMP={args.smp}: Bochs takes 1 to 32 CPUs")
    try:  # the same checks as make run's (tools/run.py), before Bochs starts
        if run.mem_mib(args.mem) < run.MIN_MEM_MIB:
            raise run.ArgError(f"MEM={args.mem}: the guest needs at least {run.MIN_MEM_MIB} MiB")
        run.check_cmdline(args.cmdline)
    except run.ArgError as e:
        sys.exit(f"bochs.py: {e}")
    if not os.path.exists(BIOS) or not os.path.exists(VGABIOS):
        sys.exit("bochs.py: Bochs' BIOS or VGA BIOS is missing: "
                 "apt-get install bochs bochsbios vgabios bochs-term")
    with tempfile.TemporaryDirectory(prefix="labyrinth-bochs-") as workdir:
        iso = run.make_iso(workdir, args.cmdline)
        serial = os.path.join(workdir, "serial.log")
        blog = os.path.join(workdir, "bochs.log")
        rc_path, cmds = os.path.join(workdir, "bochsrc"), os.path.join(workdir, "cmds")
        with open(rc_path, "w") as f:
            f.write(bochsrc(args, workdir, iso, serial, blog))
        with open(cmds, "w") as f:
            f.write("c\n")  # the built-in debugger stops before the first instruction
        bochs = f"bochs -q -f {shlex.quote(rc_path)} -rc {shlex.quote(cmds)}"
        print(f"bochs.py: {bochs}  (model {args.cpu}, {args.smp} CPU(s), {args.mem})",
              flush=True)
        screen_path = os.path.join(workdir, "screen.out")
        screen = open(screen_path, "wb")
        env = dict(os.environ, TERM="xterm")
        proc = subprocess.Popen(["script", "-qfc", bochs, "/dev/null"], stdin=subprocess.DEVNULL,
                                stdout=screen, stderr=subprocess.STDOUT, cwd=workdir, env=env,
                                start_new_session=True)
        log = open(args.log, "wb") if args.log else None
        sinks = [sys.stdout.buffer] + ([log] if log else [])
        start = time.monotonic()
        try:
            verdict, reason = follow(proc, serial, args.timeout, sinks)
        finally:
            stop(proc)
            screen.close()
            if log:
                log.close()
        elapsed = time.monotonic() - start
        if verdict == 0:
            print(f"\nbochs.py: kernel reported success ({elapsed:.1f} s)")
            return 0
        if verdict == 1:
            print(f"\nbochs.py: kernel reported FAILURE ({elapsed:.1f} s)")
            return 1
        if reason == "timeout":
            print(f"\nbochs.py: TIMEOUT after {args.timeout:.0f} s: no final line from the "
                  "kernel (a hang); Bochs killed. The serial log is above; Bochs' log ends:\n"
                  + tail(blog, 15), flush=True)
            return 124
        own = tail(blog, 60) or bochs_own_errors(screen_path)
        print(f"\nbochs.py: {reason} ({elapsed:.1f} s). Bochs' log ends:\n" + own, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
