#!/usr/bin/python3
"""fragbench_plot.py - the fragmentation benchmark's plot and table.

  tools/fragbench_plot.py build/fragbench.csv [--svg docs/fragbench.svg]
                          [--table build/fragbench.md]

Reads what tests/bench/fragbench.c prints for each configuration (make
bench-frag runs the four: grouping by mobility on/off x compaction on/off):
one CSV line per sample (config, op, o3_atomic, o3_kernel, o9_atomic,
o9_kernel, unusable9) and a "summary" line per run. Writes an SVG with four
panels over the run (success of order-9 sleeping, order-9 atomic, order-3
sleeping and atomic allocations, as a moving average over 10 samples; and
the zone's unusable free space index at order 9), one colour per
configuration, and a Markdown table of the totals for docs/BENCHMARKS.md.
Plain SVG, no matplotlib. Separate from tools/fragplot.py (buddyinfo over
a boot), which it does not share code with.
"""
import argparse
import re
import sys
from xml.sax.saxutils import escape

CONFIGS = [  # (name in the CSV, label, colour, dash)
    ("mob1_comp1", "grouping on, compaction on", "#1b7837", ""),
    ("mob1_comp0", "grouping on, compaction off", "#2166ac", "8,4"),
    ("mob0_comp1", "grouping off, compaction on", "#e08214", "2,3"),
    ("mob0_comp0", "grouping off, compaction off", "#b2182b", "10,3,2,3"),
]
WINDOW = 10


# A guest log line: "[    1.23] fragbench: <what the host program prints>"
GUEST = re.compile(r"^\[\s*\d+\.\d+\]\s*fragbench:\s?")


def clean(text):
    """The workload's lines, from a host run's stdout or guest serial logs."""
    out = []
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("["):
            if not GUEST.match(line):
                continue
            line = GUEST.sub("", line)
        out.append(line)
    return out


def parse(text):
    samples, summary = {}, {}
    for line in clean(text):
        if line.startswith("summary "):
            parts = line.split()
            summary[parts[1]] = dict(p.split("=") for p in parts[2:])
            continue
        f = line.split(",")
        if len(f) != 7 or not f[1].isdigit():
            continue
        samples.setdefault(f[0], []).append([int(x) for x in f[1:]])
    return samples, summary


def moving(vals, w=WINDOW):
    out = []
    for i in range(len(vals)):
        win = vals[max(0, i - w + 1):i + 1]
        out.append(100.0 * sum(win) / len(win))
    return out


def panel(svg, x0, y0, w, h, title, series, ymax, ylabel, xmax):
    """series: [(points [(x, y)], colour, dash, width)]."""
    svg.append('<text x="%d" y="%d" font-size="17" font-weight="bold">%s</text>'
               % (x0, y0 - 10, escape(title)))
    svg.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="#444"/>'
               % (x0, y0, w, h))
    for i in range(5):
        v = ymax * i / 4
        y = y0 + h - h * i / 4
        svg.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, y, x0 + w, y))
        svg.append('<text x="%d" y="%.1f" font-size="13" text-anchor="end">%g</text>'
                   % (x0 - 6, y + 4, round(v, 2)))
    for i in range(6):
        v = xmax * i / 5
        x = x0 + w * i / 5
        svg.append('<text x="%.1f" y="%d" font-size="13" text-anchor="middle">%dk</text>'
                   % (x, y0 + h + 17, round(v / 1000)))
    svg.append('<text x="%d" y="%d" font-size="13" transform="rotate(-90 %d %d)" '
               'text-anchor="middle">%s</text>'
               % (x0 - 44, y0 + h // 2, x0 - 44, y0 + h // 2, escape(ylabel)))
    for pts, colour, dash, width in series:
        d = " ".join("%.1f,%.1f" % (x0 + w * px / xmax, y0 + h - h * min(py, ymax) / ymax)
                     for px, py in pts)
        svg.append('<polyline fill="none" stroke="%s" stroke-width="%g" %s points="%s"/>'
                   % (colour, width, 'stroke-dasharray="%s"' % dash if dash else "", d))


def plot(samples, out, where="host"):
    W, H = 1100, 1000
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="DejaVu Sans, Arial, sans-serif">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="30" font-size="20" font-weight="bold" text-anchor="middle">'
           'Fragmentation workload (tests/bench/fragwork.c, %s): four configurations</text>'
           % (W // 2, where),
           '<text x="%d" y="52" font-size="14" text-anchor="middle">success rate: moving '
           'average over %d samples; x axis: operations</text>' % (W // 2, WINDOW)]
    xmax = max(s[-1][0] for s in samples.values())
    pw, ph = 440, 300
    slots = [(80, 110), (620, 110), (80, 520), (620, 520)]
    cols = {"o3a": 1, "o3k": 2, "o9a": 3, "o9k": 4, "unus": 5}

    def series(col, scale=None, width=2.5):
        out_s = []
        for name, _label, colour, dash in CONFIGS:
            rows = samples.get(name)
            if not rows:
                continue
            ys = [r[col] for r in rows]
            ys = moving(ys) if scale is None else [y / scale for y in ys]
            out_s.append((list(zip([r[0] for r in rows], ys)), colour, dash, width))
        return out_s

    panel(svg, *slots[0], pw, ph, "order 9, sleeping (GFP_KERNEL)", series(cols["o9k"]), 100,
          "success %", xmax)
    panel(svg, *slots[1], pw, ph, "order 9, atomic (GFP_ATOMIC)", series(cols["o9a"]), 100,
          "success %", xmax)
    panel(svg, *slots[2], pw, ph, "order 3, sleeping (atomic: same ranking)", series(cols["o3k"]),
          100, "success %", xmax)
    panel(svg, *slots[3], pw, ph, "unusable free space index, order 9", series(cols["unus"], 1000.0),
          1, "index (0 = all usable)", xmax)
    for i, (_name, label, colour, dash) in enumerate(CONFIGS):
        x, ly = 150 + (i % 2) * 460, H - 70 + (i // 2) * 30
        svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="4" %s/>'
                   % (x, ly, x + 40, ly, colour, 'stroke-dasharray="%s"' % dash if dash else ""))
        svg.append('<text x="%d" y="%d" font-size="14">%s</text>' % (x + 48, ly + 5, escape(label)))
    svg.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


def table(samples, summary):
    lines = ["| configuration | order-3 atomic | order-3 sleeping | order-9 atomic | "
             "order-9 sleeping | mean unusable index (order 9) | compact_stall / success / fail "
             "| pgmigrate_success |",
             "|---|---|---|---|---|---|---|---|"]
    for name, label, _c, _d in CONFIGS:
        s, rows = summary.get(name), samples.get(name)
        if not s or not rows:
            continue
        n = int(s["samples"])

        def pct(k):
            return "%.1f %% (%s/%d)" % (100.0 * int(s[k]) / n, s[k], n)
        unus = sum(r[5] for r in rows) / len(rows) / 1000.0
        lines.append("| %s | %s | %s | %s | %s | %.3f | %s / %s / %s | %s |" % (
            label, pct("o3_atomic"), pct("o3_kernel"), pct("o9_atomic"), pct("o9_kernel"), unus,
            s["compact_stall"], s["compact_success"], s["compact_fail"], s["pgmigrate_success"]))
    return "\n".join(lines) + "\n"


MARKER = "<!-- fragbench: the rest of this file is tools/fragbench_plot.py's -->"


def runs_of(csv):
    return [ln[2:] for ln in clean(open(csv).read())
            if ln.startswith("# fragbench") or ln.startswith("# filled")]


def qemu_section(tbl, csv, svg):
    return "\n".join([
        "### The same workload in the guest", "",
        "`make bench-frag-qemu`: four boots (QEMU, BIOS path, 256 MiB, one CPU, cmdline "
        "`fragbench=1000000 mobility=M compaction=C ktest=none selftest=0`); the kernel runs "
        "`tests/bench/fragwork.c` after boot and prints the lines (%s)." % csv, "",
        tbl, "![success over the run, guest](%s)" % svg.replace("docs/", ""), "",
        "The runs, as the kernel described them:", "", "```"] + runs_of(csv) + ["```", ""])


def section(tbl, summary, csv, svg):
    runs = runs_of(csv)
    return "\n".join([
        MARKER, "",
        "## Fragmentation: grouping by mobility and compaction", "",
        "Generated by `tools/fragbench_plot.py` from `make bench-frag` (%s): the seeded "
        "workload of `tests/bench/fragwork.c` on the host (`tests/bench/fragbench.c`, "
        "simulated 256 MiB) over the real mm/ code, once per configuration "
        "(`mobility=` x `compaction=`, the kernel's command-line switches, given to the "
        "program). What it measures is reported as it came out; nothing here is a target "
        "or a test." % csv, "",
        "Each sample tries an order-3 and an order-9 block, atomic (`GFP_ATOMIC`: no "
        "compaction) and sleeping (`GFP_KERNEL`: direct compaction when on), and frees it at "
        "once. `compact_stall` counts every direct compaction of the run (orders 1-9: the "
        "workload's own order-1/2 allocations compact too).", "",
        tbl,
        "![success over the run, host](%s)" % svg.replace("docs/", ""), "",
        "The runs, as the program described them:", "", "```"] + runs + ["```", ""])


def update_benchmarks_md(path, text):
    try:
        old = open(path).read()
    except OSError:
        old = ""
    head = old[:old.index(MARKER)].rstrip("\n") + "\n\n" if MARKER in old else \
        (old.rstrip("\n") + "\n\n" if old else "")
    open(path, "w").write(head + text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("--svg", default="docs/fragbench.svg")
    ap.add_argument("--table")
    ap.add_argument("--benchmarks-md", help="replace the fragmentation section of this file "
                    "(docs/BENCHMARKS.md: everything after the marker line)")
    ap.add_argument("--qemu", help="guest serial logs of the same workload, concatenated")
    ap.add_argument("--qemu-svg", default="docs/fragbench-qemu.svg")
    a = ap.parse_args()
    samples, summary = parse(open(a.csv).read())
    if not samples:
        sys.exit("fragbench_plot: no samples in %s" % a.csv)
    plot(samples, a.svg)
    t = table(samples, summary)
    if a.table:
        open(a.table, "w").write(t)
    text = section(t, summary, a.csv, a.svg)
    if a.qemu:
        qs, qsum = parse(open(a.qemu, errors="replace").read())
        if not qs:
            sys.exit("fragbench_plot: no samples in %s" % a.qemu)
        plot(qs, a.qemu_svg, "guest")
        qt = table(qs, qsum)
        text += "\n" + qemu_section(qt, a.qemu, a.qemu_svg)
        sys.stdout.write(qt)
    if a.benchmarks_md:
        update_benchmarks_md(a.benchmarks_md, text)
    sys.stdout.write(t)


if __name__ == "__main__":
    main()
