#!/usr/bin/env python3
"""mutate.py - mutation testing: do the tests catch deliberate bugs?

Each mutant (tests/mutants/mutants.py) names a file, an exact piece of its
text, the text that replaces it (the bug), and the host tests that should
catch it. The tree is copied to build/mutate/tree (sources and the host
build, timestamps kept, so only what a mutant touches is rebuilt); the
unmutated copy must pass the tests first. Then, one mutant at a time: apply
it in the copy, build the named tests there, run them, restore the file.
A mutant is "caught" if a named test fails (or times out); a mutant that
does not build counts as "invalid" (fix the mutant); a mutant whose
original text is not found exactly once is "stale" (the code moved: update
the mutant). The working tree is never modified.

    tools/mutate.py [--fast] [--only NAME ...] [--list]

Exit status 0 only if every applied mutant was caught and none was stale
or invalid. Prints the score: caught / applied.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "mutants"))
from mutants import MUTANTS  # noqa: E402

WORK = os.path.join(ROOT, "build", "mutate")
TREE = os.path.join(WORK, "tree")
TEST_TIMEOUT = 300


def copy_tree():
    """The tracked and untracked-but-not-ignored files, plus the host build."""
    if os.path.isdir(TREE):
        shutil.rmtree(TREE)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = os.path.join(ROOT, f)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(TREE, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    host = os.path.join(ROOT, "build", "host")
    if os.path.isdir(host):
        shutil.copytree(host, os.path.join(TREE, "build", "host"), symlinks=True)


def run_tests(tests, log):
    """Builds and runs the named host tests in the copy; True if all pass."""
    bins = ["build/host/tests/" + t for t in tests]
    b = subprocess.run(["make", "-j2", "-s"] + bins, cwd=TREE, stdout=log, stderr=log)
    if b.returncode:
        return None  # did not build
    for t in bins:
        try:
            r = subprocess.run([os.path.join(TREE, t)], cwd=TREE, stdout=log, stderr=log,
                               timeout=TEST_TIMEOUT, env=dict(os.environ, LAB_SEED="1"))
        except subprocess.TimeoutExpired:
            log.write(f"\n{t}: timed out after {TEST_TIMEOUT} s\n".encode())
            return False
        if r.returncode:
            log.write(f"\n{t}: exit {r.returncode}\n".encode())
            return False
    return True


def apply(m):
    """Applies mutant m in the copy; returns the original text, or None if stale."""
    path = os.path.join(TREE, m["file"])
    text = open(path).read()
    if text.count(m["original"]) != 1:
        return None
    with open(path, "w") as f:
        f.write(text.replace(m["original"], m["replacement"]))
    return text


def restore(m, text):
    with open(os.path.join(TREE, m["file"]), "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fast", action="store_true", help="only the mutants marked fast")
    ap.add_argument("--only", nargs="*", help="only these mutants (by name)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = ap.parse_args()
    names = [m["name"] for m in MUTANTS]
    if len(set(names)) != len(names):
        sys.exit("mutate: duplicate mutant names in tests/mutants/mutants.py")
    chosen = [m for m in MUTANTS if (not args.fast or m.get("fast"))
              and (not args.only or m["name"] in args.only)]
    if args.list:
        for m in chosen:
            print(f"{m['name']:32} {m['file']:24} {' '.join(m['tests'])}"
                  f"{'  (fast)' if m.get('fast') else ''}")
        return 0
    if not chosen:
        sys.exit("mutate: no mutant selected")
    os.makedirs(WORK, exist_ok=True)
    copy_tree()
    tests = sorted({t for m in chosen for t in m["tests"]})
    with open(os.path.join(WORK, "baseline.log"), "wb") as log:
        if not run_tests(tests, log):
            sys.exit(f"mutate: the unmutated tree fails {tests}; see {WORK}/baseline.log")
    caught = applied = 0
    problems = []
    for m in chosen:
        t0 = time.time()
        text = apply(m)
        if text is None:
            problems.append(m["name"])
            print(f"mutate: STALE    {m['name']}: its original text is not found exactly once "
                  f"in {m['file']}")
            continue
        with open(os.path.join(WORK, m["name"] + ".log"), "wb") as log:
            r = run_tests(m["tests"], log)
        restore(m, text)
        if r is None:
            problems.append(m["name"])
            print(f"mutate: INVALID  {m['name']}: does not build ({WORK}/{m['name']}.log)")
            continue
        applied += 1
        caught += not r
        print(f"mutate: {'caught ' if not r else 'SURVIVED'} {m['name']} "
              f"({', '.join(m['tests'])}; {time.time() - t0:.0f} s)")
    print(f"mutate: score {caught}/{applied} caught"
          + (f"; {len(problems)} stale or invalid: {' '.join(problems)}" if problems else ""))
    return 0 if caught == applied and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
