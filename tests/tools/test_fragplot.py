"""test_fragplot.py - tools/fragplot.py names snapshots only after phase lines (never after
a build's command line in the same file), labels its log axis 0, 1, 10, 100, ... and gives
every snapshot its own line colour."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import fragplot  # noqa: E402

BUDDY = "[    0.1] Node 0, zone    DMA32      1      1      0      0      0      0      0      0" \
        "      1      1    758\n"
LINKER = "ld -nostdlib -z max-page-size=4096 -T arch/x86_64/kernel.ld -o build/labyrinth.elf " + \
    " ".join("build/kernel/selftest/phase%d.o" % i for i in range(40)) + "\n"


def test_labels_only_from_phase_lines():
    log = (LINKER + BUDDY + "[    0.2]     # Subtest: mm_buddy\n" + BUDDY +
           "[    0.3] selftest: phase warmup\n" + LINKER + BUDDY +
           "[    0.4] selftest: warmup: irq_allocs=922 irq_null=0 pcp=440\n" + BUDDY)
    labels = [label for label, _ in fragplot.parse(log)]
    assert labels == ["boot", "ktest mm_buddy", "phase warmup", "phase warmup"]
    assert all(len(label) <= fragplot.LABEL_MAX for label in labels)


def test_log_axis_ticks_and_distinct_colours():
    snaps = fragplot.parse("".join("[    0.%d] selftest: phase p%d\n" % (i, i) + BUDDY
                                   for i in range(6)))
    svg = fragplot.render(snaps, "t")
    ticks = re.findall(r'text-anchor="end" font-size="9">(\d+)</text>', svg)
    assert ticks == ["0", "1", "10", "100", "1000"]
    colours = re.findall(r'<polyline points="[^"]*" fill="none" stroke="(#[0-9a-f]+)"', svg)
    assert len(colours) == 6 and len(set(colours)) == 6
