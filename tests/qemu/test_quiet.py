"""test_quiet.py - loglevel=4 shows nothing alarming without its explanation: every
deliberate Bad page state report is announced at its own level, a double free's report
carries a call trace naming its caller (as Linux's bad_page()), and allocation-failure
warnings decode the mask as Linux 6.1 does and count from 1."""
import re


def test_loglevel4_reports_explained(boot):
    b = boot("bios", smp=2, cmdline="loglevel=4")
    b.expect(b.rc == 0, f"kernel did not report success (run.py status {b.rc})")
    lines = b.log.splitlines()
    bugs = [i for i, ln in enumerate(lines) if "BUG: Bad page state" in ln]
    b.expect(len(bugs) >= 2, "the double-free and foreign-free cases report Bad page state")
    for i in bugs:
        b.expect(re.search(r"# a deliberate .* follows: .*\(expected\)", lines[i - 1]),
                 f"report at line {i} has no explanation just before it: {lines[i - 1]!r}")
    # The double free: reason, then a call trace whose frames name the test case.
    i = next(i for i in bugs if "because: double free" in " ".join(lines[i:i + 3]))
    trace = lines[i + 3:i + 12]
    b.expect(any(ln.strip() == "Call Trace:" for ln in trace), f"no Call Trace: {trace}")
    b.expect(any(re.match(r"\s+mm_double_free_reported\+0x[0-9a-f]+/0x[0-9a-f]+$", ln)
                 for ln in trace), f"the trace does not name the caller: {trace}")
    fails = [ln for ln in lines if "page allocation failure:" in ln]
    if fails:  # the self-test's pressure phase usually provokes some
        b.expect(re.search(r"mode:0xcc0\(GFP_KERNEL\)|mode:0x[0-9a-f]+\(GFP_", fails[0]),
                 f"mask not decoded: {fails[0]}")
        b.expect(fails[0].endswith("(failure 1)"), f"counter does not start at 1: {fails[0]}")
        first = lines.index(fails[0])
        b.expect(any("page allocation failures are expected now" in ln
                     for ln in lines[:first]), "failures not announced at warning level")
