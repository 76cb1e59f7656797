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
reported failure, 124 on timeout, 2 when QEMU itself failed.
"""
import argparse
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


def make_iso(workdir, cmdline):
    """A copy of the GRUB ISO whose grub.cfg carries this command line."""
    isodir = os.path.join(workdir, "isodir")
    os.makedirs(os.path.join(isodir, "boot", "grub"))
    shutil.copy(os.path.join(BUILD, "labyrinth.elf"), os.path.join(isodir, "boot"))
    with open(os.path.join(ROOT, "iso", "grub.cfg")) as f:
        cfg = f.read().replace("@CMDLINE@", cmdline)
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
    """QEMU's -m syntax (a number with an optional K/M/G/T suffix, default M) in MiB."""
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    mem = mem.strip().upper().rstrip("B")
    if mem and mem[-1] in units:
        return int(float(mem[:-1]) * units[mem[-1]])
    return int(mem)


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


def qemu_command(args, workdir):
    cmd = ["qemu-system-x86_64", "-accel", args.accel, "-m", args.mem,
           "-smp", str(args.smp), "-cpu", args.cpu, "-display", "none",
           "-serial", "stdio", "-no-reboot", "-nic", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if args.path == "bios":
        cmd += ["-cdrom", make_iso(workdir, args.cmdline)]
    elif args.path == "grub-efi":
        cmd += ovmf_drives(workdir) + ["-cdrom", make_iso(workdir, args.cmdline)]
    else:
        cmd += ovmf_drives(workdir) + ["-drive", f"format=raw,file={make_esp(workdir, args.cmdline)}"]
    if args.gdb:
        cmd += ["-s", "-S"]
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


def run_qemu(cmd, timeout, log):
    sinks = [sys.stdout.buffer] + ([log] if log else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    t = threading.Thread(target=pump, args=(proc.stdout, sinks), daemon=True)
    t.start()
    try:
        rc = proc.wait(timeout=timeout or None)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        t.join(2)
        print(f"\nrun.py: TIMEOUT after {timeout} s: the kernel neither exited nor "
              "reported; QEMU killed", flush=True)
        return 124
    t.join(2)
    return rc


def start_gdb():
    gdb = ["gdb", "-q", os.path.join(BUILD, "labyrinth.elf"),
           "-ex", "target remote localhost:1234"]
    helpers = os.path.join(ROOT, "tools", "gdb", "labyrinth.py")
    if os.path.exists(helpers):
        gdb += ["-ex", f"source {helpers}"]
    return subprocess.Popen(gdb)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", choices=["bios", "grub-efi", "efi"], default="bios")
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--smp", default="1")
    ap.add_argument("--cpu", default=os.environ.get("CPU", "max"))
    ap.add_argument("--cmdline", default="")
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--timeout", type=float, default=0,
                    help="seconds; 0 = the path's default")
    ap.add_argument("--qemuflags", default="")
    ap.add_argument("--numa", type=int, default=0,
                    help="N equal NUMA nodes, CPUs round-robin (0 = no -numa options)")
    ap.add_argument("--log", help="also write the serial output here")
    ap.add_argument("--gdb", action="store_true", help="stop at the first instruction, attach gdb")
    args = ap.parse_args()
    timeout = args.timeout or DEFAULT_TIMEOUT[args.path]
    with tempfile.TemporaryDirectory(prefix="labyrinth-run-") as workdir:
        cmd = qemu_command(args, workdir)
        print("run.py: " + " ".join(shlex.quote(c) for c in cmd), flush=True)
        log = open(args.log, "wb") if args.log else None
        gdb = start_gdb() if args.gdb else None
        start = time.monotonic()
        rc = run_qemu(cmd, 0 if gdb else timeout, log)
        if gdb:
            gdb.wait()
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
