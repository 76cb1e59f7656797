"""test_exclusive.py - __GFP_EXCLUSIVE with and without protection keys.

With -cpu max (QEMU 7.2 TCG has PKS) the isolation suite must run and pass
(no SKIP), and a foreign access must be reported naming page, owner and
accessor. With -cpu qemu64 (no PKS) the kernel must say so at boot and every
isolation case that needs the MMU must SKIP with that reason: never pass.
"""
import re

import pytest

import ktap

NEEDS_PKS = ["exclusive_foreign_access_faults", "exclusive_handover_swaps_roles",
             "exclusive_owner_faults_after_free", "exclusive_spurious_fault_retried",
             "exclusive_seed_call_from_pool", "pool_sealed_page_unsealed_for_ordinary_callers"]
SEALED_LINE = re.compile(r"mm: Labyrinth pool: (\d+)/(\d+) of its pages sealed for the seed call")
NO_PKS_LINE = "exclusive: no PKS on this CPU; pages are zeroed and scrubbed but not isolated"
CMDLINE = "ktest=exclusive,exclusive_isolation selftest=0"


def skips(raw):
    """{case: reason} for the KTAP cases that skipped."""
    return dict(re.findall(r"ok \d+ (\w+) # SKIP (.*)", raw))


@pytest.mark.parametrize("smp", [2, 4])
def test_exclusive_isolated_with_pks(boot, smp):
    b = boot("bios", smp=smp, cmdline=CMDLINE)
    b.expect_success()
    b.expect(f"exclusive: PKS on {smp} CPUs" in b.log, "PKS not enabled on every CPU")
    suites, cases = ktap.parse(b.raw)
    b.expect(suites.get("exclusive_isolation") == "ok", f"suite: {suites}")
    b.expect(not skips(b.raw), f"skipped with PKS: {skips(b.raw)}")
    b.expect(all(cases["exclusive_isolation"].get(c) == "ok" for c in NEEDS_PKS),
             f"cases: {cases.get('exclusive_isolation')}")
    b.expect(re.search(r"exclusive page pfn 0x[0-9a-f]+ \(owner CPU \d\) touched by CPU \d "
                       r"at probe_read_u8\+", b.log), "no violation report line")
    m = SEALED_LINE.search(b.log)
    b.expect(m and int(m.group(1)) == int(m.group(2)) > 0, "no sealed part in the pool at boot")


def test_exclusive_without_pks_skips(boot):
    b = boot("bios", smp=2, cpu="qemu64", cmdline=CMDLINE)
    b.expect_success()
    b.expect(NO_PKS_LINE in b.log, "no boot line saying exclusive pages are not isolated")
    b.expect("exclusive: PKS on" not in b.log, "claims PKS on a CPU without it")
    b.expect("Labyrinth pool has nothing to seal" in b.log, "no line saying nothing is sealed")
    b.expect(not SEALED_LINE.search(b.log), "claims sealed pool pages without PKS")
    sk = skips(b.raw)
    for case in NEEDS_PKS:
        b.expect("no PKS on this CPU" in sk.get(case, ""), f"{case} did not SKIP: {sk}")
    suites, _ = ktap.parse(b.raw)
    b.expect(suites.get("exclusive") == "ok", f"bookkeeping suite: {suites.get('exclusive')}")
