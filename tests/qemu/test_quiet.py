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
