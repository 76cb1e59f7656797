"""ktap.py - read a Labyrinth serial log: strip printk timestamps, parse
KTAP (version 1, one level of subtests, as kernel/ktest.c prints it)."""
import re

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d{6}\] ?")
RESULT = re.compile(r"^(\s*)(ok|not ok) (\d+) (\S+)(?: # (SKIP.*))?$")


def strip_timestamps(log):
    return "\n".join(TIMESTAMP.sub("", line.rstrip("\r")) for line in log.splitlines())


def parse(log):
    """Returns {suite: {case: 'ok'|'not ok'|'skip'}} and the suite results."""
    suites, cases, current = {}, {}, None
    for line in strip_timestamps(log).splitlines():
        m = re.match(r"^\s+# Subtest: (\S+)", line)
        if m:
            current = m.group(1)
            cases[current] = {}
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent, status, _, name, skip = m.groups()
        if indent and current is not None:
            cases[current][name] = "skip" if skip else status
        elif not indent:
            suites[name] = status
    return suites, cases


def summary(log):
    """The 'ktest: N passed, M failed, K skipped' line as a tuple, or None."""
    m = re.search(r"ktest: (\d+) passed, (\d+) failed, (\d+) skipped", strip_timestamps(log))
    return tuple(int(x) for x in m.groups()) if m else None
