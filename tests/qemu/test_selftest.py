"""test_selftest.py - the IRQ self-test (selftest/selftest.c) across the matrix.

Every boot path x -smp 1/4 x 128 MiB/2 GiB runs the self-test alone
(ktest=none): it must exit with success, report its four KTAP cases ok, and
print a summary whose numbers say what the phases promise - every CPU took
timer interrupts and allocated from its handler, the pressure phase lived on
the below-min reserve and the Labyrinth pool, the exhaustion phase survived
atomic NULLs, nothing leaked. Then a few seeds, a run without a pool, one
with failure injection, selftest=0, and the default command line of
`make run`.
"""
import re

import pytest

import ktap

PATHS = ["bios", "grub-efi", "efi"]
PHASES = ["warmup", "pressure", "exhaustion", "release"]
PHASE_RE = re.compile(r"^selftest: (\w+): irq_allocs=(\d+) irq_null=(\d+) pcp=(\d+) buddy=(\d+) "
                      r"reserve=(\d+) pool=(\d+) exclusive=(\d+) kernel_ok=(\d+) "
                      r"kernel_null=(\d+) injected=(\d+)", re.M)
PHASE_KEYS = ["irq_allocs", "irq_null", "pcp", "buddy", "reserve", "pool", "exclusive",
              "kernel_ok", "kernel_null", "injected"]


def phases(log):
    """{phase: {key: int}} from the per-phase lines."""
    return {m.group(1): dict(zip(PHASE_KEYS, map(int, m.groups()[1:])))
            for m in PHASE_RE.finditer(log)}


def summary(log):
    """The summary lines as numbers (None for a missing line)."""
    def num(pattern):
        m = re.search(pattern, log, re.M)
        return tuple(int(x) for x in m.groups()) if m else None
    irqs = re.search(r"^selftest: interrupts:((?: cpu\d+=\d+)+)", log, re.M)
    return {
        "seed": num(r"^selftest: summary: seed=(\d+) cpus=(\d+)"),
        "interrupts": {int(c): int(n) for c, n in re.findall(r"cpu(\d+)=(\d+)", irqs.group(1))}
        if irqs else None,
        "sources": num(r"^selftest: atomic sources: pcp=(\d+) buddy=(\d+) reserve=(\d+) "
                       r"pool=(\d+) exclusive=(\d+) \(of (\d+) IRQ allocations\)"),
        "latency": num(r"^selftest: latency: min=(\d+) median=(\d+) max=(\d+)"),
        "stamps": num(r"^selftest: stamps: checked=(\d+) bad=(\d+) exclusive=(\d+) "
                      r"cross_cpu=(\d+)"),
        "pool": num(r"^selftest: pool: size=(\d+) level=(\d+) lowest=(\d+)"),
        "leaked": num(r"^selftest: leaked=(-?\d+) pages"),
    }


def expect_selftest_passed(b, smp, pool=True):
    """Everything a passing self-test run must show; returns the summary."""
    b.expect(b.rc != 124, "QEMU timed out (hang)")
    b.expect(b.rc == 0, f"kernel did not report success (run.py status {b.rc})")
    suites, cases = ktap.parse(b.raw)
    b.expect(suites.get("selftest") == "ok", f"selftest KTAP result: {suites.get('selftest')}")
    b.expect([cases["selftest"].get(p) for p in PHASES] == ["ok"] * 4,
             f"selftest cases: {cases.get('selftest')}")
    b.expect("selftest: PASS (0 of 4 phases failed)" in b.log, "no PASS line")
    s, ph = summary(b.log), phases(b.log)
    b.expect(None not in s.values(), f"summary incomplete: {s}")
    b.expect(s["seed"][1] == smp, f"self-test ran on {s['seed'][1]} CPUs, want {smp}")
    b.expect(sorted(s["interrupts"]) == list(range(smp)), f"interrupts: {s['interrupts']}")
    b.expect(all(n > 0 for n in s["interrupts"].values()), f"a CPU took no interrupts: {s}")
    b.expect(s["leaked"] == (0,), f"leaked pages: {s['leaked']}")
    pcp, buddy, reserve, pool_n, excl, allocs = s["sources"]
    b.expect(pcp + buddy + reserve + pool_n + excl == allocs > 0, f"sources: {s['sources']}")
    b.expect(pcp > 0 and buddy > 0 and reserve > 0, f"sources: {s['sources']}")
    b.expect(s["stamps"][0] > 0 and s["stamps"][1] == 0, f"stamps: {s['stamps']}")
    b.expect(s["stamps"][2] > 0, "no exclusive page allocated")
    if smp > 1:
        b.expect(s["stamps"][3] > 0, "no page freed on another CPU")
    lo, med, hi = s["latency"]
    b.expect(0 < lo <= med <= hi, f"latency: {s['latency']}")
    b.expect(set(ph) >= {"warmup", "pressure", "exhaustion"}, f"phase lines: {list(ph)}")
    # no memory pressure: a NULL only if injected or (PKS) an exclusive request found its
    # CPU's reserve and the pool's sealed part empty
    w = ph["warmup"]
    m = re.search(r"^selftest: warmup: margin: .*exclusive with "
                  r"the reserve and the pool's sealed part empty: (\d+)", b.log, re.M)
    b.expect(m, "no warmup margin line")
    b.expect(w["irq_allocs"] > 0 and w["irq_null"] <= w["injected"] + int(m.group(1)), w)
    b.expect(ph["pressure"]["reserve"] > 0, f"pressure: {ph['pressure']}")
    b.expect(ph["pressure"]["kernel_ok"] > 0 and ph["pressure"]["kernel_null"] > 0,
             f"pressure: GFP_KERNEL did not reclaim then fail: {ph['pressure']}")
    b.expect(ph["exhaustion"]["irq_null"] > 0, f"exhaustion: {ph['exhaustion']}")
    # Every atomic NULL judged: none while the pool or a reserve held a usable page.
    judged = dict(re.findall(r"^selftest: (\w+): margin: .*held a usable page: (\d+)",
                             b.log, re.M))
    b.expect(set(judged) >= {"warmup", "pressure", "exhaustion"} and
             all(v == "0" for v in judged.values()), f"unjustified atomic NULLs: {judged}")
    if pool:
        b.expect(ph["pressure"]["pool"] + ph["exhaustion"]["pool"] > 0, f"pool unused: {ph}")
        b.expect(s["pool"][2] == 0 and s["pool"][1] == s["pool"][0], f"pool: {s['pool']}")
    own = b.log[b.log.find(" CPU(s), timers at "):]  # the self-test's part only
    b.expect("BUG:" not in own and "WARNING: CPU" not in own, "a BUG or WARNING was reported")
    for name in ["before"] + PHASES:  # tools/fragplot.py's markers
        b.expect(re.search(rf"^selftest: phase {name}\nNode 0, zone", b.log, re.M),
                 f"no 'selftest: phase {name}' followed by buddyinfo")
    return s


@pytest.mark.parametrize("mem", ["128M", "2G"])
@pytest.mark.parametrize("smp", [1, 4])
@pytest.mark.parametrize("path", PATHS)
def test_selftest_matrix(boot, path, smp, mem):
    b = boot(path, mem=mem, smp=smp, cmdline="ktest=none")
    expect_selftest_passed(b, smp)


@pytest.mark.parametrize("seed", [1, 42, 0xdeadbeef])
def test_selftest_seeds(boot, seed):
    b = boot("bios", smp=2, cmdline=f"ktest=none seed={seed}")
    s = expect_selftest_passed(b, 2)
    b.expect(s["seed"][0] == seed, f"seed {s['seed'][0]} printed, {seed} given")
    b.expect(f"reproduce with seed={seed}" in b.log, "seed not printed for reproduction")


def test_selftest_without_pool(boot):
    """labyrinth=0: no pool at all; exhaustion is survived all the same."""
    b = boot("bios", smp=2, cmdline="ktest=none labyrinth=0")
    s = expect_selftest_passed(b, 2, pool=False)
    b.expect(s["pool"][0] == 0 and s["sources"][3] == 0, f"pool: {s['pool']} {s['sources']}")


def test_selftest_with_failure_injection(boot):
    """fail_page_alloc fails a tenth of the atomic allocations from the start:
    the handlers survive the NULLs, every phase still passes."""
    b = boot("bios", smp=2, cmdline="ktest=none fail_page_alloc=1,10,0,-1")
    b.expect(b.rc == 0, f"run.py status {b.rc}")
    suites, _ = ktap.parse(b.raw)
    b.expect(suites.get("selftest") == "ok", f"selftest: {suites.get('selftest')}")
    b.expect(summary(b.log)["leaked"] == (0,), "pages leaked")


def test_selftest_length_and_rate(boot):
    """selftest_ms and selftest_hz are obeyed (and reported)."""
    b = boot("bios", smp=2, cmdline="ktest=none selftest_ms=100 selftest_hz=1000")
    expect_selftest_passed(b, 2)
    b.expect("timers at 1000 Hz, 100 ms per phase" in b.log, "parameters not used")


def test_selftest_off(boot):
    b = boot("bios", cmdline="ktest=none selftest=0")
    b.expect(b.rc == 0, f"run.py status {b.rc}")
    b.expect("selftest: off (selftest=0)" in b.log and "# Subtest: selftest" not in b.log,
             "the self-test ran although selftest=0")


def test_make_run_default(boot):
    """`make run`'s command line (none): the KTAP suites, then the self-test."""
    b = boot("bios")
    b.expect_success()
    expect_selftest_passed(b, 1)
    b.expect(b.log.index("ktest: ") < b.log.index("# Subtest: selftest"), "order")
