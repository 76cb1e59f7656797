"""test_make_run.py - `make run VAR=...` as a user types it: the variables reach
tools/run.py unchanged (no shell, no make expansion in between) and bad ones
stop with run.py's reason before any QEMU starts. No kernel is needed: the
ISO is declared up to date (make -o), QEMU on PATH is a fake that leaves a
mark, and LAB_RUN_CHECK=1 makes run.py print what it received instead of
booting."""
import json
import re
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What an enclosing make (make test SKIP_DEPS=1 CMDLINE=...) would hand down.
INHERITED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "SKIP_DEPS", "MEM", "SMP",
             "NUMA", "CMDLINE", "QEMUFLAGS", "ACCEL", "TIMEOUT", "DETERMINISTIC"}


def clean_env(path_first):
    env = {k: v for k, v in os.environ.items()
           if k not in INHERITED and not k.startswith("LAB_")}
    env["PATH"] = f"{path_first}:{os.environ['PATH']}"
    return env


def make_run(tmp_path, *vars, check=False):
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    marker = tmp_path / "qemu-started"
    q = fake / "qemu-system-x86_64"
    q.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    q.chmod(0o755)
    env = clean_env(fake)
    if check:
        env["LAB_RUN_CHECK"] = "1"
    res = subprocess.run(["make", "-s", "--no-print-directory", "-o", "build/labyrinth.iso",
                          "run", "SKIP_DEPS=1", *vars], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    return res, marker.exists()


@pytest.mark.parametrize("var, reason", [
    ("MEM=0", "MEM='0': no memory"),
    ("SMP=0", "SMP=0: must be 1..255"),
    ("NUMA=0", "NUMA=0: must be 1..8"),
    ("MEM=lots", "MEM='lots': not a size"),
    ("CMDLINE=note=it's", "character 8 is a quote"),
    ("CMDLINE=x=$HOME;y", "character 3 is '$'"),
    ("CMDLINE=x=$(HOME)", "character 3 is '$'"),
    ("CMDLINE=a=1;reboot", "';': GRUB's shell would end the multiboot2 command"),
])
def test_make_run_refuses_before_qemu(tmp_path, var, reason):
    res, started = make_run(tmp_path, var)
    assert res.returncode != 0, res.stdout
    assert "run.py: " + var.split("=")[0] in res.stdout and reason in res.stdout, res.stdout
    assert not started, "QEMU was started with a refused variable"


def test_make_run_passes_variables_unchanged(tmp_path):
    """What the user typed is what run.py got: spaces, commas, QEMU quoting."""
    res, started = make_run(tmp_path, "CMDLINE=ktest=buddy,pcp  seed=7", "MEM=1G", "SMP=2",
                            "QEMUFLAGS=-d \"int\" -name 'a b'", "DETERMINISTIC=1", check=True)
    assert res.returncode == 0, res.stdout
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["cmdline"] == "ktest=buddy,pcp  seed=7"
    assert got["qemuflags"] == "-d \"int\" -name 'a b'"
    assert (got["mem"], got["smp"], got["deterministic"]) == ("1G", "2", True)
    assert not started


def make_help():
    return subprocess.run(["make", "-s", "help"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                          timeout=30).stdout


def test_make_help_lists_targets_and_variables():
    out = make_help()
    for word in ("run", "run-efi", "run-grub-efi", "gdb", "qemu-gdb", "gdb-attach", "test",
                 "MEM=", "SMP=", "NUMA=", "CMDLINE=", "QEMUFLAGS=", "ACCEL=", "TIMEOUT=",
                 "DETERMINISTIC=1", "V=1"):
        assert word in out, f"make help does not mention {word}"


def makefile_text():
    """The Makefile and the .mk files it includes, continuation lines joined."""
    paths = ["Makefile"] + re.findall(r"^-?include (\S+\.mk)$",
                                      open(os.path.join(ROOT, "Makefile")).read(), re.M)
    return "".join(open(os.path.join(ROOT, p)).read() for p in paths).replace("\\\n", " ")


def test_make_help_lists_every_phony_target():
    """Every target the Makefile declares .PHONY (its own and docs.mk's, bench.mk's,
    efi.mk's) is named in `make help` (the bug: make help left out mutate,
    mutate-fast, the docs and bench-frag targets, and gave `make test` without
    mutate-fast)."""
    words = set(re.findall(r"[\w.-]+", make_help()))
    phony = {t for line in re.findall(r"^\.PHONY:(.*)$", makefile_text(), re.M)
             for t in line.split()}
    assert len(phony) > 30, phony
    missing = sorted(phony - words)
    assert not missing, f"make help does not name: {missing}"


def test_make_help_gives_make_test_as_it_is():
    """The `make test = ...` line lists exactly the prerequisites of `test:`."""
    want = re.search(r"^test:([^\n]*)$", makefile_text(), re.M).group(1).split()
    m = re.search(r"make test = (.*?)\(", make_help(), re.S)
    assert m, make_help()
    assert m.group(1).split() == want


@pytest.mark.parametrize("goal", ["run", "test"])
def test_make_stops_first_when_packages_are_missing(tmp_path, goal):
    """A fresh machine, not root: make run / make test stop before building
    anything (the bug: `make: nasm: No such file or directory`), with the
    exact command to run. dpkg-query and id are fakes: nothing installed, uid 1000."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dpkg-query").write_text("#!/bin/sh\necho 'dpkg-query: no packages found' >&2\n"
                                     "exit 1\n")
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")
    for name in ("nasm", "gcc", "grub-mkrescue"):  # a build step would leave a mark
        (fake / name).write_text(f"#!/bin/sh\ntouch {tmp_path}/built\nexit 1\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    env = clean_env(fake)
    res = subprocess.run(["make", "--no-print-directory", goal], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert res.returncode != 0
    assert "install-deps: not root; run:" in res.stdout, res.stdout
    assert re.search(r"sudo apt-get update && sudo apt-get install -y .*\bnasm\b", res.stdout)
    assert "the packages above are missing" in res.stdout
    assert not (tmp_path / "built").exists(), "make built something before the check"
