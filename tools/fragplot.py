#!/usr/bin/python3
"""fragplot.py - free pages per order over time, from a Labyrinth serial log, to SVG.

  tools/fragplot.py [-o frag.svg] [--title T] serial.log

Every block of buddyinfo lines the kernel prints ("Node 0, zone DMA32  n0 n1
... n10", mm/zone.c show_buddyinfo()) is one snapshot. A snapshot is named
after the nearest kernel line before it that names a phase: the self-test's
"selftest: phase NAME" (selftest/report.c) or a KTAP "# Subtest: NAME";
the first snapshot is "boot". Nothing else names a snapshot (a build's
command lines in the same file never do), and a name is at most 24
characters. For each populated zone the plot shows one 100%-stacked bar per
snapshot: how the zone's free pages split over the orders 0 (bottom, dark)
.. MAX_PAGE_ORDER (top, light; viridis colours, one clearly different step
per order), with the total free pages above the bar; below it, the free
blocks per order on a log scale (ticks 0, 1, 10, 100, ...), one line per
snapshot, each with its own colour (Okabe-Ito, for colour-blind readers),
marker and dash. Fragmentation is the light top of the bars giving way to
dark low orders, and the lines rising on the left while they fall on the
right. Writes plain SVG: no matplotlib.
"""
import argparse
import math
import re
import sys
from xml.sax.saxutils import escape

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# one column per order; 6+ so that pagetypeinfo's "Number of blocks type" lines
# (one column per migratetype, 5: mm/vmstat.c) are not taken for buddyinfo
BUDDY = re.compile(r"^Node (\d+), zone\s+(\S+)((?:\s+\d+){6,})\s*$")
PHASE = re.compile(r"^(?:selftest: (phase \w+)|\s*# Subtest: (\w+))\s*$")
LABEL_MAX = 24
# viridis, 11 steps: order 0 dark purple .. order 10 yellow.
VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884",
           "#44bf70", "#7ad151", "#bddf26", "#fde725"]
# Okabe-Ito, with a marker and a dash per snapshot so that lines differ without colour.
LINE_COLORS = ["#d55e00", "#0072b2", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
               "#f0e442"]
DASHES = ["", "6,3", "2,2", "8,3,2,3", "", "6,3", "2,2", "8,3,2,3"]
MARKERS = ["circle", "square", "diamond", "triangle", "cross", "circle", "square", "diamond"]


def parse(text):
    """[(label, {zone: [counts per order]})] in log order."""
    snaps, cur, label = [], None, "boot"
    for raw in text.splitlines():
        line = TS.sub("", raw.rstrip("\r\n"))
        m = BUDDY.match(line)
        if m:
            if cur is None:
                cur = (label, {})
                snaps.append(cur)
            cur[1][m.group(2)] = [int(x) for x in m.group(3).split()]
            continue
        cur = None
        m = PHASE.match(line)
        if m:
            label = (m.group(1) or "ktest " + m.group(2))[:LABEL_MAX]
    return snaps


def order_color(o, n):
    """Order o of n on the viridis scale: dark (order 0) to light (the top order)."""
    return VIRIDIS[round(o * (len(VIRIDIS) - 1) / max(n - 1, 1))]


def marker(kind, x, y, color):
    if kind == "circle":
        return '<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (x, y, color)
    if kind == "square":
        return '<rect x="%.1f" y="%.1f" width="6" height="6" fill="%s"/>' % (x - 3, y - 3, color)
    if kind == "diamond":
        return '<path d="M%.1f %.1fl3.5 3.5l-3.5 3.5l-3.5 -3.5z" fill="%s"/>' % (x, y - 3.5,
                                                                              color)
    if kind == "triangle":
        return '<path d="M%.1f %.1fl3.5 6h-7z" fill="%s"/>' % (x, y - 3.5, color)
    return ('<path d="M%.1f %.1fl6 6m0 -6l-6 6" stroke="%s" stroke-width="1.5"/>'
            % (x - 3, y - 3, color))


def line_style(i):
    return LINE_COLORS[i % len(LINE_COLORS)], DASHES[i % len(DASHES)], MARKERS[i % len(MARKERS)]


def render(snaps, title):
    zones = []
    for _, z in snaps:
        for name in z:
            if name not in zones:
                zones.append(name)
    norders = max(len(c) for _, z in snaps for c in z.values())
    bar, gap, left, top = 26, 10, 70, 90
    pw = max(len(snaps) * (bar + gap) + gap, 260)
    ph = 220
    top2 = top + ph + 110          # second row: blocks per order, log scale
    W = left + len(zones) * (pw + 40) + 160
    H = top2 + ph + 60 + 14 * len(snaps)
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>' % (left,
                                                                             escape(title)),
         '<text x="%d" y="42">share of free pages per order in each buddyinfo snapshot; '
         'number above a bar: free pages</text>' % left]
    for zi, zname in enumerate(zones):
        x0 = left + zi * (pw + 40)
        o.append('<text x="%d" y="%d" font-weight="bold">zone %s</text>' % (x0, top - 30,
                                                                           escape(zname)))
        o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333" '
                 'stroke-width="0.5"/>' % (x0, top, pw, ph))
        for pct in (0, 25, 50, 75, 100):
            y = top + ph - ph * pct / 100
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                     % (x0, y, x0 + pw, y))
            if zi == 0:
                o.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>'
                         % (x0 - 4, y + 4, pct))
        for si, (label, z) in enumerate(snaps):
            counts = z.get(zname)
            bx = x0 + gap + si * (bar + gap)
            if counts:
                pages = [c << k for k, c in enumerate(counts)]
                total = sum(pages)
                y = top + ph
                for k, p in enumerate(pages):
                    if not total or not p:
                        continue
                    h = ph * p / total
                    y -= h
                    o.append('<rect x="%d" y="%.2f" width="%d" height="%.2f" fill="%s">'
                             '<title>%s, %s: order %d: %d blocks, %d pages</title></rect>'
                             % (bx, y, bar, h, order_color(k, norders), escape(zname),
                                escape(label), k, counts[k], p))
                o.append('<text x="%d" y="%d" font-size="9" text-anchor="middle">%d</text>'
                         % (bx + bar / 2, top - 13 + (si % 2) * 9, total))
            o.append('<text transform="translate(%d,%d) rotate(50)" font-size="10">%s</text>'
                     % (bx + 4, top + ph + 12, escape(label)))
        # Row 2: free blocks per order, one line per snapshot, log scale.
        ymax = max(1, max(max(z.get(zname, [0])) for _, z in snaps))
        decades = max(1, math.ceil(math.log10(ymax + 1)))
        o.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333" '
                 'stroke-width="0.5"/>' % (x0, top2, pw, ph))

        def ylog(v):  # log10(v + 1): 0 blocks sits on the axis, 10^decades at the top
            return top2 + ph - ph * math.log10(v + 1) / math.log10(10 ** decades + 1)
        for v in [0] + [10 ** d for d in range(decades + 1)]:
            y = ylog(v)
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                     % (x0, y, x0 + pw, y))
            o.append('<text x="%d" y="%.1f" text-anchor="end" font-size="9">%d</text>'
                     % (x0 - 3, y + 3, v))
        for k in range(norders):
            x = x0 + 10 + k * (pw - 20) / max(norders - 1, 1)
            o.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="9">%d</text>'
                     % (x, top2 + ph + 12, k))
        o.append('<text x="%d" y="%d" font-size="10">free blocks per order (log scale), '
                 'order 0..%d left to right</text>' % (x0, top2 - 6, norders - 1))
        for si, (label, z) in enumerate(snaps):
            counts = z.get(zname)
            if not counts:
                continue
            color, dash, mk = line_style(si)
            xy = [(x0 + 10 + k * (pw - 20) / max(norders - 1, 1), ylog(c))
                  for k, c in enumerate(counts)]
            o.append('<g><title>%s</title><polyline points="%s" fill="none" stroke="%s" '
                     'stroke-width="1.6" stroke-dasharray="%s"/>%s</g>'
                     % (escape(label), " ".join("%.1f,%.1f" % p for p in xy), color, dash,
                        "".join(marker(mk, x, y, color) for x, y in xy)))
    ly = top2 + ph + 30
    for si, (label, _) in enumerate(snaps):
        color, dash, mk = line_style(si)
        y = ly + 14 * si - 4
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" '
                 'stroke-dasharray="%s"/>%s<text x="%d" y="%d" font-size="10">%s</text>'
                 % (left, y, left + 28, y, color, dash, marker(mk, left + 14, y, color),
                    left + 34, ly + 14 * si, escape(label)))
    lx = left + len(zones) * (pw + 40)
    o.append('<text x="%d" y="%d" font-weight="bold">order</text>' % (lx, top))
    for k in range(norders - 1, -1, -1):
        y = top + 8 + (norders - 1 - k) * 16
        o.append('<rect x="%d" y="%d" width="14" height="12" fill="%s"/>'
                 '<text x="%d" y="%d">%d (%d KiB)</text>' % (lx, y, order_color(k, norders),
                                                             lx + 18, y + 10, k, 4 << k))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("-o", "--output")
    ap.add_argument("--title", default="Free pages per order (buddyinfo) over the boot's phases")
    args = ap.parse_args()
    snaps = parse(open(args.log, errors="replace").read())
    if not snaps:
        sys.exit("fragplot: no buddyinfo lines in " + args.log)
    svg = render(snaps, args.title)
    if args.output:
        with open(args.output, "w") as f:
            f.write(svg)
    else:
        sys.stdout.write(svg)
    print("fragplot: %d snapshot(s): %s" % (len(snaps), ", ".join(s[0] for s in snaps)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
