"""test_exercises.py - docs/exercises.md's expected output, checked (as Pintos
checks a project against its expected output).

Every ```console expected block of the exercises is a test: its `$ make ...`
line says what to build and run (a `$ # MAX_PAGE_ORDER set to N` line before
it: build with -DMAX_PAGE_ORDER=N into build/ex/orderN), and each of its other
lines, `...` aside, must be contained in a line of the output, in order
(timestamps stripped). Runs must be deterministic (DETERMINISTIC=1, or -icount
in QEMUFLAGS), so the figures are exact: when the kernel changes them, the
exercise is stale and this fails, naming the line it could not find.
"""
import os
import re
import shlex
import subprocess
import sys

import pytest

import ktap
from conftest import LOGDIR, ROOT

EXERCISES = os.path.join(ROOT, "docs", "exercises.md")
RUN_PY = os.path.join(ROOT, "tools", "run.py")
FENCE = re.compile(r"^(\s*)```console expected\s*$")


def blocks():
    """[(id, command lines, expected lines)] of docs/exercises.md."""
    out, lines, exercise, i = [], open(EXERCISES).read().splitlines(), "0", 0
    while i < len(lines):
        h = re.match(r"^## (\d+)\.", lines[i])
        if h:
            exercise = h.group(1)
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, body, i = m.group(1), [], i + 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        cmds = [ln[2:] for ln in body if ln.startswith("$ ")]
        expect = [ln.rstrip() for ln in body if not ln.startswith("$ ") and ln.strip() and
                  ln.strip() != "..."]
        n = sum(1 for b in out if b[0].startswith(f"ex{exercise}-"))
        out.append((f"ex{exercise}-{n + 1}", cmds, expect))
    return out


def parse_commands(cmds):
    """(max_page_order or None, make target, {VAR: value}) from the $ lines."""
    order, target, vars = None, None, {}
    for c in cmds:
        m = re.match(r"^# MAX_PAGE_ORDER set to (\d+)", c)
        if m:
            order = int(m.group(1))
            continue
        words = shlex.split(c)
        last = len(words) - 1 - words[::-1].index("make")  # the last make of a && chain
        for w in words[last + 1:]:
            if "=" in w:
                k, _, v = w.partition("=")
                vars[k] = v
            else:
                target = w
    return order, target, vars


BUILT = {}


def build(order, goal):
    """build/ for the default MAX_PAGE_ORDER, else build/ex/order<N>: (dir, rc, output)."""
    if order is None:
        return os.path.join(ROOT, "build"), 0, ""
    key = (order, goal)
    if key not in BUILT:
        bdir = os.path.join(ROOT, "build", "ex", f"order{order}")
        env = {k: v for k, v in os.environ.items()  # not an enclosing make's settings
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
        res = subprocess.run(["make", "-s", "-j2", f"BUILD={bdir}", "SKIP_DEPS=1",
                              f"CFLAGS=-O2 -g -DMAX_PAGE_ORDER={order}", goal], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=600)
        BUILT[key] = (bdir, res.returncode, res.stdout)
    return BUILT[key]


def find_in_order(expect, text):
    """The first expected line not found (in order), or None."""
    lines = [ln.rstrip() for ln in text.replace("\r", "").splitlines()]
    pos = 0
    for e in expect:
        want = e.strip()
        while pos < len(lines) and want not in lines[pos]:
            pos += 1
        if pos == len(lines):
            return e
        pos += 1
    return None


BLOCKS = blocks()


def test_every_expected_block_is_collected():
    """A fence the parser misses would be an unchecked exercise."""
    fences = sum(1 for ln in open(EXERCISES) if FENCE.match(ln))
    assert fences == len(BLOCKS) >= 9, (fences, len(BLOCKS))


@pytest.mark.parametrize("name, cmds, expect", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_exercise_output(name, cmds, expect):
    order, target, vars = parse_commands(cmds)
    assert expect, f"{name}: no expected lines"
    if target == "kernel":
        # A build expected to fail (exercise 1, MAX_PAGE_ORDER 13).
        _, rc, out = build(order, "kernel")
        assert rc != 0, f"{name}: the build succeeded; the exercise says it fails"
        missing = find_in_order(expect, out)
        assert missing is None, f"{name}: not in the build output: {missing!r}\n{out[-3000:]}"
        return
    assert target == "run", f"{name}: make {target}: only run and kernel are checked"
    deterministic = vars.get("DETERMINISTIC", "0") != "0"
    assert deterministic or "-icount" in vars.get("QEMUFLAGS", ""), \
        f"{name}: not a deterministic run: its figures could not be exact"
    bdir, rc, out = build(order, "iso")
    assert rc == 0, f"{name}: build failed\n{out[-3000:]}"
    os.makedirs(LOGDIR, exist_ok=True)
    log = os.path.join(LOGDIR, f"exercise-{name}.log")
    cmd = [sys.executable, RUN_PY, "--build", bdir, "--path", "bios", "--log", log,
           "--mem", vars.get("MEM", "128M"), "--smp", vars.get("SMP", "1"),
           "--cmdline", vars.get("CMDLINE", ""), "--qemuflags", vars.get("QEMUFLAGS", "")]
    if deterministic:
        cmd.append("--deterministic")
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.STDOUT)
    text = ktap.strip_timestamps(open(log, "rb").read().decode("utf-8", "replace"))
    assert res.returncode == 0, f"{name}: run.py status {res.returncode}\n{text[-3000:]}"
    missing = find_in_order(expect, text)
    assert missing is None, (f"{name}: docs/exercises.md expects {missing!r}, not in the log "
                             f"(in order); the exercise is stale. Log: {log}")
