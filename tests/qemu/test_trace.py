"""test_trace.py - allocation tracing (trace=alloc, mm/trace.c) in a real boot:
the narration has every piece of an allocation's path, grouped per
allocation; the rate limit reports what it suppressed; a panic dumps the
trace ring after its report; a malformed trace= is reported and ignored."""
import re


def trace_lines(log):
    return [ln.split("trace: ", 1)[1] for ln in log.splitlines() if "trace: " in ln]


def test_trace_alloc_narration(boot):
    b = boot("bios", cmdline="trace=alloc ktest=buddy")
    b.expect_success()
    log = b.log
    pieces = {
        "the request": r"trace: alloc order=\d+ gfp=GFP_\w+\S* cpu=\d+",
        "zone and watermark numbers":
            r"trace:   zone \w+: watermark \S+ \d+ \+ lowmem_reserve \d+ = \d+: "
            r"free \d+ - \d+ -> ok",
        "per-CPU refill": r"trace:   pcp cpu\d+ \w+: was empty, refilled \d+ \(batch \d+\)",
        "per-CPU hit": r"trace:   pcp cpu\d+ \w+: hit \(count \d+ -> \d+\)",
        "buddy split": r"trace:   buddy \w+: split order-\d+ block at pfn 0x[0-9a-f]+",
        "result": r"trace:   -> pfn 0x[0-9a-f]+ \(phys 0x[0-9a-f]+\) from (pcp|buddy)",
        "rate limit": r"trace: \d+ events suppressed \(\d+ allocations/frees not narrated, "
                      r"trace_rate=20/s\)",
    }
    for what, rx in pieces.items():
        b.expect(re.search(rx, log), f"narration lacks {what} ({rx})")
    # Grouping: every story is a header, indented lines, and its result.
    story = None
    for ln in trace_lines(log):
        if ln.startswith("alloc "):
            b.expect(story is None, f"story interleaved with another: {ln}")
            story = ln
        elif ln.startswith("  "):
            b.expect(story is not None, f"an event line outside a story: {ln}")
            if ln.startswith("  -> "):
                story = None
    b.expect(story is None, "the last story has no result")


def test_trace_panic_dumps_ring(boot):
    b = boot("bios", cmdline="trace=alloc test=panic")
    b.expect(b.rc == 1, f"a panic must exit with failure, got run.py status {b.rc}")
    log = b.log
    panic = log.find("Kernel panic - not syncing")
    head = log.find("trace: ---[ allocation trace: last events per CPU, oldest first ]---")
    end = log.find("trace: ---[ end allocation trace ]---")
    b.expect(panic >= 0, "no panic report")
    b.expect(head > panic, "no trace dump after the panic report")
    b.expect(end > head, "the trace dump has no end marker")
    dump = log[head:end]
    b.expect("no events recorded yet" in dump or re.search(r"cpu\d+ #\d+ -\d+cyc story", dump),
             "the dump neither lists events nor says there are none")


def test_trace_bogus_is_reported_and_ignored(boot):
    b = boot("bios", cmdline="trace=bogus ktest=boot_info")
    b.expect_success()
    b.expect("invalid value 'bogus' for trace=: unknown event class 'bogus'" in b.log,
             "no clear error for trace=bogus")
    b.expect("tracing stays off" in b.log, "the error does not say what happens")
    b.expect(not re.search(r"trace: alloc order=", b.log), "tracing ran anyway")
