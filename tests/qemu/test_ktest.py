"""test_ktest.py - ktest= as a user types it (kernel/ktest.c): `list` prints
every suite.case and runs none; a name that is no suite is an error and a
failed boot (the bug: ktest=nosuchsuite ran nothing and reported success)."""
import re

import ktap


def test_ktest_list_prints_every_case(boot):
    listed = boot("bios", cmdline="ktest=list selftest=0")
    listed.expect(listed.rc == 0, f"run.py status {listed.rc}")
    names = re.findall(r"^(\w+)\.(\w+)$", listed.log, re.M)
    listed.expect(names, "ktest=list printed no suite.case line")
    listed.expect(ktap.summary(listed.raw) is None, "ktest=list ran suites")
    # The same cases a full run reports, in the same order.
    full = boot("bios", cmdline="selftest=0")
    full.expect_success()
    suites, cases = ktap.parse(full.raw)
    ran = [(s, c) for s in suites for c in cases[s]]
    assert names == ran, f"listed {names}\nran {ran}"


def test_ktest_unknown_suite_fails_the_boot(boot):
    b = boot("bios", cmdline="ktest=buddy,nosuchsuite selftest=0")
    b.expect(b.rc == 1, f"an unknown suite must fail the boot, run.py status {b.rc}")
    b.expect(re.search(r"^ktest: unknown suite 'nosuchsuite' in ktest=buddy,nosuchsuite "
                       r"\(ktest=list prints the suites", b.log, re.M), "no error line")
