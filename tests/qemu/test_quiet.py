"""test_quiet.py - loglevel=4 shows nothing alarming without its explanation: every
deliberate report (Bad page state, an exclusive page touched, a WARNING, a failed W+X
check, an endless fault retry, a refusal) is announced on the line just before it at its
own level, a double free's report carries a call trace naming its caller (as Linux's
bad_page()), and allocation-failure warnings decode the mask as Linux 6.1 does and count
from 1."""
import re

import ktap

EXPLANATION = re.compile(r"a deliberate .* follows: .*\(expected\)")
# The first line of each kind of report the test suites provoke on purpose.
REPORTS = {
    "Bad page state": re.compile(r"BUG: Bad page state"),
    "touched by": re.compile(r"exclusive: exclusive page pfn \S+ \(.*\) touched by CPU"),
    "WARNING": re.compile(r"WARNING: CPU: \d+ at "),
    "W+X": re.compile(r"vm: Found (writable alias|insecure W\+X mapping)"),
    "faulted in a row": re.compile(r"faulted \d+ times in a row"),
    "CPU taken offline": re.compile(r"smp: CPU \d+\b.*(did not take a call|did not answer|"
                                    r"taken offline while unresponsive)"),
}
# Lines that end a report begun above them (a WARNING's refusal, the W+X summary);
# a KTAP result line naming a case (test_call_refused_irqs_off) is none.
TAILS = re.compile(r"Checked W\+X mappings: FAILED|refused")
# A report's body: the page dump and the call trace.
BODY = re.compile(r"(mm: page: flags:|mm: page dumped because:|CPU: \d+$|Call Trace:$|"
                  r"\s+\S+\+0x[0-9a-f]+/0x[0-9a-f]+$|vm: Found writable alias)")
STAMP = re.compile(r"^\[\s*\d+\.\d+\] ")


def unexplained_reports(log):
    """(kind, line number, line before) of each report not announced on the line just
    before it; a tail line counts as explained when it closes a report whose first
    line is. Returns the list and the number of reports of each kind."""
    lines = [STAMP.sub("", ln) for ln in log.splitlines()]
    bad, seen = [], {kind: 0 for kind in REPORTS}
    for i, ln in enumerate(lines):
        if EXPLANATION.search(ln):
            continue
        kind = next((k for k, rx in REPORTS.items() if rx.search(ln)), None)
        if kind is None and TAILS.search(ln) and not ktap.RESULT.match(ln):
            j = i - 1
            while j > 0 and BODY.match(lines[j]) and not REPORTS["W+X"].search(lines[j]):
                j -= 1
            if any(rx.search(lines[j]) for rx in REPORTS.values()):
                continue  # the report it closes is checked on its own
            kind = "tail"
        if kind is None:
            continue
        seen[kind] = seen.get(kind, 0) + 1
        if not EXPLANATION.search(lines[i - 1]):
            bad.append((kind, i, lines[i - 1]))
    return bad, seen


def check_explained(b, cpus):
    b.expect(b.rc == 0, f"kernel did not report success (run.py status {b.rc})")
    bad, seen = unexplained_reports(b.log)
    for kind, i, before in bad:
        b.expect(False, f"{kind} report at line {i} has no explanation just before it: "
                 f"{before!r}")
    b.expect(seen["Bad page state"] >= 3, f"double free, foreign frees: {seen}")
    b.expect(seen["WARNING"] >= 3, f"the interrupts-off refusals warn: {seen}")
    b.expect(seen["W+X"] == 1, f"the deliberate alias audit: {seen}")
    if "no PKS on this CPU" not in b.log:
        # every (owner, other) pair, the former owners, the owners after the free:
        # a read and a write each
        b.expect(seen["touched by"] >= 2 * cpus * (cpus - 1) + 4 * cpus,
                 f"foreign, former owner's, after-free touches: {seen}")
        b.expect(seen["faulted in a row"] == 1, f"the endless retry: {seen}")


def test_loglevel4_reports_explained_smp4(boot):
    """The same with four CPUs: more pairs, more IPIs, every report still explained."""
    check_explained(boot("bios", smp=4, mem="256M", cmdline="loglevel=4"), 4)


def test_loglevel4_reports_explained(boot):
    b = boot("bios", smp=2, cmdline="loglevel=4")
    check_explained(b, 2)
    lines = b.log.splitlines()
    bugs = [i for i, ln in enumerate(lines) if "BUG: Bad page state" in ln]
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
        # numbered from 1 (two CPUs may print their numbers out of order)
        nums = [int(m.group(1)) for m in (re.search(r"\(failure (\d+)\)$", ln) for ln in fails)
                if m]
        b.expect(nums and min(nums) == 1, f"counter does not start at 1: {fails[:3]}")
        first = lines.index(fails[0])
        b.expect(any("page allocation failures are expected now" in ln
                     for ln in lines[:first]), "failures not announced at warning level")


def test_efi_map_only_with_efi_debug(boot):
    """Linux's rule: the EFI memory map in full (efi: memNN: lines) only with efi=debug."""
    quiet = boot("efi", cmdline="ktest=none selftest=0")
    quiet.expect(quiet.rc == 0, f"run.py status {quiet.rc}")
    quiet.expect(not re.search(r"efi: mem\d+:", quiet.log), "efi: memNN lines without efi=debug")
    quiet.expect(re.search(r"efi: \d+ memory map descriptors \(efi=debug prints them\)",
                           quiet.log), "no one-line summary of the EFI map")
    full = boot("efi", cmdline="efi=debug ktest=none selftest=0")
    full.expect(full.rc == 0, f"run.py status {full.rc}")
    n = int(re.search(r"efi: (\d+) memory map", quiet.log).group(1))
    full.expect(len(re.findall(r"efi: mem\d+: \[", full.log)) == n,
                f"efi=debug does not print the {n} descriptors")


def test_grub_efi_log_clean(boot):
    """GRUB under UEFI: no video-mode error, its 'no console' warning explained, and the
    saved log holds no firmware escape codes."""
    b = boot("grub-efi", cmdline="ktest=none selftest=0")
    b.expect(b.rc == 0, f"run.py status {b.rc}")
    b.expect("no suitable video mode" not in b.raw, "GRUB's video-mode error is back")
    b.expect("\x1b" not in b.raw, "escape codes in the saved log")
    if "no console will be available" in b.raw:
        b.expect("console is the serial port" in b.raw, "GRUB's warning is not explained")
